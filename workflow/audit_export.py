"""Audit exports: CSV (UTF-8 with BOM for Excel), XLSX and JSON Lines, streamed to a file.

Memory stays flat: rows are read in batches and written as they come (openpyxl write-only mode
for XLSX). CSV is written by the database where it can: on PostgreSQL ``COPY (SELECT …) TO STDOUT``
with every cell formatted in SQL, on SQLite a bare cursor over SQL-formatted rows; both give the
same bytes. Each export states its row count, SHA-256 and the chain head it was cut from, and is
itself an audit event.
"""
import csv
import hashlib
import io
import json
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from operator import itemgetter

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


def _safe(text):
    return "'" + text if text[:1] in _FORMULA_SET else text


_FORMULA_SET = frozenset(FORMULA_START)


# --- the JSON cells ----------------------------------------------------------------------------
#
# ``before`` and ``after`` are shown as PostgreSQL prints them as jsonb (``before::jsonb::text``),
# on every backend and in every format, so that PostgreSQL can write the CSV by itself (COPY) and a
# CSV cut on SQLite is the same file: non-ASCII as itself (readable Chinese), ", " and ": " between
# items, an object's keys in jsonb's order (the shorter key first, then by code point), a number as
# PostgreSQL's numeric prints it (1e-05 is 0.00001). A JSON null is an empty cell. A stored text
# holding \u0000 (which jsonb cannot hold) is shown as stored.


class _FloatSeen(Exception):
    pass


def _jsonb_object(pairs, _orders={}, _key=itemgetter(0)):  # noqa: B006 - the cache of key orders
    """An object's items in jsonb's order; the order of each run of keys is worked out once."""
    if len(pairs) < 2:
        return dict(pairs)
    keys = tuple(map(_key, pairs))
    order = _orders.get(keys)
    if order is None:
        if len(_orders) >= 10_000:
            _orders.clear()
        # stable: of a repeated key the last value wins, as in jsonb
        ranked = sorted(range(len(keys)), key=lambda i: (len(keys[i].encode("utf-8", "surrogatepass")), keys[i]))
        order = _orders[keys] = () if ranked == list(range(len(keys))) else tuple(ranked)
    return dict(map(pairs.__getitem__, order)) if order else dict(pairs)


def _float_seen(text):
    raise _FloatSeen


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_DECODE = json.JSONDecoder(object_pairs_hook=_jsonb_object, parse_float=_float_seen).decode
_DECODE_EXACT = json.JSONDecoder(object_pairs_hook=_jsonb_object, parse_float=Decimal).decode


def _json_cell(text):
    """The stored JSON text as the export shows it (see above); empty for null."""
    if text is None:
        return ""
    if "\\u0000" in text:
        return text
    try:
        value = _DECODE(text)
    except _FloatSeen:  # rare: a number with a fraction or an exponent, written as numeric prints it
        value = _DECODE_EXACT(text)
        return "" if value is None else _render_exact(value)
    return "" if value is None else _ENCODE(value)


