from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from workflow.terms import CLUE_CATEGORIES, choices

from . import optional_id

REQUIRED = "This field is required. 此项必填。"


class ClueForm(FlaskForm):
    unit_id = SelectField("单位 Unit", coerce=optional_id, validators=[DataRequired(REQUIRED)])
    cadre_name = StringField("被反映干部姓名 Name of the cadre", validators=[DataRequired(REQUIRED), Length(max=60)])
    category = SelectField("问题类别 Category", choices=[("", "—")] + choices(CLUE_CATEGORIES), validators=[DataRequired(REQUIRED)])
    content = TextAreaField("反映内容 What happened", validators=[DataRequired(REQUIRED), Length(max=4000)])
    reporter_name = StringField("您的姓名（可不填，匿名亦可）Your name (optional; you may stay anonymous)", validators=[Optional(), Length(max=60)])
    reporter_contact = StringField("联系方式（可不填）Contact (optional)", validators=[Optional(), Length(max=120)])


class SelfRecommendationForm(FlaskForm):
    unit_id = SelectField("所在单位 Your unit", coerce=optional_id, validators=[DataRequired(REQUIRED)])
    cadre_name = StringField("姓名 Your name", validators=[DataRequired(REQUIRED), Length(max=60)])
    content = TextAreaField("自荐理由及工作实绩 Why you recommend yourself, with evidence of results",
                            validators=[DataRequired(REQUIRED), Length(max=4000)])
    reporter_contact = StringField("联系方式 Contact", validators=[DataRequired(REQUIRED), Length(max=120)])


class StatusForm(FlaskForm):
    class Meta:
        csrf = False

    code = StringField("回执编号 Receipt code", validators=[DataRequired(REQUIRED), Length(max=16)])


class AcceptForm(FlaskForm):
    cadre_id = SelectField("对应干部 The cadre", coerce=optional_id, validators=[Optional()])
    position_id = SelectField("拟任职位（自我推荐）Post (self-recommendation)", coerce=optional_id,
                              validators=[Optional()])


class DismissForm(FlaskForm):
    reason = TextAreaField("不予受理理由 Reason", validators=[DataRequired(REQUIRED), Length(max=2000)])


class FeedbackForm(FlaskForm):
    feedback = TextAreaField("向反映人反馈 Feedback to the reporter", validators=[DataRequired(REQUIRED), Length(max=2000)])
