"""The audit CSV export: the same bytes on SQLite and PostgreSQL (COPY there, SQL-formatted rows
here), the same as the ORM path writes, with the filters of the audit pages honoured.

Every test runs on whichever backend the suite runs on (TEST_DATABASE_URL for PostgreSQL): each
compares the fast path with a backend-independent expectation written out below, so a pass on
both backends means both write the same file for the same events."""
import csv
import hashlib
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models import AuditEvent, db
from workflow import accounts, audit, audit_export
from workflow.clock import LOCAL_TZ

from .factories import PASSWORD

AT = datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)  # 02:00 UTC

# (summary, before, after, expected before cell, expected after cell)
CASES = [
    ("plain", None, {"state": "draft", "version": 1}, "", '{"state": "draft", "version": 1}'),
    # keys as jsonb orders them: the shorter first, then by code point (at every depth, in lists too)
    ("nested", {"bb": 1, "a": {"ccc": [1, {"z": 1, "yy": 2}], "d": "中文"}}, {"record_id": 3, "data": {}, "due_on": None},
     '{"a": {"d": "中文", "ccc": [1, {"z": 1, "yy": 2}]}, "bb": 1}', '{"data": {}, "due_on": null, "record_id": 3}'),
    ("unicode keys", {"名字": "张三", "ab": "x", "é": True}, [], '{"ab": "x", "é": true, "名字": "张三"}', "[]"),
    # a JSON null shows as an empty cell, as SQL NULL does
    ("json null", None, None, "", ""),
    # numbers as PostgreSQL's numeric prints them
    ("numbers", {"f": 1e-05, "g": 1.5, "h": 1e16, "i": -0.0, "j": 12345678901234567890, "k": -3, "l": 2.0},
     [0.1, 1.5e-07, -2], '{"f": 0.00001, "g": 1.5, "h": 10000000000000000, "i": 0.0, "j": 12345678901234567890, "k": -3, '
     '"l": 2.0}', "[0.1, 0.00000015, -2]"),
    # a cell starting like a formula gets an apostrophe: a negative number is the only JSON that can
    ("=HYPERLINK(\"http://evil\",\"x\")", -5, "=1+1", "'-5", '"=1+1"'),
    ("+1+1", None, {"note": "-2+3"}, "", '{"note": "-2+3"}'),
    ("-2+3", None, None, "", ""),
    ("@SUM(A1)", None, None, "", ""),
    ("\tTAB", None, None, "", ""),
    ("\rCR", None, None, "", ""),
    # markup, quotes, commas and line breaks stay as they are (the csv quoting carries them)
    ('<script>alert("x")</script>, and "quotes"', {"html": "<b>粗</b>", "q": 'say "hi"\n\tthen\\go'}, None,
     '{"q": "say \\"hi\\"\\n\\tthen\\\\go", "html": "<b>粗</b>"}', ""),
    ("line one\nline two\r\nline three", None, {"ctl": "a\x07b\x1b"}, "", '{"ctl": "a\\u0007b\\u001b"}'),
    ("emoji 😀 and 中文，标点", {"s": "😀"}, {"s": "\u2028"}, '{"s": "😀"}', '{"s": "\u2028"}'),
    ("", {}, {"empty": ""}, "{}", '{"empty": ""}'),
]


def _append(summary, before, after, *, actor=None, at=AT, **keys):
    event = audit.append(db.session, kind="probe", actor=actor, summary=summary, at=at, before=before, after=after, **keys)
    db.session.commit()
    return event


@pytest.fixture(autouse=True)
def _fast_path_only(monkeypatch):
    """The CSV is written by the backend's own route (COPY, bare SQLite cursor), never the ORM one."""
    orm = audit_export._csv_orm

    def refuse(*args):
        raise AssertionError("the CSV went through the ORM path")

    monkeypatch.setattr(audit_export, "_csv_orm", refuse)
    monkeypatch.setattr(audit_export, "_orm_path", orm, raising=False)


def _export(fmt, tmp_path, filters=None, name="out"):
    path = tmp_path / f"{name}.{fmt}"
    rows, sha = audit_export.write(db.session, fmt, str(path), filters or audit_export.Filters(kind="probe"))
    return rows, sha, path


