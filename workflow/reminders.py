"""One reminder pass: find what is due, create each reminder once, then e-mail it at most once.

Exactly once in the app: every reminder has a unique key (kind, subject, due date, recipient)
and is inserted with ON CONFLICT DO NOTHING, so a second pass, a second scheduler or a pass
after a crash finds the row and sends nothing. E-mail is claimed (pending → sending) in its own
commit before the SMTP call, so a crash after sending can never send it again; a failure that
certainly did not send (an SMTP error) is retried on later passes, up to three attempts.

Language: a pass run by the scheduler or a command (outside any request) writes its reminders and
e-mails in DEFAULT_LANGUAGE; they are stored as written. A pass inside a request (not the usual
case) writes in that request's language.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import has_request_context
from flask_babel import force_locale
from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from models import Reminder, Unit, User

from . import clock
from .access import unit_scope
from .calendar import WorkingDays
from .deadlines import due_items
from .i18n import _, language
from .rules import active_rule_set, rules_of

MAX_EMAIL_ATTEMPTS = 3


@dataclass
class PassResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    emailed: int = 0

    def line(self):
        return f"sent: {self.sent}, skipped (already sent): {self.skipped}, failed: {self.failed}, e-mailed: {self.emailed}"


@contextmanager
def speaking():
    """Messages made in here come out in language(): the request's, else DEFAULT_LANGUAGE. Outside a
    request Flask-Babel would otherwise ask the request for its locale."""
    if has_request_context():
        yield
        return
    with force_locale(language()):
        yield


def run_once(session, now: datetime | None = None, mailer=None) -> PassResult:
    with speaking():
        return _run_once(session, now, mailer)


def _run_once(session, now, mailer) -> PassResult:
    now = now or clock.now()
    today = clock.local_date(now)
    rules = rules_of(active_rule_set(session))
    calendar = WorkingDays.from_db(session)
    result = PassResult()
    recipients = _Recipients(session)
    items = due_items(session, today, rules, calendar)
    # Reminders already there are known from one query per thousand items, not one insert each:
    # a pass that finds everything sent (the usual case every five minutes) writes nothing.
    existing = _existing_keys(session, items)
    for item in items:
        targets = [(user, False) for user in recipients.for_item(item)]
        if item.expects_action and today >= item.due_on + timedelta(days=rules["escalation_days"]):
            targets += [(user, True) for user in recipients.supervisors(item.unit_id)]
        inserted = False
        for user, escalation in targets:
            if (_kind(item, escalation), item.subject, item.due_on, user.id) in existing:
                result.skipped += 1
            elif _insert(session, item, user, escalation, now):
                result.sent += 1
                inserted = True
            else:
                result.skipped += 1
        if inserted:
            session.commit()
    session.commit()
    _email(session, mailer, now, result)
    return result


def _kind(item, escalation):
    return f"{item.kind}.escalated" if escalation else item.kind


def _existing_keys(session, items, chunk=1000):
    keys = set()
    kinds = {k for item in items for k in (item.kind, _kind(item, True))}
    subjects = sorted({item.subject for item in items})
    for i in range(0, len(subjects), chunk):
        keys.update(session.execute(
            select(Reminder.kind, Reminder.subject, Reminder.due_on, Reminder.recipient_id)
            .where(Reminder.kind.in_(kinds), Reminder.subject.in_(subjects[i:i + chunk]))).tuples())
    return keys


def _insert(session, item, user, escalation, now) -> bool:
    kind = _kind(item, escalation)
    if escalation:
        message = _("Escalation: %(title)s — %(reference)s: %(text)s", title=item.title, reference=item.reference, text=item.text)
    else:
        message = _("%(title)s — %(reference)s: %(text)s", title=item.title, reference=item.reference, text=item.text)
    values = dict(
        kind=kind, subject=item.subject, due_on=item.due_on, recipient_id=user.id, case_id=item.case_id,
        cadre_id=item.cadre_id, unit_id=item.unit_id, escalation=escalation, created_at=now, message=str(message),
        email_status=("pending" if user.email else "no_address") if user.email_reminders else "off",
    )
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Reminder).values(**values).on_conflict_do_nothing(
        index_elements=["kind", "subject", "due_on", "recipient_id"]).returning(Reminder.id)
    # RETURNING gives a row only when inserted (rowcount is -1 with psycopg's implicit RETURNING).
    return session.execute(statement).first() is not None


def _email(session, mailer, now, result):
    if mailer is None:  # no SMTP configured: every pending reminder stays in the app, in one statement
        session.execute(update(Reminder).where(Reminder.email_status == "pending").values(email_status="unconfigured"))
        session.commit()
        return
    waiting = select(Reminder.id).where(or_(
        Reminder.email_status == "pending",
        (Reminder.email_status == "failed") & (Reminder.email_attempts < MAX_EMAIL_ATTEMPTS),
    )).order_by(Reminder.id)
    for reminder_id in session.scalars(waiting).all():
        claimed = session.execute(
            update(Reminder).where(Reminder.id == reminder_id, Reminder.email_status.in_(("pending", "failed")))
            .values(email_status="sending", email_attempts=Reminder.email_attempts + 1)
        ).rowcount
        session.commit()
        if claimed != 1:
            continue  # another scheduler has it
        reminder = session.get(Reminder, reminder_id)
        if not (reminder.recipient.email_reminders and reminder.recipient.email):
            reminder.email_status = "off"  # the user turned e-mail off since: respect it
            session.commit()
            continue
        try:
            mailer.send(reminder.recipient.email, f"[Cadreflow] {reminder.message[:120]}", _body(reminder))
        except (OSError, ValueError) as exc:  # smtplib errors are OSErrors: certainly not delivered
            reminder.email_status, reminder.email_error = "failed", f"{type(exc).__name__}: {exc}"[:500]
            result.failed += 1
        else:
            reminder.email_status, reminder.email_sent_at, reminder.email_error = "sent", now, ""
            result.emailed += 1
        session.commit()


def _body(reminder):
    case = _("Case: %(reference)s", reference=reminder.case.reference) if reminder.case else ""
    return (f"{reminder.message}\n\n{case}\n"
            + _("Open Cadreflow to act on it; you can turn these e-mails off under your account.") + "\n")


class _Recipients:
    """Who hears of an item: the case's opener, else the case officers of the unit."""

    def __init__(self, session):
        self.session = session
        people = session.scalars(select(User).where(User.role.in_(("case_officer", "discipline_liaison")),
                                                    User.active.is_(True))).all()
        self.people = [(user, unit_scope(session, user)) for user in people]
        self.officers = [(user, scope) for user, scope in self.people if user.role == "case_officer"]
        self.units = {u.id: u for u in session.scalars(select(Unit))}

    def for_item(self, item):
        if item.owner_id:
            owner = next((u for u, scope in self.people if u.id == item.owner_id and item.unit_id in scope), None)
            if owner is not None:
                return [owner]
        return [user for user, scope in self.officers if item.unit_id in scope]

    def supervisors(self, unit_id):
        """The unit's active supervising officer, or the nearest active one above it."""
        unit = self.units.get(unit_id)
        while unit is not None:
            if unit.supervisor_id:
                supervisor = self.session.get(User, unit.supervisor_id)
                if supervisor is not None and supervisor.active:
                    return [supervisor]
            unit = self.units.get(unit.parent_id)
        return []
