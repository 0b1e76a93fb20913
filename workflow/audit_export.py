"""Audit exports: CSV (UTF-8 with BOM for Excel), XLSX and JSON Lines, streamed to a file.

Memory stays flat: rows are read in batches and written as they come (openpyxl write-only mode
for XLSX). Each export states its row count, SHA-256 and the chain head it was cut from, and is
itself an audit event.
"""
import csv
import hashlib
import io
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import DateTime, Text, cast, or_, select, type_coerce

from models import AuditEvent, AuditHead, User

from . import audit, clock

FORMATS = ("csv", "xlsx", "jsonl")
COLUMNS = ("id", "occurred_at_utc", "actor", "kind", "case_id", "cadre_id", "unit_id", "summary", "before", "after",
           "prev_hash", "hash")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Filters:
    since: date | None = None
    until: date | None = None
    unit_ids: set | None = None  # the unit scope (None = everything)
    include_unitless: bool = True
    unit: int | None = None
    case: int | None = None
    cadre: int | None = None
    actor: str | None = None
    kind: str | None = None
    up_to_id: int | None = None  # the chain head the export is cut at

    def describe(self):
        return {k: v for k, v in {
            "since": self.since, "until": self.until, "unit": self.unit, "case": self.case, "cadre": self.cadre,
            "actor": self.actor, "kind": self.kind}.items() if v not in (None, "")}


@dataclass
class ExportResult:
    path: str
    fmt: str
    rows: int
    sha256: str
    chain_head: str
    filters: dict = field(default_factory=dict)


def query(filters: Filters):
    q = select(AuditEvent, User.username).outerjoin(User, AuditEvent.actor_id == User.id)
    if filters.since:
        q = q.where(AuditEvent.occurred_at >= _utc_start(filters.since))
    if filters.until:
        q = q.where(AuditEvent.occurred_at < _utc_start(filters.until + timedelta(days=1)))
    if filters.unit_ids is not None:
        scope = AuditEvent.unit_id.in_(filters.unit_ids)
        q = q.where(or_(scope, AuditEvent.unit_id.is_(None)) if filters.include_unitless else scope)
    if filters.unit:
        q = q.where(AuditEvent.unit_id == filters.unit)
    if filters.case:
        q = q.where(AuditEvent.case_id == filters.case)
    if filters.cadre:
        q = q.where(AuditEvent.cadre_id == filters.cadre)
    if filters.actor:
        q = q.where(User.username == filters.actor)
    if filters.kind:
        q = q.where(AuditEvent.kind == filters.kind)
    if filters.up_to_id is not None:
        q = q.where(AuditEvent.id <= filters.up_to_id)
    return q.order_by(AuditEvent.id)


def _utc_start(day):
    return datetime.combine(day, time(0), tzinfo=clock.LOCAL_TZ)


def safe_cell(value):
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _row(event, username):
    return (
        event.id, event.occurred_at.isoformat(), username or "", event.kind, event.case_id, event.cadre_id, event.unit_id,
        event.summary,
        json.dumps(event.before, ensure_ascii=False, sort_keys=True) if event.before is not None else "",
        json.dumps(event.after, ensure_ascii=False, sort_keys=True) if event.after is not None else "",
        event.prev_hash, event.hash,
    )


_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode  # = json.dumps(v, ensure_ascii=False, sort_keys=True)
_DECODE = json.JSONDecoder().decode


def _json_cell(text):
    """The stored JSON as the export writes it (readable Chinese, sorted keys); empty for null."""
    if text is None:
        return ""
    value = _DECODE(text)
    return "" if value is None else _ENCODE(value)


def _raw_batches(session, filters, batch=5000):
    table = AuditEvent.__table__
    statement = query(filters).with_only_columns(
        table.c.id, type_coerce(table.c.occurred_at, DateTime), User.username, table.c.kind, table.c.case_id,
        table.c.cadre_id, table.c.unit_id, table.c.summary, cast(table.c.before, Text), cast(table.c.after, Text),
        table.c.prev_hash, table.c.hash, maintain_column_froms=True)
    return session.execute(statement.execution_options(yield_per=batch)).partitions()


