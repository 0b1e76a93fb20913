"""Notification centre, deadlines page, the user's e-mail preference, scheduler health."""
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select, update

from forms import whole_number
from forms.auth import EmptyForm
from models import Reminder, SchedulerJob, Unit, db
from workflow import accounts, clock
from workflow.calendar import WorkingDays
from workflow.deadlines import due_items
from workflow.errors import Refused
from workflow.i18n import _, _l
from workflow.rules import active_rule_set, rules_of
from workflow.scheduler import JOBS

from ..helpers import ListSort, page_arg, safe_next
from .access import my_units

bp = Blueprint("reminders", __name__)
# The scheduler's jobs (workflow/scheduler.JOBS, described there in English for the logs), as the
# deadlines page names them.
JOB_DESCRIPTIONS = {"reminders": _l("Create due reminders and e-mail them")}
# The notification centre sorts by the due date, by the reminder's text (which starts with its kind's
# title), or unread first (the default); the newest reminder first among equals. One person's
# reminders only (ix_reminder_recipient_unread): a small set, whatever the order.
NOTIFICATION_SORTS = {"read": "asc", "date": "asc", "kind": "asc"}
# The deadlines page sorts by due date (the default: overdue actions first, then what is coming, then
# informational dates already passed), by the item's kind (its title), by case (its reference, or
# the cadre's name) or by unit (its name); ties by date, kind and subject, which name one item.
DEADLINE_SORTS = {"due": "asc", "kind": "asc", "case": "asc", "unit": "asc"}


UNREAD_BADGE_LIMIT = 99


@bp.app_context_processor
def unread_count():
    if not getattr(current_user, "is_authenticated", False):
        return {"unread": 0}
    # Counted up to the badge's limit: the badge says "99+" beyond it, and a province officer
    # whose inbox holds tens of thousands of unread reminders does not pay to count them on every page.
    unread = select(Reminder.id).where(Reminder.recipient_id == current_user.id, Reminder.read_at.is_(None))
    count = db.session.scalar(select(func.count()).select_from(unread.limit(UNREAD_BADGE_LIMIT + 1).subquery()))
    return {"unread": count if count <= UNREAD_BADGE_LIMIT else f"{UNREAD_BADGE_LIMIT}+"}


@bp.get("/notifications")
def notifications():
    size = current_app.config["PAGE_SIZE"]
    page = page_arg()
    sort = ListSort(NOTIFICATION_SORTS, "read")
    only_unread = request.args.get("unread") == "1"
    query = select(Reminder).where(Reminder.recipient_id == current_user.id)
    if only_unread:
        query = query.where(Reminder.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    column = {"read": Reminder.read_at.is_not(None), "date": Reminder.due_on, "kind": Reminder.message}[sort.key]
    order = [column.desc() if sort.descending else column.asc()]
    if sort.key == "read":
        order.append(Reminder.due_on)
    items = db.session.scalars(query.order_by(*order, Reminder.id.desc()).offset((page - 1) * size).limit(size)).all()
    return render_template("reminders/notifications.html", items=items, page=page, pages=max(1, -(-total // size)),
                           total=total, form=EmptyForm(), only_unread=only_unread, today=clock.today_local(), sort=sort)


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
    """Everything due in the user's units within 30 days, overdue first (or sorted as asked), a page at a time."""
    today = clock.today_local()
    rules = rules_of(active_rule_set(db.session))
    scope = my_units()
    items = due_items(db.session, today, rules, WorkingDays.from_db(db.session), horizon_days=30, units=scope)
    items = [i for i in items if i.due_on <= today + timedelta(days=30)]
    sort = ListSort(DEADLINE_SORTS, "due")
    unit_ids = sorted({i.unit_id for i in items})
    units = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    items = _sorted_items(items, sort, today, units)
    size = current_app.config["PAGE_SIZE"]
    page = page_arg()
    total = len(items)
    health = None
    if current_user.role == "administrator":
        health = [(spec, db.session.get(SchedulerJob, spec.id)) for spec in JOBS]
    return render_template("reminders/deadlines.html", items=items[(page - 1) * size:page * size], today=today,
                           health=health, job_descriptions=JOB_DESCRIPTIONS, sort=sort, units=units, page=page,
                           pages=max(1, -(-total // size)), total=total)


def _sorted_items(items, sort, today, units):
    def one(i):  # date, kind and subject name one item: the order is total
        return i.due_on, i.kind, i.subject

    if sort.key == "due" and not sort.descending:
        # Overdue actions first, then what is coming, then informational dates already passed.
        return sorted(items, key=lambda i: (0 if i.due_on < today and i.expects_action else 2 if i.due_on < today else 1, *one(i)))
    if sort.key == "due":
        return sorted(items, key=one, reverse=True)
    primary = {"kind": lambda i: str(i.title), "case": lambda i: i.reference,
               "unit": lambda i: units.get(i.unit_id, "")}[sort.key]
    return sorted(sorted(items, key=one), key=primary, reverse=sort.descending)  # stable: ties keep date order


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
