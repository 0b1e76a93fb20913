from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from workflow.i18n import _l
from workflow.terms import NOMINATION_SOURCES, choices

from . import ManyOptions, optional_id


class OpenPromotionForm(FlaskForm):
    """Choices are filled by the view from the officer's units."""

    cadre_id = SelectField(_l("Cadre"), coerce=optional_id, validators=[Optional()])
    target_position_id = SelectField(_l("Proposed post"), coerce=optional_id, validators=[Optional()])
    source = SelectField(_l("Source of the nomination"), choices=[("", "—")] + choices(NOMINATION_SOURCES), validators=[Optional()])
    work_plan = TextAreaField(_l("Work plan / motion"), validators=[Optional()])
    evidence = TextAreaField(_l("Evidence of results (self-recommendation)"), validators=[Optional()])


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Cadre name"), validators=[Optional()])
    track = SelectField(_l("Track"), validators=[Optional()])
    state = SelectField(_l("State"), validators=[Optional()])
    unit = SelectField(_l("Unit (and the units under it)"), validators=[Optional()], widget=ManyOptions())
