from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from forms.auth import EmptyForm, LoginForm
from models import db
from workflow import accounts

from ..helpers import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.username.data, form.password.data,
                                     address=request.remote_addr or "")
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next"), url_for("cases.index")))
        flash("Wrong username or password. 用户名或密码错误。", "error")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form), 422 if request.method == "POST" else 200


@bp.post("/logout")
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
        flash("You have signed out. 已退出登录。", "info")
    return redirect(url_for("auth.login"))


@bp.app_context_processor
def inject_logout_form():
    return {"logout_form": EmptyForm(), "me": current_user}
