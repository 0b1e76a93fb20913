"""Bulk work: the same domain functions as the single action, once per item, each item in its
own transaction, with a result per item — done, or refused with the reason the single action
would have given. Nothing here goes around the door: a case is loaded, scoped, locked and
version-checked by ``workflow.door``; an assessment is recorded by ``workflow.cadres``.

Also the two case-level actions that are not steps of a workflow (they do not change the state,
so they have no transition): assigning the responsible officer, and sending that officer a
reminder. Each bumps nothing but what it changes and writes its audit event in the same
transaction, exactly like a single action.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.exc import StaleDataError

from models import Cadre, Reminder, User

from . import audit, clock, door
from .access import may_manage_cadres, unit_scope
from .cadres import record_assessment
from .errors import Forbidden, InvalidData, NotFound, Refused, StaleCase, WrongState
from .i18n import _, _l, listing
from .imports import parse_result, year_problem
from .registry import workflow_for
from .terms import ASSESSMENT, ROLES, label

BULK_ROLES = frozenset({"case_officer", "administrator"})
MAX_ITEMS = 500
REMINDER_KIND = "manual"
STALE = _l("This case was changed by someone else after the list was shown, so nothing was done to it. Open it to see the "
           "change, then choose it again if this still applies.")


@dataclass
class ItemResult:
    key: str  # what the person reads: a case reference, "row 3 · 张三"
    done: bool
    message: str  # what was done, or why not
    reasons: tuple = ()
    case_id: int | None = None
    cadre_id: int | None = None


def _require(actor):
    if actor.role not in BULK_ROLES:
        raise Forbidden(_("Your role (%(role)s) may not do bulk work; it is for case officers and administrators.",
                          role=label(ROLES, actor.role)))


def run(session, items, work):
    """``work(item) -> ItemResult`` for every item; a refusal (or a concurrent change) becomes that
    item's result and never stops the others. Each ``work`` commits its own transaction."""
    results = []
    for item in items:
        try:
            results.append(work(item))
        except StaleDataError:
            session.rollback()
            results.append(_refused(item, StaleCase(str(STALE))))
        except Refused as exc:
            session.rollback()
            results.append(_refused(item, exc))
    return results


def _refused(item, exc):
    reasons = tuple(exc.reasons) + tuple(f"{v}" for v in exc.field_errors.values())
    key = getattr(item, "key", None) or str(item)
    return ItemResult(key=key, done=False, message=exc.message, reasons=reasons,
                      case_id=getattr(item, "case_id", None), cadre_id=getattr(item, "cadre_id", None))


# --- cases ------------------------------------------------------------------------------------

@dataclass
class CaseItem:
    case_id: int
    version: str | None = None  # the version the user saw on the list; None: no check
    key: str = ""


def parse_case_items(values):
    """``["12:3", "15:1"]`` (id:version as the list page posts them) → [CaseItem]; junk is dropped."""
    out, seen = [], set()
    for value in values:
        head, _, version = str(value).partition(":")
        if head.isdecimal() and len(head) < 12 and int(head) not in seen:
            seen.add(int(head))
            out.append(CaseItem(int(head), version if version.isdecimal() else None, key=f"#{head}"))
    return out[:MAX_ITEMS]


def officers_for_any(session, units):
    """Active case officers who work in at least one of ``units`` (unit ids), with how many of
    them they cover: the choice offered when assigning; a case outside an officer's units is refused."""
    people = session.scalars(select(User).where(User.role == "case_officer", User.active.is_(True)).order_by(User.display_name)).all()
    out = []
    for user in people:
        covered = len(set(units) & unit_scope(session, user))
        if covered:
            out.append((user, covered == len(set(units))))
    return out


def _open_case(session, actor, item):
    """The case, through the door's loading: in the actor's units, locked, at the version seen, open."""
    case = door.load_case_for(session, item.case_id, actor, lock=True)
    item.key = case.reference
    if item.version is not None and str(item.version) != str(case.version):
        raise StaleCase(str(STALE))
    if workflow_for(case.track).state(case.state).final:
        raise WrongState(_("%(reference)s is closed ('%(state)s').", reference=case.reference,
                           state=workflow_for(case.track).state(case.state).label))
    return case


def assign_officer(session, actor, item: CaseItem, officer_id) -> ItemResult:
    """Make ``officer_id`` the case's responsible officer (reminders go to them)."""
    _require(actor)
    return _through_the_door(session, _assign, session, actor, item, officer_id)


