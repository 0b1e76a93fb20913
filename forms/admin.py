from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from . import DateRange


class CalendarOverrideForm(FlaskForm):
    day = DateField("日期 Date", validators=[DataRequired("Enter a date. 请输入日期。"),
                                            DateRange(date(2000, 1, 1), date(2100, 12, 31))])
    kind = SelectField("类型 Kind", choices=[("holiday", "休息日 Holiday / day off"), ("workday", "调休上班 Make-up workday")])
    name = StringField("名称 Name", validators=[Optional(), Length(max=60)])


class CalendarYearForm(FlaskForm):
    year = IntegerField("年份 Year", validators=[DataRequired("Enter a year. 请输入年份。"), NumberRange(2000, 2100)])
    note = StringField("说明 Note", validators=[Optional(), Length(max=120)])
