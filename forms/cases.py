from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import html_params

from workflow.i18n import _l
from workflow.terms import NOMINATION_SOURCES, choices

from . import optional_id


class OpenPromotionForm(FlaskForm):
    """Choices are filled by the view from the officer's units."""

    cadre_id = SelectField(_l("Cadre"), coerce=optional_id, validators=[Optional()])
    target_position_id = SelectField(_l("Proposed post"), coerce=optional_id, validators=[Optional()])
    source = SelectField(_l("Source of the nomination"), choices=[("", "—")] + choices(NOMINATION_SOURCES), validators=[Optional()])
    work_plan = TextAreaField(_l("Work plan / motion"), validators=[Optional()])
    evidence = TextAreaField(_l("Evidence of results (self-recommendation)"), validators=[Optional()])


class ManyOptions:
    """A select widget for long lists (the units of a province: thousands of options): the same
    HTML as WTForms' Select, built in one pass instead of one html_params call per option."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        selected = "" if field.data is None else str(field.data)
        parts = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for value, label, *_ in field.choices:
            mark = "selected " if str(value) == selected else ""
            parts.append(f'<option {mark}value="{escape(value)}">{escape(label)}</option>')
        parts.append("</select>")
        return Markup("".join(parts))


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Cadre name"), validators=[Optional()])
    track = SelectField(_l("Track"), validators=[Optional()])
    state = SelectField(_l("State"), validators=[Optional()])
    unit = SelectField(_l("Unit"), validators=[Optional()], widget=ManyOptions())
