"""Administrator pages: working-day calendar overrides, units, the rule set in force and the
permission matrix. Who may see each page is in the matrix itself (workflow/permissions.py)."""
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from forms import whole_number
from forms.admin import CalendarOverrideForm, CalendarYearForm
from forms.auth import EmptyForm
from models import CalendarOverride, CalendarYear, RuleSet, Unit, User, db
from workflow import calendar_admin, clock
from workflow import permissions as matrix
from workflow.calendar import WorkingDays
from workflow.errors import Refused
from workflow.i18n import _, pick
from workflow.rules import DEFAULTS
from workflow.terms import ROLES

from .access import load_in_scope, my_units

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/calendar", methods=["GET", "POST"])
def calendar():
    form, year_form = CalendarOverrideForm(prefix="day"), CalendarYearForm(prefix="year")
    status = 200
    if request.method == "POST":
        target = year_form if "year-year" in request.form else form
        if target.validate_on_submit():
            try:
                if target is form:
                    calendar_admin.set_override(db.session, current_user, form.day.data, form.kind.data == "workday", form.name.data)
                else:
                    calendar_admin.mark_year_entered(db.session, current_user, year_form.year.data, year_form.note.data)
                flash(_("Saved."), "success")
                return redirect(url_for("admin.calendar"))
            except Refused as exc:
                flash(exc.message, "error")
                status = exc.status
        else:
            status = 422
    overrides = db.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day.desc())).all()
    years = db.session.scalars(select(CalendarYear).order_by(CalendarYear.year)).all()
    working = WorkingDays.from_db(db.session)
    this_year = clock.today_local().year
    coverage = [(y, working.covers(y)) for y in range(this_year - 1, this_year + 3)]
    return render_template("admin/calendar.html", form=form, year_form=year_form, overrides=overrides, years=years,
                           coverage=coverage, delete_form=EmptyForm()), status


@bp.post("/calendar/<day>/delete")
def delete_override(day):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        calendar_admin.remove_override(db.session, current_user, date.fromisoformat(day))
        flash(_("Removed the override on %(day)s.", day=day), "success")
    except ValueError:
        abort(404, _("There is no such date."))
    except Refused as exc:
        flash(exc.message, "error")
    return redirect(url_for("admin.calendar"))


@bp.get("/rules")
def rules():
    rule_sets = db.session.scalars(select(RuleSet).order_by(RuleSet.version.desc())).all()
    return render_template("admin/rules.html", rule_sets=rule_sets, defaults=DEFAULTS)


@bp.route("/units", methods=["GET", "POST"])
def units():
    """Units and their supervising officers (who receive escalations), in the administrator's units."""
    all_units = db.session.scalars(select(Unit).where(Unit.id.in_(my_units())).order_by(Unit.code)).all()
    officers = db.session.scalars(select(User).where(User.role == "case_officer", User.active.is_(True)).order_by(User.username)).all()
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        unit = load_in_scope(Unit, request.form.get("unit_id", ""))
        raw = request.form.get("supervisor_id", "")
        user = db.session.get(User, whole_number(raw)) if whole_number(raw) else None
        if raw and user is None:  # empty clears the supervisor; anything else must be a user
            abort(404, _("There is no such user."))
        try:
            calendar_admin.set_supervisor(db.session, current_user, unit, user)
            flash(_("Saved the supervising officer of %(unit)s.", unit=unit.name), "success")
        except Refused as exc:
            flash(exc.message, "error")
        return redirect(url_for("admin.units"))
    return render_template("admin/units.html", units=all_units, officers=officers, form=form)


@bp.get("/permissions")
def permissions():
    """The permission matrix as it is enforced: every page and action by role, the workflow steps
    by role (from the workflow definitions), and the operator's commands."""
    return render_template("admin/permissions.html", rows=matrix.endpoint_rows(current_app), steps=matrix.step_rows(),
                           roles=matrix.ROLE_ORDER, role_names=ROLES, who=matrix.WHO, scopes=matrix.SCOPES,
                           subjects=matrix.SUBJECTS, commands=matrix.CLI_COMMANDS, pick=pick)
