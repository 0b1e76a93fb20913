"""Appending to the hash-chained audit trail, in the caller's transaction."""
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import insert, select, update

from models import AuditEvent, AuditHead
from models.shown_json import stored

from .terms import choices, label

GENESIS = "0" * 64


def jsonable(value):
    """Plain JSON values only, so what is hashed is exactly what the JSON column gives back."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def event_hash(prev_hash: str, event: AuditEvent) -> str:
    body = {
        "prev": prev_hash,
        "at": event.occurred_at.astimezone(UTC).isoformat(),  # as stored and read back (UTC), whatever zone was given
        "actor": event.actor_id,
        "kind": event.kind,
        "case": event.case_id,
        "cadre": event.cadre_id,
        "unit": event.unit_id,
        "summary": event.summary,
        "before": event.before,
        "after": event.after,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Every kind of audit event the application writes: kind -> (English, Chinese). Data, like the terms
# of workflow/terms.py: the kind is what is stored; its name is shown in the reader's language.
EVENT_KINDS = {
    "case.opened": ("Case opened", "发起案件"),
    "case.transition": ("Step taken", "办理步骤"),
    "case.assigned": ("Officer assigned", "指定经办人"),
    "cadre.created": ("Cadre added", "新增干部"),
    "cadre.updated": ("Cadre edited", "修改干部信息"),
    "cadre.assessment": ("Annual assessment recorded", "录入年度考核"),
    "import.cadres": ("Cadres imported", "导入干部"),
    "import.assessments": ("Assessments imported", "导入年度考核"),
    "intake.clue": ("Public clue received", "收到群众反映"),
    "intake.self_recommendation": ("Self-recommendation received", "收到自我推荐"),
    "intake.assessment_trigger": ("Assessment result proposes an adjustment", "考核结果提出调整"),
    "intake.accepted": ("Intake accepted", "受理"),
    "intake.dismissed": ("Intake dismissed", "不予受理"),
    "intake.feedback": ("Feedback to the reporter", "向反映人反馈"),
    "reminder.sent": ("Reminder sent", "发送提醒"),
    "calendar.changed": ("Working-day calendar changed", "修改工作日历"),
    "rules.created": ("Rule set created", "新建规则集"),
    "unit.updated": ("Unit edited", "修改单位"),
    "user.created": ("User created", "新建用户"),
    "user.updated": ("User edited", "修改用户"),
    "login.success": ("Signed in", "登录成功"),
    "login.failure": ("Sign-in failed", "登录失败"),
    "login.lockout": ("Sign-in locked", "登录锁定"),
    "login.refused": ("Sign-in refused while locked", "锁定期间拒绝登录"),
    "login.unlocked": ("Sign-in lockout lifted", "解除登录锁定"),
    "audit.exported": ("Audit log exported", "导出审计记录"),
    "audit.archived": ("Audit events archived", "归档审计记录"),
    "backup.created": ("Backup made", "数据备份"),
    "backup.restored": ("Backup restored", "数据恢复"),
}


def event_label(kind) -> str:
    """The name of an event kind in the reader's language (an unknown kind: the kind itself)."""
    return label(EVENT_KINDS, kind)


def event_choices():
    """(kind, name) for a select: names follow the reader's language when shown."""
    return choices(EVENT_KINDS)


# The chain head and the event, written as plain rows (no unit of work): a state change appends
# one event, and the ORM's flush of an event object and a head object cost more than the rows.
_HEAD = AuditHead.__table__
_LOCK_HEAD = select(_HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update()
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1)
_INSERT_EVENT = insert(AuditEvent.__table__)


def _locked_head(session) -> str:
    """The chain head's hash, its row locked until the transaction ends (created at the first event).
    The caller's pending changes are written first, as an ORM query would: rows and the locks their
    triggers take (a change token) come before the head's lock, in every transaction alike."""
    session.flush()
    last_hash = session.scalar(_LOCK_HEAD)
    if last_hash is None:
        session.execute(insert(_HEAD).values(id=1, last_hash=GENESIS))
        last_hash = GENESIS
    return last_hash


def _event_row(prev_hash, *, kind, actor, summary, at, case=None, cadre_id=None, unit_id=None, before=None, after=None):
    row = dict(
        occurred_at=at, actor_id=actor.id if actor is not None else None, kind=kind,
        case_id=case.id if case is not None else None,
        cadre_id=cadre_id if cadre_id is not None else (case.cadre_id if case is not None else None),
        unit_id=unit_id if unit_id is not None else (case.unit_id if case is not None else None),
        summary=summary, before=jsonable(before), after=jsonable(after), prev_hash=prev_hash,
    )
    row["hash"] = event_hash(prev_hash, SimpleNamespace(**row))
    row["json_as_shown"] = as_shown(row["before"], row["after"])
    return row


def append(session, **spec) -> AuditEvent:
    """Add one event after the current chain head. The head row lock serializes writers.
    ``spec``: kind, actor, summary, at; case, cadre_id, unit_id, before, after where they apply.
    Returns the event as written (not added to the session: read it back by id to follow it)."""
    row = _event_row(_locked_head(session), **spec)
    event_id = session.execute(_INSERT_EVENT, row).inserted_primary_key[0]
    session.execute(_MOVE_HEAD, {"last_event_id": event_id, "last_hash": row["hash"]})
    return AuditEvent(id=event_id, **row)


def append_many(session, events) -> int:
    """Append many events in one go (a bulk import): the same chain as ``append`` called once
    per event — one head lock, each hash linked to the one before, in order — written with one
    bulk INSERT instead of a statement per event. ``events``: dicts of ``append``'s keywords."""
    prev, rows = _locked_head(session), []
    for spec in events:
        rows.append(_event_row(prev, **spec))
        prev = rows[-1]["hash"]
    if not rows:
        return 0
    from .bulk_rows import insert_rows

    insert_rows(session, AuditEvent.__table__, rows)  # in order, so ids follow the chain
    last_id = session.scalar(select(AuditEvent.__table__.c.id).where(AuditEvent.__table__.c.hash == prev))
    session.execute(_MOVE_HEAD, {"last_event_id": last_id, "last_hash": prev})
    return len(rows)


def as_shown(before, after) -> bool:
    """Whether both JSON values are stored as the export shows them (models/shown_json.py)."""
    return stored(before)[1] and stored(after)[1]


def snapshot(obj, columns) -> dict:
    return jsonable({c: getattr(obj, c) for c in columns})


def diff(before: dict, after: dict):
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}
