"""The one door: every change of a case's state goes through ``advance`` (or ``open_case``).

It checks role and unit, the version the user saw, the state, the data and the guards; then
writes the new state, the step record and the audit event in one transaction and commits.
Nothing else assigns ``Case.state``.
"""
import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from models import Cadre, Case, Position, StepRecord, db
from models.case import TRACK_NAMES

from . import audit, clock
from .access import READ_ALL_ROLES, unit_scope
from .calendar import WorkingDays
from .context import Ctx
from .definition import DataError, clean
from .errors import Forbidden, GuardFailed, InvalidData, NotFound, StaleCase, WrongState
from .i18n import _, listing, pick
from .registry import machine_for, workflow_for
from .rules import active_rule_set, rules_by_id, rules_of
from .terms import ROLES, label


@dataclass
class Outcome:
    case: Case
    record: StepRecord
    from_state: str | None
    to_state: str


class _Ctx(Ctx):
    """Ctx that remembers guard results so the machine's conditions and the door agree."""

    def passes(self, transition):
        return not self.reasons_for(transition)

    def reasons_for(self, transition):
        cache = self.extra.setdefault("_guards", {})
        if id(transition) not in cache:
            reasons = guard_reasons(transition, self)
            if not reasons and transition.when is not None and not transition.when(self):
                reasons = ["(another branch applies)"]
            cache[id(transition)] = reasons
        return cache[id(transition)]


def guard_reasons(transition, ctx) -> list[str]:
    """The sentences of every guard that fails; data guards only once data is given."""
    out = []
    for guard in transition.guards:
        if guard.needs_data and ctx.data is None:
            continue
        result = guard.check(ctx)
        if result:
            out.extend([result] if isinstance(result, str) else result)
    return out


def make_ctx(session, case, actor, data=None, now=None, calendar=None, tokens=None):
    """``tokens``: the change tokens this transaction has read (``Scope.tokens``), so the rule set
    and the calendar kept under them are used without reading them again."""
    now = now or clock.now()
    if tokens:
        rules = rules_by_id(session, case.rule_set_id, tokens.get("rule_set"))
        calendar = calendar or WorkingDays.from_db(session, tokens.get("calendar"))
    else:
        rules = rules_of(case.rule_set)
        calendar = calendar or WorkingDays.from_db(session)
    return _Ctx(session=session, case=case, actor=actor, now=now, today=clock.local_date(now), rules=rules,
                calendar=calendar, data=data)


def load_case_for(session, case_id, actor, lock=False) -> Case:
    """The case if it is in the actor's units; otherwise NotFound (404), whether it exists or not."""
    from .permissions import load_in_scope

    return load_in_scope(session, actor, Case, case_id, lock=lock)


def role_refusal(actor, allowed_roles) -> Forbidden:
    """A role that may not take a step. Administrators and auditors act on no case at all
    (domain.md: they keep the system and read the record), and are told so."""
    from .permissions import ADMIN_NO_CASE_ACTIONS

    names = listing(label(ROLES, r) for r in sorted(allowed_roles))
    text = _("Your role (%(role)s) may not do this; it is for: %(roles)s.", role=label(ROLES, actor.role), roles=names)
    if actor.role == "administrator":
        text = f"{text}{pick(' ', '')}{ADMIN_NO_CASE_ACTIONS}"
    return Forbidden(text)


def available_actions(session, case, actor, now=None, ctx=None):
    """[(transition, reasons)] for the triggers this actor's role may use in the case's state
    (``ctx``: the page's own, when it has made one)."""
    workflow = workflow_for(case.track)
    ctx = ctx or make_ctx(session, case, actor, now=now)
    out = []
    for transition in workflow.from_state(case.state):
        if actor.role not in transition.roles:
            continue
        branches = workflow.candidates(case.state, transition.trigger)
        reason_sets = [guard_reasons(b, ctx) for b in branches]
        reasons = [] if any(not r for r in reason_sets) else _unique(r for rs in reason_sets for r in rs)
        out.append((transition, reasons))
    return out


