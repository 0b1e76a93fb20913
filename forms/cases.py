from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from workflow.terms import NOMINATION_SOURCES


class OpenPromotionForm(FlaskForm):
    """Choices are filled by the view from the officer's units."""

    cadre_id = SelectField("干部 Cadre", coerce=lambda v: int(v) if str(v).isdigit() else None, validators=[Optional()])
    target_position_id = SelectField("拟任职位 Post", coerce=lambda v: int(v) if str(v).isdigit() else None, validators=[Optional()])
    source = SelectField("推荐来源 Source", choices=[("", "—")] + [(k, f"{zh} {en}") for k, (en, zh) in NOMINATION_SOURCES.items()],
                         validators=[Optional()])
    work_plan = TextAreaField("动议及工作方案 Work plan / motion", validators=[Optional()])
    evidence = TextAreaField("实绩材料 Evidence of results (self-recommendation)", validators=[Optional()])


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("干部姓名 Cadre name", validators=[Optional()])
    track = SelectField("类别 Track", validators=[Optional()])
    state = SelectField("状态 State", validators=[Optional()])
    unit = SelectField("单位 Unit", validators=[Optional()])