def _render_exact(value):
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_ENCODE(k)}: {_render_exact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(map(_render_exact, value)) + "]"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text[1:] if value.is_zero() and text.startswith("-") else text
    return _ENCODE(value)


# --- rows through the ORM (XLSX, JSON Lines; CSV on other databases) ---------------------------

def _raw_batches(session, filters, batch=5000):
    table = AuditEvent.__table__
    statement = query(filters).with_only_columns(
        table.c.id, type_coerce(table.c.occurred_at, DateTime), User.username, table.c.kind, table.c.case_id,
        table.c.cadre_id, table.c.unit_id, table.c.summary, cast(table.c.before, Text), cast(table.c.after, Text),
        table.c.prev_hash, table.c.hash, table.c.json_as_shown, maintain_column_froms=True)
    return session.execute(statement.execution_options(yield_per=batch)).partitions()


def _shown_cell(text):
    """A JSON text stored as shown (models/shown_json.py): itself; empty for null."""
    return "" if text is None or text == "null" else text


def _batches(session, filters, batch=5000):
    """The export's rows in batches of plain tuples, streamed: no ORM objects (memory stays flat),
    the timestamp read as stored (UTC) and the JSON columns as text (parsed once, here, unless
    stored as shown)."""
    for rows in _raw_batches(session, filters, batch):
        yield [(r[0], r[1].isoformat() + "+00:00", r[2] or "", r[3], r[4], r[5], r[6], r[7],
                *((_shown_cell(r[8]), _shown_cell(r[9])) if r[12] else (_json_cell(r[8]), _json_cell(r[9]))),
                r[10], r[11]) for r in rows]


def _csv_batches(session, filters, batch=5000):
    """As ``_batches`` with ``safe_cell`` applied: only the text columns can start like a formula
    (ids, times and hashes cannot); None is written as an empty cell by the csv module."""
    for rows in _batches(session, filters, batch):
        yield [(r[0], r[1], _safe(r[2]), _safe(r[3]), r[4], r[5], r[6], _safe(r[7]), _safe(r[8]), _safe(r[9]), r[10], r[11])
               for r in rows]


def _rows(session, filters, batch=5000):
    for rows in _batches(session, filters, batch):
        yield from rows


def write(session, fmt, path, filters: Filters) -> tuple[int, str]:
    """Write the export; returns (row count, SHA-256 of the file)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format '{fmt}'; choose one of {', '.join(FORMATS)}.")
    if fmt == "csv":
        return _write_csv(session, path, filters)
    rows = 0
    if fmt == "xlsx":
        rows = _write_xlsx(session, path, filters)
    else:
        with open(path, "w", encoding="utf-8", newline="") as out:
            encode = json.JSONEncoder(ensure_ascii=False).encode
            for batch in _batches(session, filters):
                out.write("".join(encode(dict(zip(COLUMNS, row, strict=True))) + "\n" for row in batch))
                rows += len(batch)
    return rows, file_sha256(path)


# --- CSV ---------------------------------------------------------------------------------------
#
# The same bytes on every backend: a UTF-8 BOM (so Excel shows Chinese), the header, then the rows
# in id order, as Python's csv module writes them: CRLF after each row, a field quoted only when it
# holds a comma, a quote or a line break, an empty text and a NULL both an empty field. PostgreSQL
# writes the rows itself (COPY … TO STDOUT, every cell formatted in SQL); SQLite formats in SQL as
# well and Python renders only the JSON cells; any other database goes through the ORM. The row
# count and the SHA-256 are taken as the bytes go to the file.

_CSV_START = b"\xef\xbb\xbf" + ",".join(COLUMNS).encode() + b"\r\n"


class _HashingFile:
    def __init__(self, out):
        self.out, self.digest = out, hashlib.sha256()

    def restart(self):
        self.out.seek(0)
        self.out.truncate()
        self.digest = hashlib.sha256()
        self.write(_CSV_START)

    def write(self, data):
        self.digest.update(data)
        self.out.write(data)


def _write_csv(session, path, filters):
    connection = session.connection()
    dialect = connection.dialect.name
    driver = connection.connection.driver_connection
    with open(path, "wb") as handle:
        out = _HashingFile(handle)
        out.restart()
        if dialect == "postgresql" and _psycopg_utf8(driver):
            rows = _csv_postgresql(driver, filters, out)
        elif dialect == "sqlite":
            rows = _csv_sqlite(driver, filters, out)
        else:
            rows = _csv_orm(session, filters, out)
    return rows, out.digest.hexdigest()


def _psycopg_utf8(driver):
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the app's PostgreSQL driver is psycopg 3
        return False
    return isinstance(driver, psycopg.Connection) and driver.info.encoding == "utf-8"


def _csv_orm(session, filters, out):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = 0
    for batch in _csv_batches(session, filters):
        writer.writerows(batch)
        out.write(buffer.getvalue().encode("utf-8"))
        buffer.seek(0)
        buffer.truncate()
        rows += len(batch)
    return rows


_FROM = "FROM audit_event e LEFT JOIN app_user u ON u.id = e.actor_id"


def _where(filters, mark):
    """``query``'s filters as SQL over ``_FROM``, ``mark`` the placeholder; unit ids written in."""
    clauses, params = [], []

    def when(sql, *values):
        clauses.append(sql.replace("?", mark))
        params.extend(values)

    if filters.since:
        when("e.occurred_at >= ?", _stored_time(_utc_start(filters.since), mark))
    if filters.until:
        when("e.occurred_at < ?", _stored_time(_utc_start(filters.until + timedelta(days=1)), mark))
    if filters.unit_ids is not None:
        ids = ", ".join(str(int(u)) for u in sorted(filters.unit_ids))
        scope = f"e.unit_id IN ({ids})" if ids else "1 = 0"
        when(f"({scope} OR e.unit_id IS NULL)" if filters.include_unitless else scope)
    if filters.unit:
        when("e.unit_id = ?", int(filters.unit))
    if filters.case:
        when("e.case_id = ?", int(filters.case))
    if filters.cadre:
        when("e.cadre_id = ?", int(filters.cadre))
    if filters.actor:
        when("u.username = ?", filters.actor)
    if filters.kind:
        when("e.kind = ?", filters.kind)
    if filters.up_to_id is not None:
        when("e.id <= ?", int(filters.up_to_id))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _stored_time(moment, mark):
    """A moment as the column holds it: naive UTC (on SQLite, the text SQLAlchemy writes)."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive if mark == "%s" else naive.strftime("%Y-%m-%d %H:%M:%S.%f")


# A text cell neutralised when it starts like a formula; an empty text as NULL (COPY would quote it).
_PG_TEXT = "NULLIF(CASE WHEN ascii({0}) IN (61, 43, 45, 64, 9, 13) THEN '''' || {0} ELSE {0} END, '')"  # = + - @ tab CR
# Stored as shown (models/shown_json.py): passed through; else printed by jsonb.
_PG_JSON = "NULLIF(CASE WHEN e.json_as_shown THEN e.{0}::text ELSE e.{0}::jsonb::text END, 'null')"
# jsonb cannot hold \u0000: a stored text with one is shown as stored (tried when the first COPY meets one).
_PG_JSON_GUARDED = ("NULLIF(CASE WHEN e.json_as_shown OR strpos(e.{0}::text, E'\\\\u0000') > 0 THEN e.{0}::text "
                    "ELSE e.{0}::jsonb::text END, 'null')")
# As Python's isoformat: the microseconds only when there are some.
_PG_TIME = ("to_char(e.occurred_at, CASE WHEN date_trunc('second', e.occurred_at) = e.occurred_at "
            "THEN 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"' ELSE 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"' END)")


def _postgresql_copy(where, guarded=False):
    json_cell = _PG_JSON_GUARDED if guarded else _PG_JSON
    # Rendered jsonb can start like a formula only as a negative number (stored as json.dumps wrote it,
    # with no space before): only then is it looked at twice.
    json_safe = "CASE WHEN ascii(e.{0}::text) = 45 THEN " + _PG_TEXT.format(json_cell) + " ELSE " + json_cell + " END"
    cells = (f"e.id, {_PG_TIME}, {_PG_TEXT.format('u.username')}, {_PG_TEXT.format('e.kind')}, e.case_id, e.cadre_id, "
             f"e.unit_id, {_PG_TEXT.format('e.summary')}, {json_safe.format('before')}, {json_safe.format('after')}, "
             f"e.prev_hash, e.hash")
    return f"COPY (SELECT {cells} {_FROM}{where} ORDER BY e.id) TO STDOUT WITH (FORMAT csv)"


def _csv_postgresql(conn, filters, out):
    from psycopg.errors import UntranslatableCharacter

    where, params = _where(filters, "%s")
    with conn.cursor() as cursor:
        cursor.execute("SAVEPOINT cadreflow_audit_export")
        try:
            rows = _copy_rows(cursor, _postgresql_copy(where), params, out)
        except UntranslatableCharacter:  # \u0000 in a stored JSON text: again, with the guard
            cursor.execute("ROLLBACK TO SAVEPOINT cadreflow_audit_export")
            out.restart()
            rows = _copy_rows(cursor, _postgresql_copy(where, guarded=True), params, out)
        cursor.execute("RELEASE SAVEPOINT cadreflow_audit_export")
    return rows


def _copy_rows(cursor, statement, params, out, batch=2000):
    """COPY sends one row per block, ending in LF: written with CRLF, as the csv module ends rows.
    Hashing and writing (both free of the GIL) run in a thread beside the reading; a few batches
    at most wait between the two."""
    rows, pending, waiting = 0, [], deque()
    with ThreadPoolExecutor(max_workers=1) as writer:
        def hand_over():
            pending.append(b"")
            waiting.append(writer.submit(out.write, b"\r\n".join(pending)))
            if len(waiting) > 4:
                waiting.popleft().result()

        with cursor.copy(statement, params or None) as copy:
            for block in copy:
                pending.append(block[:-1])
                if len(pending) >= batch:
                    rows += len(pending)
                    hand_over()
                    pending = []
        if pending:
            rows += len(pending)
            hand_over()
        while waiting:
            waiting.popleft().result()
    return rows


_SQLITE_TEXT = "CASE WHEN substr({0}, 1, 1) IN ('=', '+', '-', '@', char(9), char(13)) THEN '''' || {0} ELSE {0} END"
_SQLITE_TIME = ("substr(e.occurred_at, 1, 10) || 'T' || CASE WHEN substr(e.occurred_at, 20) IN ('', '.000000') "
                "THEN substr(e.occurred_at, 12, 8) ELSE substr(e.occurred_at, 12) END || '+00:00'")
# Stored as shown (models/shown_json.py): passed through (an object, a list, a text or a literal: never
# like a formula); else rendered by Python (NUMERIC affinity: a bare number is read back as one, hence the CAST).
_SQLITE_JSON = ("CASE WHEN e.{0} IS NULL THEN NULL WHEN e.json_as_shown THEN NULLIF(e.{0}, 'null') "
                "ELSE cadreflow_export_json(CAST(e.{0} AS TEXT)) END")


def _csv_sqlite(conn, filters, out, batch=2000):
    where, params = _where(filters, "?")
    statement = (f"SELECT e.id, {_SQLITE_TIME}, {_SQLITE_TEXT.format('u.username')}, {_SQLITE_TEXT.format('e.kind')}, "
                 f"e.case_id, e.cadre_id, e.unit_id, {_SQLITE_TEXT.format('e.summary')}, {_SQLITE_JSON.format('before')}, "
                 f"{_SQLITE_JSON.format('after')}, e.prev_hash, e.hash {_FROM}{where} ORDER BY e.id")
    conn.create_function("cadreflow_export_json", 1, _json_cells(), deterministic=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = 0
    try:
        cursor = conn.execute(statement, params)
        while chunk := cursor.fetchmany(batch):
            writer.writerows(chunk)
            out.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
            rows += len(chunk)
        cursor.close()
    finally:
        conn.create_function("cadreflow_export_json", 1, None)
    return rows


def _json_cells(limit=10_000, longest=500):
    """``_safe(_json_cell(text))`` for SQLite to call per cell (inlined: it runs for every row), and
    remembering recent short texts (many events carry the same JSON)."""
    seen, decode, encode, formula = {}, _DECODE, _ENCODE, _FORMULA_SET

    def cell(text):
        shown = seen.get(text)
        if shown is None:
            try:
                value = decode(text) if "\\u0000" not in text else None
            except _FloatSeen:
                shown = _json_cell(text)
            else:
                shown = _json_cell(text) if value is None else encode(value)  # null, or \u0000 (shown as stored)
            if shown[:1] in formula:
                shown = "'" + shown
            if len(text) <= longest:
                if len(seen) >= limit:
                    seen.clear()
                seen[text] = shown
        return shown

    return cell


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