def advance(case_id, trigger, actor, data=None, expected_version=None, session=None) -> Outcome:
    session = session or db.session
    return _committed(session, _advance, session, case_id, trigger, actor, data, expected_version)


def _committed(session, work, *args):
    """Run ``work`` and commit; on any failure roll back, so a refusal writes nothing."""
    try:
        outcome = work(*args)
        session.commit()
    except StaleDataError:
        session.rollback()
        raise StaleCase(_stale_text()) from None
    except DBAPIError as exc:
        session.rollback()
        if _concurrent(exc):
            raise StaleCase(_busy_text()) from exc
        raise
    except Exception:
        session.rollback()
        raise
    return outcome


# What the database says when another transaction got there first: a serialization failure, a
# deadlock it broke, a lock not granted within lock_timeout, a unique key just taken; SQLite: busy.
CONFLICT_SQLSTATES = {"40001", "40P01", "55P03", "23505"}


def _concurrent(exc) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in CONFLICT_SQLSTATES or "database is locked" in str(exc.orig)


def _advance(session, case_id, trigger, actor, data, expected_version):
    from .permissions import lock_in_scope

    now = clock.now()
    case, scope = lock_in_scope(session, actor, Case, case_id)  # the scope and its tokens read after the lock
    workflow = workflow_for(case.track)
    if trigger not in workflow.triggers():
        raise NotFound(_("'%(trigger)s' is not an action of the %(track)s track.", trigger=trigger,
                         track=track_name(case.track)))
    allowed_roles = {r for t in workflow.transitions if t.trigger == trigger for r in t.roles}
    if actor.role not in allowed_roles or actor.role in READ_ALL_ROLES:
        raise role_refusal(actor, allowed_roles - READ_ALL_ROLES)
    if expected_version is not None and str(expected_version).strip() != str(case.version):
        raise StaleCase(_stale_text())
    branches = workflow.candidates(case.state, trigger)
    if not branches:
        where = sorted({s for t in workflow.transitions if t.trigger == trigger for s in t.sources})
        raise WrongState(_("This case is now '%(state)s'; this action is possible only in: %(states)s.",
                           state=workflow.state(case.state).label, states=listing(workflow.state(s).label for s in where)))
    # What stands in the way whatever is typed is said first, before asking to fix fields.
    precheck = make_ctx(session, case, actor, now=now, tokens=scope.tokens)
    blocking = [guard_reasons(b, precheck) for b in branches]
    if all(blocking):
        raise GuardFailed(_("This step cannot be taken yet."), reasons=_unique(r for rs in blocking for r in rs))
    try:
        cleaned = clean(branches[0].fields, data)
    except DataError as exc:
        raise InvalidData(_("Please correct the marked fields."), field_errors=exc.errors) from None
    ctx = make_ctx(session, case, actor, data=cleaned, now=now, calendar=precheck.calendar, tokens=scope.tokens)
    ctx.extra["_version_before"] = case.version
    machine, state_enum = machine_for(case.track)
    dest = _fire(machine, state_enum, trigger, case, ctx, branches)
    chosen = next(b for b in branches if b.dest == dest and ctx.passes(b))
    from_state = case.state
    case.state = dest  # the one place a case's state is written
    ctx.from_state = from_state
    for effect in chosen.effects:
        effect(ctx)
    return _finish(session, ctx, workflow, trigger, cleaned, from_state, now)


def _fire(machine, state_enum, trigger, case, ctx, branches):
    from .machine import fire

    dest = fire(machine, state_enum, trigger, case.state, ctx)
    if dest is None:
        reasons = _unique(r for b in branches for r in ctx.reasons_for(b) if not r.startswith("("))
        raise GuardFailed(_("This step cannot be taken yet."), reasons=reasons)
    return dest


