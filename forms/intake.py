from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from workflow.i18n import _l
from workflow.terms import CLUE_CATEGORIES, choices

from . import optional_id

REQUIRED = _l("This field is required.")


class ClueForm(FlaskForm):
    unit_id = SelectField(_l("Unit"), coerce=optional_id, validators=[DataRequired(REQUIRED)])
    cadre_name = StringField(_l("Name of the cadre"), validators=[DataRequired(REQUIRED), Length(max=60)])
    category = SelectField(_l("Category of the problem"), choices=[("", "—")] + choices(CLUE_CATEGORIES), validators=[DataRequired(REQUIRED)])
    content = TextAreaField(_l("What happened"), validators=[DataRequired(REQUIRED), Length(max=4000)])
    reporter_name = StringField(_l("Your name (optional; you may stay anonymous)"), validators=[Optional(), Length(max=60)])
    reporter_contact = StringField(_l("Contact (optional)"), validators=[Optional(), Length(max=120)])


class SelfRecommendationForm(FlaskForm):
    unit_id = SelectField(_l("Your unit"), coerce=optional_id, validators=[DataRequired(REQUIRED)])
    cadre_name = StringField(_l("Your name"), validators=[DataRequired(REQUIRED), Length(max=60)])
    content = TextAreaField(_l("Why you recommend yourself, with evidence of results"),
                            validators=[DataRequired(REQUIRED), Length(max=4000)])
    reporter_contact = StringField(_l("Contact"), validators=[DataRequired(REQUIRED), Length(max=120)])


class StatusForm(FlaskForm):
    class Meta:
        csrf = False

    code = StringField(_l("Receipt code"), validators=[DataRequired(REQUIRED), Length(max=16)])


class AcceptForm(FlaskForm):
    cadre_id = SelectField(_l("The cadre"), coerce=optional_id, validators=[Optional()])
    position_id = SelectField(_l("Post (self-recommendation)"), coerce=optional_id,
                              validators=[Optional()])


class DismissForm(FlaskForm):
    reason = TextAreaField(_l("Reason for dismissing"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class FeedbackForm(FlaskForm):
    feedback = TextAreaField(_l("Feedback to the reporter"), validators=[DataRequired(REQUIRED), Length(max=2000)])