def _orm_csv(filters):
    """The same export through the ORM path (the reference the fast paths must equal)."""
    handle = io.BytesIO()
    out = audit_export._HashingFile(handle)
    out.write(audit_export._CSV_START)
    audit_export._orm_path(db.session, filters, out)
    return handle.getvalue()


def _expected_csv(events, cells, actors=None):
    """The file, written out independently of the backend: the csv module's own writing."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(audit_export.COLUMNS)
    for index, (event, (summary, before, after)) in enumerate(zip(events, cells, strict=True)):
        at = event.occurred_at.astimezone(UTC).replace(tzinfo=None).isoformat() + "+00:00"
        writer.writerow([event.id, at, (actors or {}).get(index, ""), "probe", event.case_id, event.cadre_id, event.unit_id,
                         summary, before, after, event.prev_hash, event.hash])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def test_csv_is_the_same_file_on_every_backend(org, tmp_path):
    events = [_append(summary, before, after) for summary, before, after, _, _ in CASES]
    cells = [(audit_export.safe_cell(summary), before_cell, after_cell) for summary, _, _, before_cell, after_cell in CASES]
    expected = _expected_csv(events, cells)
    rows, sha, path = _export("csv", tmp_path)
    data = path.read_bytes()
    assert rows == len(CASES)
    assert data == expected
    assert sha == hashlib.sha256(data).hexdigest() == audit_export.file_sha256(path)
    assert data == _orm_csv(audit_export.Filters(kind="probe"))
    assert data.startswith(b"\xef\xbb\xbfid,occurred_at_utc,actor,") and data.endswith(b"\r\n")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [row[7] for row in parsed[1:]] == [cell[0] for cell in cells]
    for row, (_, before, after, _, _) in zip(parsed[1:], CASES, strict=True):
        for cell, value in ((row[8], before), (row[9], after)):
            shown = cell[1:] if cell.startswith("'") else cell
            assert (json.loads(shown) if shown else None) == value  # the meaning is the stored JSON's


def test_times_actor_and_keys_of_each_row(org, tmp_path):
    """Microseconds only when there are some (as isoformat); the actor's name neutralised too; the
    case, cadre and unit ids; unitless events with empty cells."""
    evil = accounts.create_user(db.session, '=cmd|"/C calc"!A0', PASSWORD, "case_officer", ["R"])
    officer = org.users["case_officer"]
    cadre = org.cadre()
    events = [
        _append("a", None, None, actor=evil, at=AT.replace(microsecond=123400)),
        _append("b", None, None, actor=officer, at=AT + timedelta(seconds=1), cadre_id=cadre.id, unit_id=org.unit_a.id),
        _append("c", None, None, at=AT.replace(year=2025, month=12, day=31, hour=7, microsecond=5)),
    ]
    expected = _expected_csv(events, [("a", "", ""), ("b", "", ""), ("c", "", "")],
                             actors={0: "'" + evil.username, 1: officer.username})
    _, _, path = _export("csv", tmp_path)
    data = path.read_bytes()
    assert data == expected
    text = data.decode("utf-8-sig")
    assert ',2026-03-02T02:00:00.123400+00:00,"\'=cmd|""/C calc""!A0",probe,' in text
    assert f",2026-03-02T02:00:01+00:00,case_officer,probe,,{cadre.id},{org.unit_a.id},b,," in text
    assert ",2025-12-30T23:00:00.000005+00:00,,probe,,,,c,," in text


def test_stored_text_with_nul_escape_is_shown_as_stored(org, tmp_path):
    """jsonb cannot hold \\u0000: such a cell shows the stored JSON text, on every backend."""
    event = _append("nul", None, {"x": "a\x00b"})
    _, _, path = _export("csv", tmp_path)
    row = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))[1]
    assert row[0] == str(event.id) and json.loads(row[9]) == {"x": "a\x00b"} and "\\u0000" in row[9]
    assert path.read_bytes() == _orm_csv(audit_export.Filters(kind="probe"))


def test_every_format_shows_the_same_json(org, tmp_path):
    for summary, before, after, _, _ in CASES[:6]:
        _append(summary, before, after)
    _, _, csv_path = _export("csv", tmp_path)
    _, _, jsonl_path = _export("jsonl", tmp_path)
    _, _, xlsx_path = _export("xlsx", tmp_path)
    csv_rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"), newline="")))[1:]
    jsonl_rows = [json.loads(line) for line in jsonl_path.read_text(encoding="utf-8").splitlines()]
    xlsx_rows = list(load_workbook(xlsx_path, read_only=True).active.iter_rows(min_row=2, values_only=True))
    for row, line, cells in zip(csv_rows, jsonl_rows, xlsx_rows, strict=True):
        assert row[8:10] == [audit_export.safe_cell(line["before"]), audit_export.safe_cell(line["after"])]
        assert [c or "" for c in cells[8:10]] == row[8:10]
        assert row[1] == line["occurred_at_utc"] and int(row[0]) == line["id"]


def _ids(path):
    return [int(row[0]) for row in list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))[1:]]


def test_filters_are_honoured(org, tmp_path):
    """Each filter (and the unit scope, with and without unitless events) picks the rows the audit
    pages' query picks, in id order."""
    case = org.open_case()
    other = org.cadre(unit=org.unit_b)
    inspector, officer = org.users["inspector"], org.users["case_officer"]
    day = AT.date()
    for offset in range(-2, 3):
        at = AT + timedelta(days=offset)
        _append(f"unitless {offset}", None, {"n": offset}, actor=inspector, at=at)
        _append(f"unit A {offset}", None, None, actor=officer, at=at, unit_id=org.unit_a.id, cadre_id=case.cadre_id)
        _append(f"unit B {offset}", {"n": offset}, None, at=at, unit_id=org.unit_b.id, cadre_id=other.id)
    # just before and after local midnight (UTC+8): the day is the local one
    _append("edge late", None, None, at=datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=LOCAL_TZ))
    _append("edge early", None, None, at=datetime(2026, 3, 5, 0, 0, tzinfo=LOCAL_TZ))
    head = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    F = audit_export.Filters
    filters = [
        F(), F(kind="probe"), F(kind="case.opened"), F(kind="nothing"),
        F(since=day), F(until=day), F(since=day, until=day), F(since=date(2026, 3, 5)), F(until=date(2026, 3, 4)),
        F(unit_ids={org.unit_a.id}), F(unit_ids={org.unit_a.id}, include_unitless=False),
        F(unit_ids={org.unit_a.id, org.unit_b.id, org.root.id}, include_unitless=False),
        F(unit_ids=set()), F(unit_ids=set(), include_unitless=False),
        F(unit=org.unit_b.id), F(case=case.id), F(cadre=other.id), F(cadre=case.cadre_id, kind="probe"),
        F(actor="inspector"), F(actor="case_officer", since=day), F(actor="nobody"),
        F(up_to_id=head - 3), F(up_to_id=0), F(kind="probe", unit_ids={org.unit_b.id}, until=day, up_to_id=head),
    ]
    for number, f in enumerate(filters):
        rows, _, path = _export("csv", tmp_path, f, name=f"f{number}")
        expected = db.session.scalars(audit_export.query(f).with_only_columns(AuditEvent.id)).all()
        assert _ids(path) == expected and rows == len(expected), f
        assert path.read_bytes() == _orm_csv(f), f
    some = [F(kind="probe"), F(since=day, until=day), F(unit_ids={org.unit_a.id}), F(actor="inspector"), F(kind="nothing")]
    assert all(_ids(tmp_path / f"f{filters.index(f)}.csv") for f in some[:4]) and not _ids(tmp_path / "f3.csv")


def test_export_records_rows_and_sha_of_the_file(org, tmp_path):
    for summary, before, after, _, _ in CASES:
        _append(summary, before, after)
    everything = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    path = tmp_path / "e.csv"
    result = audit_export.export(db.session, None, "csv", str(path), audit_export.Filters())
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.rows == len(everything) and _ids(path) == everything  # cut at the head: not its own event
    recorded = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "audit.exported")).one()
    assert recorded.after["rows"] == result.rows and recorded.after["sha256"] == result.sha256


@pytest.mark.parametrize("text, shown", [
    (None, ""), ("null", ""), ('{"b": 1, "aa": 2}', '{"b": 1, "aa": 2}'), ('{"aa": 2, "b": 1}', '{"b": 1, "aa": 2}'),
    ('"\\u4e2d"', '"中"'), ("1e-05", "0.00001"), ("-0.0", "0.0"), ("[1.0, 10]", "[1.0, 10]"), ('{"a": 1, "a": 2}', '{"a": 2}'),
])
def test_json_cell(text, shown):
    assert audit_export._json_cell(text) == shown
