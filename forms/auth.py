from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("用户名 Username", validators=[DataRequired("Enter your username. 请输入用户名。"), Length(max=60)])
    password = PasswordField("密码 Password", validators=[DataRequired("Enter your password. 请输入密码。"), Length(max=200)])


class EmptyForm(FlaskForm):
    """CSRF only: for one-click actions such as signing out."""
