from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from workflow.audit import EVENT_KINDS
from workflow.audit_export import FORMATS

from . import DateRange


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # GET filters; the export POST is protected by CSRFProtect globally

    since = DateField("从 Since", validators=[Optional(), DateRange()])
    until = DateField("至 Until", validators=[Optional(), DateRange()])
    unit = SelectField("单位 Unit", validators=[Optional()])
    case = IntegerField("案件号 Case id", validators=[Optional(), NumberRange(1, 2**31 - 1)])
    cadre = IntegerField("干部号 Cadre id", validators=[Optional(), NumberRange(1, 2**31 - 1)])
    actor = StringField("操作人 Actor (username)", validators=[Optional(), Length(max=60)])
    kind = SelectField("事件类型 Event kind", choices=[("", "— all 全部 —")] + [(k, f"{zh} {en}") for k, (en, zh) in EVENT_KINDS.items()], validators=[Optional()])


class ExportForm(FlaskForm):
    class Meta:
        csrf = False

    format = SelectField("格式 Format", choices=[(f, f.upper()) for f in FORMATS], default="csv")