def _finish(session, ctx, workflow, trigger, cleaned, from_state, now):
    case = ctx.case
    if case.state != from_state:
        case.state_since = now
    case.updated_at = now
    if workflow.state(case.state).final:
        case.closed_at = now
    facts = {k: v for k, v in ctx.extra.items() if not k.startswith("_")}
    row = dict(case_id=case.id, trigger=trigger, from_state=from_state, to_state=case.state,
               data=audit.jsonable({**cleaned, **facts}), actor_id=ctx.actor.id, recorded_at=now)
    # The record is written as a plain row on the session's connection, which does not flush the
    # case first: the case is written once, with its deadline. The deadline is planned after the
    # record is in case.records (read again if it was read before), as it may depend on this step.
    record = StepRecord(id=session.connection().execute(_INSERT_RECORD, row).inserted_primary_key[0], **row)
    if "records" in case.__dict__:
        session.expire(case, ["records"])
    with session.no_autoflush:
        needs_review = plan_deadline(case, workflow, ctx.rules, ctx.today)
    session.flush()
    transition = workflow.from_state(from_state)
    title = next(t.label for t in transition if t.trigger == trigger)
    audit.append(
        session, kind="case.transition", actor=ctx.actor, case=case, at=now,
        summary=f"{case.reference}: {title} ({from_state} → {case.state})",
        before={"state": from_state, "version": ctx.extra["_version_before"]},
        after={"state": case.state, "version": case.version, "record_id": record.id, "trigger": trigger,
               "data": record.data, "due_on": case.due_on, "due_needs_review": needs_review},
    )
    return Outcome(case=case, record=record, from_state=from_state, to_state=case.state)


_INSERT_RECORD = insert(StepRecord.__table__)


def plan_deadline(case, workflow, rules, today):
    """The current step's deadline: the state's own (publicity end, probation end, reassignment
    due), or the stale-step limit of the rule set."""
    from datetime import timedelta

    state = workflow.state(case.state)
    case.due_needs_review = False
    if state.final:
        case.due_on, case.due_kind = None, ""
    elif state.deadline is not None:
        case.due_on, case.due_kind = state.deadline(case, rules)
        case.due_needs_review = case.due_kind == "publicity_end" and case.publicity_needs_review
    else:
        days = rules.expected_days(case.state)
        entered = clock.local_date(case.state_since)
        case.due_on = entered + timedelta(days=days) if days else None
        case.due_kind = "step_limit"
    return case.due_needs_review


def open_case(track, actor, cadre_id, data, target_position_id=None, session=None, reuse_of=None) -> Outcome:
    """Open a case in the workflow's first state; the opening record and audit event with it.
    ``reuse_of``: a reusable adjustment case of the same cadre, linked to the new nomination."""
    session = session or db.session
    linked = None
    if reuse_of:
        linked = session.get(Case, reuse_of)
        # Only a reusable case of the same cadre in the actor's own units: it must not widen their scope.
        if (linked is None or linked.cadre_id != cadre_id or linked.state != "reusable"
                or linked.unit_id not in unit_scope(session, actor)):
            linked = None
    return _committed(session, _open, session, track, actor, cadre_id, target_position_id, data, None, linked)


