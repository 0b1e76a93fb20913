from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from workflow.i18n import _l

from . import DateRange


class CalendarOverrideForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date.")),
                                            DateRange(date(2000, 1, 1), date(2100, 12, 31))])
    kind = SelectField(_l("Kind"), choices=[("holiday", _l("Holiday / day off")), ("workday", _l("Make-up workday"))])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=60)])


class CalendarYearForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(_l("Enter a year.")), NumberRange(2000, 2100)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=120)])
