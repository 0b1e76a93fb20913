from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import html_params

from workflow.terms import NOMINATION_SOURCES

from . import optional_id


class OpenPromotionForm(FlaskForm):
    """Choices are filled by the view from the officer's units."""

    cadre_id = SelectField("干部 Cadre", coerce=optional_id, validators=[Optional()])
    target_position_id = SelectField("拟任职位 Post", coerce=optional_id, validators=[Optional()])
    source = SelectField("推荐来源 Source", choices=[("", "—")] + [(k, f"{zh} {en}") for k, (en, zh) in NOMINATION_SOURCES.items()],
                         validators=[Optional()])
    work_plan = TextAreaField("动议及工作方案 Work plan / motion", validators=[Optional()])
    evidence = TextAreaField("实绩材料 Evidence of results (self-recommendation)", validators=[Optional()])


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

    q = StringField("干部姓名 Cadre name", validators=[Optional()])
    track = SelectField("类别 Track", validators=[Optional()])
    state = SelectField("状态 State", validators=[Optional()])
    unit = SelectField("单位 Unit", validators=[Optional()], widget=ManyOptions())