def _batches(session, filters, batch=5000):
    """The export's rows in batches of plain tuples, as ``_row`` would make them, streamed: no ORM
    objects (memory stays flat), the timestamp read as stored (UTC) and the JSON columns as text
    (parsed once, here, instead of by the driver and again for the export)."""
    for rows in _raw_batches(session, filters, batch):
        yield [(r[0], r[1].isoformat() + "+00:00", r[2] or "", r[3], r[4], r[5], r[6], r[7], _json_cell(r[8]), _json_cell(r[9]),
                r[10], r[11]) for r in rows]


def _csv_batches(session, filters, batch=5000):
    """As ``_batches`` with ``safe_cell`` applied: only the text columns can start like a formula
    (ids, times and hashes cannot); None is written as an empty cell by the csv module."""
    for rows in _raw_batches(session, filters, batch):
        yield [(r[0], r[1].isoformat() + "+00:00", _safe(r[2] or ""), _safe(r[3]), r[4], r[5], r[6], _safe(r[7]),
                _safe(_json_cell(r[8])), _safe(_json_cell(r[9])), r[10], r[11]) for r in rows]


def _safe(text):
    return "'" + text if text[:1] in _FORMULA_SET else text


_FORMULA_SET = frozenset(FORMULA_START)


def _rows(session, filters, batch=5000):
    for rows in _batches(session, filters, batch):
        yield from rows


def write(session, fmt, path, filters: Filters) -> tuple[int, str]:
    """Write the export; returns (row count, SHA-256 of the file)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format '{fmt}'; choose one of {', '.join(FORMATS)}.")
    rows = 0
    if fmt == "xlsx":
        rows = _write_xlsx(session, path, filters)
    else:
        with open(path, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as out:
            if fmt == "csv":
                writer = csv.writer(out)
                writer.writerow(COLUMNS)
                for batch in _csv_batches(session, filters):
                    writer.writerows(batch)
                    rows += len(batch)
            else:
                encode = json.JSONEncoder(ensure_ascii=False).encode
                for batch in _batches(session, filters):
                    out.write("".join(encode(dict(zip(COLUMNS, row, strict=True))) + "\n" for row in batch))
                    rows += len(batch)
    return rows, file_sha256(path)


def _write_xlsx(session, path, filters):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("audit")
    sheet.append(COLUMNS)
    rows = 0
    for row in _rows(session, filters):
        sheet.append([_xlsx_cell(v) for v in row])
        rows += 1
    workbook.save(path)
    return rows


def _xlsx_cell(value):
    """``safe_cell``, and control characters XML cannot carry (openpyxl would refuse the whole
    export) shown as U+FFFD; tab, newline and carriage return stay."""
    value = safe_cell(value)
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def export(session, actor, fmt, path, filters: Filters) -> ExportResult:
    """Cut an export at the current chain head, then record the export as an audit event."""
    head = session.get(AuditHead, 1)
    chain_head, last_id = head.last_hash, head.last_event_id
    # Events appended while the export runs are not part of it: it ends at the head it names.
    rows, sha = write(session, fmt, path, replace(filters, up_to_id=last_id or 0))
    described = audit.jsonable(filters.describe())
    audit.append(session, kind="audit.exported", actor=actor, at=clock.now(),
                 summary=f"Audit export ({fmt}): {rows} rows, sha256 {sha[:16]}…",
                 after={"format": fmt, "rows": rows, "sha256": sha, "chain_head": chain_head, "filters": described})
    session.commit()
    return ExportResult(path, fmt, rows, sha, chain_head, described)


def manifest(result: ExportResult) -> str:
    buffer = io.StringIO()
    json.dump({"format": result.fmt, "rows": result.rows, "sha256": result.sha256, "chain_head": result.chain_head,
               "filters": result.filters}, buffer, ensure_ascii=False, indent=2)
    return buffer.getvalue()