def _assign(session, actor, item, officer_id):
    case = _open_case(session, actor, item)
    officer = session.get(User, int(officer_id)) if str(officer_id).isdecimal() and len(str(officer_id)) < 10 else None
    if officer is None or not officer.active or officer.role != "case_officer":
        raise InvalidData(_("Choose an active case officer."))
    if case.unit_id not in unit_scope(session, officer):
        raise InvalidData(_("%(officer)s does not work in %(unit)s, the unit of %(reference)s.", officer=officer.display_name,
                            unit=case.unit.name, reference=case.reference))
    if case.officer_id == officer.id:
        raise InvalidData(_("%(reference)s is already assigned to %(officer)s.", reference=case.reference,
                            officer=officer.display_name))
    before = {"officer_id": case.officer_id, "version": case.version}
    case.officer_id = officer.id
    case.updated_at = clock.now()
    session.flush()  # the version counter moves here: a concurrent change fails instead of being lost
    audit.append(session, kind="case.assigned", actor=actor, case=case, at=clock.now(),
                 summary=_("%(reference)s: responsible officer %(officer)s", reference=case.reference,
                           officer=officer.display_name),
                 before=before, after={"officer_id": officer.id, "officer": officer.display_name, "version": case.version})
    return ItemResult(case.reference, True, _("Responsible officer: %(officer)s", officer=officer.display_name), case_id=case.id)


def _through_the_door(session, work, *args):
    """The door's transaction: commit on success, roll back on any refusal (a lost race says so)."""
    try:
        return door._committed(session, work, *args)
    except StaleCase as exc:
        if exc.message == door._stale_text():
            raise StaleCase(str(STALE)) from None
        raise


def responsible(session, case):
    """Who is reminded of a case: its assigned officer, else the officer who opened it."""
    return case.officer if case.officer_id else case.opened_by


def send_reminder(session, actor, item: CaseItem, message) -> ItemResult:
    """An in-app notification (and e-mail by the scheduler, if the person wants it) to the case's
    responsible officer; at most one such reminder per case, person and day."""
    _require(actor)
    message = (message or "").strip()
    if not message:
        raise InvalidData(_("Write what the reminder is about."))
    return _through_the_door(session, _remind, session, actor, item, message[:1000])


def _remind(session, actor, item, message):
    case = _open_case(session, actor, item)
    person = responsible(session, case)
    if person is None or not person.active:
        raise InvalidData(_("%(reference)s has no active responsible officer: assign one first.", reference=case.reference))
    if case.unit_id not in unit_scope(session, person):
        raise InvalidData(_("%(officer)s no longer works in %(unit)s: assign an officer first.", officer=person.display_name,
                            unit=case.unit.name))
    now = clock.now()
    values = dict(kind=REMINDER_KIND, subject=f"case:{case.id}", due_on=clock.local_date(now), recipient_id=person.id,
                  case_id=case.id, cadre_id=case.cadre_id, unit_id=case.unit_id, escalation=False, created_at=now,
                  message=_("Reminder from %(sender)s — %(reference)s: %(message)s", sender=actor.display_name,
                            reference=case.reference, message=message),
                  email_status=("pending" if person.email else "no_address") if person.email_reminders else "off")
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Reminder).values(**values).on_conflict_do_nothing(
        index_elements=["kind", "subject", "due_on", "recipient_id"]).returning(Reminder.id)
    inserted = session.execute(statement).first()
    if inserted is None:
        raise InvalidData(_("%(officer)s was already reminded of %(reference)s today.", officer=person.display_name,
                            reference=case.reference))
    audit.append(session, kind="reminder.sent", actor=actor, case=case, at=now,
                 summary=_("%(reference)s: reminder sent to %(officer)s", reference=case.reference, officer=person.display_name),
                 after={"reminder_id": inserted[0], "recipient_id": person.id, "message": message})
    return ItemResult(case.reference, True, _("Reminded: %(officer)s", officer=person.display_name), case_id=case.id)


# --- annual assessments -------------------------------------------------------------------------

@dataclass
class AssessmentItem:
    row: int
    cadre_id: int | None
    year: str
    result: str
    key: str = ""


def record_one_assessment(session, actor, item: AssessmentItem, scope=None) -> ItemResult:
    """One row: checked as the cadre page's form checks it, then ``cadres.record_assessment``."""
    if not may_manage_cadres(actor):
        raise Forbidden(_("Only case officers and administrators record assessments."))
    scope = unit_scope(session, actor) if scope is None else scope
    cadre = session.get(Cadre, item.cadre_id) if item.cadre_id else None
    if cadre is None or cadre.unit_id not in scope:
        raise NotFound(_("There is no such cadre in your units."))
    item.key = _("Row %(row)s · %(name)s", row=item.row, name=cadre.name)
    try:
        year = int(str(item.year).strip())
    except ValueError:
        raise InvalidData(_("'%(value)s' is not a year.", value=item.year)) from None
    problem = year_problem(year)
    if problem:
        raise InvalidData(problem)
    result = parse_result(item.result)
    if result is None:
        raise InvalidData(_("Choose a result (%(results)s).", results=listing(label(ASSESSMENT, c) for c in ASSESSMENT)))
    try:
        proposal = record_assessment(session, actor, cadre, year, result)
    except Exception:
        session.rollback()
        raise
    if proposal is None:
        text = _("%(year)s: %(result)s", year=year, result=label(ASSESSMENT, result))
    else:
        text = _("%(year)s: %(result)s — adjustment proposed in the intake inbox (%(reason)s)", year=year,
                 result=label(ASSESSMENT, result), reason=proposal.content)
    return ItemResult(item.key, True, text, cadre_id=cadre.id)
