from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from workflow.audit import event_choices
from workflow.audit_export import FORMATS
from workflow.i18n import _l

from . import DateRange

ALL = _l("— all —")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # GET filters; the export POST is protected by CSRFProtect globally

    since = DateField(_l("Since"), validators=[Optional(), DateRange()])
    until = DateField(_l("Until"), validators=[Optional(), DateRange()])
    unit = SelectField(_l("Unit"), validators=[Optional()])
    case = IntegerField(_l("Case id"), validators=[Optional(), NumberRange(1, 2**31 - 1)])
    cadre = IntegerField(_l("Cadre id"), validators=[Optional(), NumberRange(1, 2**31 - 1)])
    actor = StringField(_l("Actor (username)"), validators=[Optional(), Length(max=60)])
    kind = SelectField(_l("Event kind"), choices=[("", ALL)] + event_choices(), validators=[Optional()])


class ExportForm(FlaskForm):
    class Meta:
        csrf = False

    format = SelectField(_l("Format"), choices=[(f, f.upper()) for f in FORMATS], default="csv")
