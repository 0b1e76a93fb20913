"""Appending to the hash-chained audit trail, in the caller's transaction."""
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select

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


def append(session, *, kind, actor, summary, at, case=None, cadre_id=None, unit_id=None, before=None, after=None):
    """Add one event after the current chain head. The head row lock serializes writers."""
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one_or_none()
    if head is None:
        head = AuditHead(id=1, last_hash=GENESIS)
        session.add(head)
    event = AuditEvent(
        occurred_at=at,
        actor_id=actor.id if actor is not None else None,
        kind=kind,
        case_id=case.id if case is not None else None,
        cadre_id=cadre_id if cadre_id is not None else (case.cadre_id if case is not None else None),
        unit_id=unit_id if unit_id is not None else (case.unit_id if case is not None else None),
        summary=summary,
        before=jsonable(before),
        after=jsonable(after),
        prev_hash=head.last_hash,
    )
    event.json_as_shown = as_shown(event.before, event.after)
    event.hash = event_hash(head.last_hash, event)
    session.add(event)
    session.flush()
    head.last_event_id, head.last_hash = event.id, event.hash
    return event


def append_many(session, events) -> int:
    """Append many events in one go (a bulk import): the same chain as ``append`` called once
    per event — one head lock, each hash linked to the one before, in order — written with one
    bulk INSERT instead of a flush per event. ``events``: dicts of ``append``'s keywords."""
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one_or_none()
    if head is None:
        head = AuditHead(id=1, last_hash=GENESIS)
        session.add(head)
        session.flush()
    prev, rows = head.last_hash, []
    for spec in events:
        case, actor = spec.get("case"), spec.get("actor")
        row = dict(
            occurred_at=spec["at"], actor_id=actor.id if actor is not None else None, kind=spec["kind"],
            case_id=case.id if case is not None else None,
            cadre_id=spec.get("cadre_id") if spec.get("cadre_id") is not None else (case.cadre_id if case is not None else None),
            unit_id=spec.get("unit_id") if spec.get("unit_id") is not None else (case.unit_id if case is not None else None),
            summary=spec["summary"], before=jsonable(spec.get("before")), after=jsonable(spec.get("after")), prev_hash=prev,
        )
        row["hash"] = prev = event_hash(prev, SimpleNamespace(**row))
        row["json_as_shown"] = as_shown(row["before"], row["after"])
        rows.append(row)
    if not rows:
        return 0
    from .bulk_rows import insert_rows

    insert_rows(session, AuditEvent.__table__, rows)  # in order, so ids follow the chain
    head.last_event_id = session.scalar(select(AuditEvent.id).where(AuditEvent.hash == prev))
    head.last_hash = prev
    session.flush()
    return len(rows)


def as_shown(before, after) -> bool:
    """Whether both JSON values are stored as the export shows them (models/shown_json.py)."""
    return stored(before)[1] and stored(after)[1]


def snapshot(obj, columns) -> dict:
    return jsonable({c: getattr(obj, c) for c in columns})


def diff(before: dict, after: dict):
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}
