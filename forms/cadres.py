from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from workflow.terms import EDUCATION, RANKS, choices

from . import DateRange, optional_id, strict_checkbox

REQUIRED = "This field is required. 此项必填。"


class CadreForm(FlaskForm):
    version = HiddenField(validators=[Length(max=12)])
    name = StringField("姓名 Name", validators=[DataRequired(REQUIRED), Length(max=60)])
    gender = SelectField("性别 Gender", choices=[("", "—"), ("male", "男 Male"), ("female", "女 Female")], validators=[Optional()])
    birth_date = DateField("出生日期 Date of birth", validators=[Optional(), DateRange()])
    education = SelectField("学历 Education", choices=choices(EDUCATION), validators=[DataRequired(REQUIRED)])
    unit_id = SelectField("单位 Unit", coerce=int, validators=[DataRequired(REQUIRED)])
    position_id = SelectField("现任职务 Current post", coerce=optional_id, validators=[Optional()])
    rank = SelectField("职级 Rank", choices=choices(RANKS), validators=[DataRequired(REQUIRED)])
    rank_since = DateField("任现职级时间 Rank since", validators=[InputRequired(REQUIRED), DateRange()])
    post_since = DateField("任现职时间 In post since", validators=[Optional(), DateRange()])
    work_start = DateField("参加工作时间 Started work", validators=[InputRequired(REQUIRED), DateRange()])
    grassroots_years = IntegerField("基层工作年限 Years at grassroots", default=0,
                                    validators=[Optional(), NumberRange(0, 60, "Between 0 and 60. 0到60之间。")])
    last_promotion_on = DateField("最近提拔时间 Last promoted", validators=[Optional(), DateRange()])
    probation_until = DateField("试用期至 On probation until", validators=[Optional(), DateRange()])
    political_discipline_problem = BooleanField("有严重违反政治纪律问题 Serious political-discipline problem", validators=[strict_checkbox])
    canvassing_found = BooleanField("有跑官要官、拉票行为 Seeking office or canvassing found", validators=[strict_checkbox])
    family_emigrated = BooleanField("配偶子女均已移居国（境）外 Spouse and all children emigrated", validators=[strict_checkbox])
    notes = TextAreaField("备注 Notes", validators=[Optional(), Length(max=4000)])

    def validate_work_start(self, field):
        if self.birth_date.data and field.data and field.data <= self.birth_date.data:
            raise ValidationError("Work cannot start before birth. 参加工作时间应晚于出生日期。")


class AssessmentForm(FlaskForm):
    year = IntegerField("年度 Year", validators=[DataRequired(REQUIRED), NumberRange(1980, 2100, "Enter a year. 请输入年份。")])
    result = SelectField("结果 Result", validators=[DataRequired(REQUIRED)])
