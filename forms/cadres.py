from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from workflow.i18n import _, _l
from workflow.terms import EDUCATION, RANKS, choices

from . import DateRange, optional_id, strict_checkbox

REQUIRED = _l("This field is required.")


class CadreForm(FlaskForm):
    version = HiddenField(validators=[Length(max=12)])
    name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=60)])
    gender = SelectField(_l("Gender"), choices=[("", "—"), ("male", _l("Male")), ("female", _l("Female"))], validators=[Optional()])
    birth_date = DateField(_l("Date of birth"), validators=[Optional(), DateRange()])
    education = SelectField(_l("Education"), choices=choices(EDUCATION), validators=[DataRequired(REQUIRED)])
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired(REQUIRED)])
    position_id = SelectField(_l("Current post"), coerce=optional_id, validators=[Optional()])
    rank = SelectField(_l("Rank"), choices=choices(RANKS), validators=[DataRequired(REQUIRED)])
    rank_since = DateField(_l("Rank since"), validators=[InputRequired(REQUIRED), DateRange()])
    post_since = DateField(_l("In post since"), validators=[Optional(), DateRange()])
    work_start = DateField(_l("Started work"), validators=[InputRequired(REQUIRED), DateRange()])
    grassroots_years = IntegerField(_l("Years at grassroots"), default=0,
                                    validators=[Optional(), NumberRange(0, 60, _l("Between 0 and 60."))])
    last_promotion_on = DateField(_l("Last promoted"), validators=[Optional(), DateRange()])
    probation_until = DateField(_l("On probation until"), validators=[Optional(), DateRange()])
    political_discipline_problem = BooleanField(_l("Serious political-discipline problem"), validators=[strict_checkbox])
    canvassing_found = BooleanField(_l("Seeking office or canvassing found"), validators=[strict_checkbox])
    family_emigrated = BooleanField(_l("Spouse and all children emigrated"), validators=[strict_checkbox])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])

    def validate_work_start(self, field):
        if self.birth_date.data and field.data and field.data <= self.birth_date.data:
            raise ValidationError(_("Work cannot start before birth."))


class AssessmentForm(FlaskForm):
    year = IntegerField(_l("Assessment year"), validators=[DataRequired(REQUIRED), NumberRange(1980, 2100, _l("Enter a year."))])
    result = SelectField(_l("Result"), validators=[DataRequired(REQUIRED)])
