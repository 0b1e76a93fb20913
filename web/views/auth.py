from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from forms.auth import EmptyForm, LoginForm
from models import db
from workflow import clock, signin
from workflow.i18n import _

from .. import security
from ..helpers import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        outcome = signin.sign_in(db.session, form.username.data, form.password.data, address=request.remote_addr or "",
                                 limits=signin.Limits.from_config(current_app.config))
        if outcome.ok:
            login_user(outcome.user)
            security.start_session()
            return redirect(safe_next(request.args.get("next"), url_for("cases.index")))
        if outcome.locked_until is None:
            flash(_("Wrong username or password."), "error")
            return render_template("login.html", form=form), 401
        if not outcome.refused:
            flash(_("Wrong username or password."), "error")
        flash(locked_message(outcome.locked_until), "error")
        seconds = max(1, int((outcome.locked_until - clock.now()).total_seconds()))
        return render_template("login.html", form=form), 429, {"Retry-After": str(seconds)}
    return render_template("login.html", form=form), 422 if request.method == "POST" else 200


def locked_message(until):
    """Says when to try again; the same words for any username, known or not."""
    at = until.astimezone(clock.LOCAL_TZ)
    if at.second or at.microsecond:  # round up: never name a minute that is still locked
        at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    when = at.strftime("%H:%M") if at.date() == clock.today_local() else at.strftime("%Y-%m-%d %H:%M")
    return _("Too many failed sign-ins: signing in is paused until %(when)s (Beijing time). Please try again then.",
             when=when)


@bp.post("/logout")
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
        security.end_session()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.app_context_processor
def inject_logout_form():
    return {"logout_form": EmptyForm(), "me": current_user}