def _open(session, track, actor, cadre_id, target_position_id, data, initial_state=None, linked_case=None):
    """Also used inside another step's transaction (a referral, a failed probation): no commit here."""
    from .permissions import ADMIN_NO_CASE_ACTIONS, open_refusal
    from .registry import OPEN_ROLES, open_fields

    now = clock.now()
    if actor.role not in OPEN_ROLES[track] or actor.role in READ_ALL_ROLES:
        text = open_refusal(track, actor.role)
        raise Forbidden(f"{text}{pick(' ', '')}{ADMIN_NO_CASE_ACTIONS}" if actor.role == "administrator" else text)
    scope = unit_scope(session, actor)
    # The cadre's row is locked while we look for an open case of theirs, so two officers opening
    # one at the same moment get one case and a refusal, not two cases.
    number = int(cadre_id) if str(cadre_id).isdecimal() and len(str(cadre_id)) < 10 else None
    cadre = session.get(Cadre, number, with_for_update=True) if number else None
    if linked_case is not None and cadre is not None and cadre.id == linked_case.cadre_id:
        scope = scope | {cadre.unit_id}  # the cadre is already part of a case the actor works on
    if cadre is None or cadre.unit_id not in scope:
        message = _("Choose a cadre of your units.")
        raise InvalidData(message, field_errors={"cadre_id": message})
    position = session.get(Position, target_position_id) if target_position_id else None
    if track == "promotion" and (position is None or position.unit_id not in scope):
        message = _("Choose a post in your units.")
        raise InvalidData(message, field_errors={"target_position_id": message})
    try:
        cleaned = clean(open_fields(track), data)
    except DataError as exc:
        raise InvalidData(_("Please correct the marked fields."), field_errors=exc.errors) from None
    if cleaned.get("source") == "self" and not cleaned.get("evidence"):
        message = _("A self-recommendation needs evidence of results.")
        raise InvalidData(message, field_errors={"evidence": message})
    existing = session.scalars(
        select(Case).where(Case.cadre_id == cadre.id, Case.track == track, Case.closed_at.is_(None))
    ).first()
    if existing is not None and linked_case is not None:
        existing.linked_case_id, linked_case.linked_case_id = linked_case.id, existing.id
        return Outcome(case=existing, record=None, from_state=existing.state, to_state=existing.state)
    if existing is not None:
        raise GuardFailed(_("This cadre already has an open case on this track."), reasons=[
            _("%(name)s already has the open case %(reference)s; finish or withdraw it first.", name=cadre.name,
              reference=existing.reference)])
    rule_set = active_rule_set(session)
    workflow = workflow_for(track)
    case = Case(
        reference=f"tmp-{uuid.uuid4().hex[:16]}", track=track, state=initial_state or workflow.initial, cadre=cadre,
        unit_id=position.unit_id if position else (linked_case.unit_id if linked_case is not None else cadre.unit_id),
        target_position=position,
        source=cleaned.get("source") or cleaned.get("trigger_source") or "", opened_by_id=actor.id, opened_at=now,
        rule_set=rule_set, state_since=now, updated_at=now,
    )
    session.add(case)
    session.flush()
    case.reference = f"{track[0].upper()}-{clock.local_date(now).year}-{case.id:05d}"
    if linked_case is not None:
        case.linked_case_id, linked_case.linked_case_id = linked_case.id, case.id
    ctx = make_ctx(session, case, actor, data=cleaned, now=now)
    plan_deadline(case, workflow, ctx.rules, ctx.today)
    record = StepRecord(case=case, trigger="open", from_state=None, to_state=case.state,
                        data=audit.jsonable(cleaned), actor_id=actor.id, recorded_at=now)
    session.add(record)
    session.flush()
    audit.append(
        session, kind="case.opened", actor=actor, case=case, at=now,
        summary=(_("%(reference)s: opened for %(name)s → %(post)s", reference=case.reference, name=cadre.name, post=position.title)
                 if position else _("%(reference)s: opened for %(name)s", reference=case.reference, name=cadre.name)),
        after={"state": case.state, "version": case.version, "record_id": record.id, "data": record.data,
               "rule_set_version": rule_set.version, "target_position_id": target_position_id,
               "linked_case_id": case.linked_case_id},
    )
    return Outcome(case=case, record=record, from_state=None, to_state=case.state)


def _busy_text():
    return _("Someone else was changing this case at the same moment. Nothing was saved. Reload the page to see the "
             "case as it is now, then submit again if your step still applies.")


def _stale_text():
    return _("This case was changed by someone else after you opened the page. Nothing was saved. The page now shows "
             "the case as it is; what you typed is kept below: check it and submit again if it still applies.")


def track_name(track):
    """The track as a reader names it (the code itself for an unknown one)."""
    return str(TRACK_NAMES[track]) if track in TRACK_NAMES else track


def _unique(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
