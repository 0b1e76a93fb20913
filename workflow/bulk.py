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
from .imports import parse_result, year_problem
from .registry import workflow_for
from .terms import ASSESSMENT, ROLES, label

BULK_ROLES = frozenset({"case_officer", "administrator"})
MAX_ITEMS = 500
REMINDER_KIND = "manual"
STALE = ("This case was changed by someone else after the list was shown, so nothing was done to it. Open it to see the "
         "change, then choose it again if this still applies. 案件在列表显示后已被他人更新，本项未办理，请查看后重新选择。")


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
        raise Forbidden(f"Your role ({label(ROLES, actor.role)}) may not do bulk work; it is for case officers and administrators. "
                        "批量办理仅限干部工作人员和系统管理员。")


def run(session, items, work):
    """``work(item) -> ItemResult`` for every item; a refusal (or a concurrent change) becomes that
    item's result and never stops the others. Each ``work`` commits its own transaction."""
    results = []
    for item in items:
        try:
            results.append(work(item))
        except StaleDataError:
            session.rollback()
            results.append(_refused(item, StaleCase(STALE)))
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
        raise StaleCase(STALE)
    if workflow_for(case.track).state(case.state).final:
        raise WrongState(f"{case.reference} is closed ('{workflow_for(case.track).state(case.state).label}'). 案件已办结。")
    return case


def assign_officer(session, actor, item: CaseItem, officer_id) -> ItemResult:
    """Make ``officer_id`` the case's responsible officer (reminders go to them)."""
    _require(actor)
    return _through_the_door(session, _assign, session, actor, item, officer_id)


def _assign(session, actor, item, officer_id):
    case = _open_case(session, actor, item)
    officer = session.get(User, int(officer_id)) if str(officer_id).isdecimal() and len(str(officer_id)) < 10 else None
    if officer is None or not officer.active or officer.role != "case_officer":
        raise InvalidData("Choose an active case officer. 请选择在岗的干部工作人员。")
    if case.unit_id not in unit_scope(session, officer):
        raise InvalidData(f"{officer.display_name} does not work in {case.unit.name}, the unit of {case.reference}. "
                          f"{officer.display_name}不负责该案件所在单位。")
    if case.officer_id == officer.id:
        raise InvalidData(f"{case.reference} is already assigned to {officer.display_name}. 该案件已由其承办。")
    before = {"officer_id": case.officer_id, "version": case.version}
    case.officer_id = officer.id
    case.updated_at = clock.now()
    session.flush()  # the version counter moves here: a concurrent change fails instead of being lost
    audit.append(session, kind="case.assigned", actor=actor, case=case, at=clock.now(),
                 summary=f"{case.reference}: responsible officer {officer.display_name}",
                 before=before, after={"officer_id": officer.id, "officer": officer.display_name, "version": case.version})
    return ItemResult(case.reference, True, f"承办人 Officer: {officer.display_name}", case_id=case.id)


def _through_the_door(session, work, *args):
    """The door's transaction: commit on success, roll back on any refusal (a lost race says so)."""
    try:
        return door._committed(session, work, *args)
    except StaleCase as exc:
        if exc.message == door._stale_text():
            raise StaleCase(STALE) from None
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
        raise InvalidData("Write what the reminder is about. 请填写提醒内容。")
    return _through_the_door(session, _remind, session, actor, item, message[:1000])


def _remind(session, actor, item, message):
    case = _open_case(session, actor, item)
    person = responsible(session, case)
    if person is None or not person.active:
        raise InvalidData(f"{case.reference} has no active responsible officer: assign one first. 该案件没有在岗承办人，请先指定。")
    if case.unit_id not in unit_scope(session, person):
        raise InvalidData(f"{person.display_name} no longer works in {case.unit.name}: assign an officer first. "
                          f"{person.display_name}已不负责该单位，请先指定承办人。")
    now = clock.now()
    values = dict(kind=REMINDER_KIND, subject=f"case:{case.id}", due_on=clock.local_date(now), recipient_id=person.id,
                  case_id=case.id, cadre_id=case.cadre_id, unit_id=case.unit_id, escalation=False, created_at=now,
                  message=f"提醒 Reminder from {actor.display_name} — {case.reference}: {message}",
                  email_status=("pending" if person.email else "no_address") if person.email_reminders else "off")
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Reminder).values(**values).on_conflict_do_nothing(
        index_elements=["kind", "subject", "due_on", "recipient_id"]).returning(Reminder.id)
    inserted = session.execute(statement).first()
    if inserted is None:
        raise InvalidData(f"{person.display_name} was already reminded of {case.reference} today. 今天已提醒过。")
    audit.append(session, kind="reminder.sent", actor=actor, case=case, at=now,
                 summary=f"{case.reference}: reminder sent to {person.display_name}",
                 after={"reminder_id": inserted[0], "recipient_id": person.id, "message": message})
    return ItemResult(case.reference, True, f"已提醒 Reminded: {person.display_name}", case_id=case.id)


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
        raise Forbidden("Only case officers and administrators record assessments. 只有干部工作人员和管理员可以录入考核结果。")
    scope = unit_scope(session, actor) if scope is None else scope
    cadre = session.get(Cadre, item.cadre_id) if item.cadre_id else None
    if cadre is None or cadre.unit_id not in scope:
        raise NotFound("There is no such cadre in your units. 您所辖单位中没有该干部。")
    item.key = f"{item.row} · {cadre.name}"
    try:
        year = int(str(item.year).strip())
    except ValueError:
        raise InvalidData(f"'{item.year}' is not a year. 年度无效。") from None
    problem = year_problem(year)
    if problem:
        raise InvalidData(problem)
    result = parse_result(item.result)
    if result is None:
        raise InvalidData(f"Choose a result ({', '.join(label(ASSESSMENT, c) for c in ASSESSMENT)}). 请选择考核结果。")
    try:
        proposal = record_assessment(session, actor, cadre, year, result)
    except Exception:
        session.rollback()
        raise
    text = f"{year}: {label(ASSESSMENT, result)}"
    if proposal is not None:
        text += f" — 已提出调整建议 adjustment proposed in the intake inbox ({proposal.content})"
    return ItemResult(item.key, True, text, cadre_id=cadre.id)
