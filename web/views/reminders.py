"""Notification centre, deadlines page, the user's e-mail preference, scheduler health."""
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select, update

from forms import whole_number
from forms.auth import EmptyForm
from models import Reminder, SchedulerJob, db
from workflow import accounts, clock
from workflow.calendar import WorkingDays
from workflow.deadlines import due_items
from workflow.errors import Refused
from workflow.i18n import _, _l
from workflow.rules import active_rule_set, rules_of
from workflow.scheduler import JOBS

from ..helpers import safe_next
from .access import my_units

bp = Blueprint("reminders", __name__)
# The scheduler's jobs (workflow/scheduler.JOBS, described there in English for the logs), as the
# deadlines page names them.
JOB_DESCRIPTIONS = {"reminders": _l("Create due reminders and e-mail them")}


@bp.app_context_processor
def unread_count():
    if not getattr(current_user, "is_authenticated", False):
        return {"unread": 0}
    count = db.session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.recipient_id == current_user.id, Reminder.read_at.is_(None)))
    return {"unread": count}


@bp.get("/notifications")
def notifications():
    size = current_app.config["PAGE_SIZE"]
    raw = request.args.get("page", "1")
    page = max(1, min(int(raw), 100000)) if raw.isdecimal() else 1
    only_unread = request.args.get("unread") == "1"
    query = select(Reminder).where(Reminder.recipient_id == current_user.id)
    if only_unread:
        query = query.where(Reminder.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.order_by(Reminder.read_at.is_not(None), Reminder.due_on, Reminder.id.desc())
                               .offset((page - 1) * size).limit(size)).all()
    return render_template("reminders/notifications.html", items=items, page=page, pages=max(1, -(-total // size)),
                           total=total, form=EmptyForm(), only_unread=only_unread, today=clock.today_local())


@bp.post("/notifications/read")
def mark_read():
    if not EmptyForm().validate_on_submit():
        abort(400)
    query = update(Reminder).where(Reminder.recipient_id == current_user.id, Reminder.read_at.is_(None))
    one = request.form.get("id", "")
    if one:  # one notification; an id that is not one marks nothing
        query = query.where(Reminder.id == (whole_number(one) or 0))
    db.session.execute(query.values(read_at=clock.now()))
    db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("reminders.notifications")))


@bp.get("/deadlines")
def deadlines():
    """Everything due in the user's units within 30 days, overdue first."""
    today = clock.today_local()
    rules = rules_of(active_rule_set(db.session))
    scope = my_units()
    items = due_items(db.session, today, rules, WorkingDays.from_db(db.session), horizon_days=30, units=scope)
    items = [i for i in items if i.due_on <= today + timedelta(days=30)]
    # Overdue actions first, then what is coming, then informational dates already passed.
    items.sort(key=lambda i: (0 if i.due_on < today and i.expects_action else 2 if i.due_on < today else 1, i.due_on, i.kind))
    health = None
    if current_user.role == "administrator":
        health = [(spec, db.session.get(SchedulerJob, spec.id)) for spec in JOBS]
    return render_template("reminders/deadlines.html", items=items, today=today, health=health,
                           job_descriptions=JOB_DESCRIPTIONS)


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            email = request.form.get("email")  # absent: leave the address as it is
            accounts.set_email_reminders(db.session, current_user, request.form.get("email_reminders") == "on",
                                         email[:200] if email is not None else None)
        except Refused as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("reminders/account.html", form=form, typed=request.form.get("email", "")), 422
        flash(_("Saved."), "success")
        return redirect(url_for("reminders.account"))
    return render_template("reminders/account.html", form=form)
