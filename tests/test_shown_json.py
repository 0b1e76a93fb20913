"""Audit JSON stored as the export shows it (models/shown_json.py): where the event says so, the
stored text is exactly what the export would print for it, it reads back as the value that was
hashed, and the export passes it through. Events that do not say so (written before migration
0011, or holding a value the form cannot carry exactly) are rendered as before."""
import csv
import io
import json
import math
from datetime import UTC

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Text, cast, select, text

from models import AuditEvent, db
from models.shown_json import stored
from workflow import audit, audit_export
from workflow.audit_verify import verify

from .test_audit_export import AT, CASES

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=6)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_stored_text_is_the_shown_form_or_says_it_is_not(value):
    text_, as_shown = stored(value)
    assert json.loads(text_) == value
    if as_shown:
        # what the export's renderer would print for this stored text, and for the text json.dumps
        # writes (as earlier releases stored it), is the text itself (\u0000: shown as stored)
        shown = "" if value is None else text_
        assert audit_export._json_cell(text_) == shown
        if "\\u0000" not in text_:
            assert audit_export._json_cell(json.dumps(value)) == shown
        # and it reads back as the value that was hashed, hashing the same
        assert json.dumps(json.loads(text_), sort_keys=True) == json.dumps(value, sort_keys=True)


@pytest.mark.parametrize("value", [
    {"f": 1e-05}, {"g": 1e16}, {"z": -0.0}, [2.5e-07], 3, -5, 1.5, {1: "int key"}, {"s": "\ud800"},
])
def test_values_the_form_cannot_carry_exactly_are_stored_as_json_dumps_writes_them(value):
    assert stored(value) == (json.dumps(value), False)


def test_plain_values_are_stored_shown():
    for value, shown in (({"b": 1, "aa": 2}, '{"b": 1, "aa": 2}'), ({"名": "张三", "ab": True}, '{"ab": true, "名": "张三"}'),
                         ([0.1, "x", None], '[0.1, "x", null]'), ("text", '"text"'), ({}, "{}"), (None, "null")):
        assert stored(value) == (shown, True)
    assert math.isclose(json.loads(stored({"x": 0.1})[0])["x"], 0.1)


def _stored_texts(event_id):
    row = db.session.execute(select(cast(AuditEvent.before, Text), cast(AuditEvent.after, Text), AuditEvent.json_as_shown)
                             .where(AuditEvent.id == event_id)).one()
    return row[0], row[1], row[2]


def test_append_stores_the_shown_form_and_the_chain_holds(org):
    """Each probe of the export's table: stored as the export shows it (or marked not), one by one
    and in a bulk append, and the chain verifies."""
    plain = [c for c in CASES if c[0] != "numbers" and not isinstance(c[1], (int, float)) or c[1] is None]
    for summary, before, after, before_cell, after_cell in plain:
        event = audit.append(db.session, kind="probe", actor=None, summary=summary, at=AT, before=before, after=after)
        db.session.commit()
        before_text, after_text, as_shown = _stored_texts(event.id)
        assert as_shown, summary
        assert (before_text in (None, "null") and before_cell == "") or before_text == before_cell
        assert (after_text in (None, "null") and after_cell == "") or after_text == after_cell.lstrip("'")
    numbers = next(c for c in CASES if c[0] == "numbers")
    event = audit.append(db.session, kind="probe", actor=None, summary="numbers", at=AT, before=numbers[1], after=numbers[2])
    db.session.commit()
    assert _stored_texts(event.id)[2] is False
    audit.append_many(db.session, [dict(kind="probe", actor=None, summary="bulk", at=AT, before={"b": 1, "aa": "中"}, after=None),
                                   dict(kind="probe", actor=None, summary="bulk", at=AT, before={"f": 1e-05}, after=None)])
    db.session.commit()
    bulk = db.session.scalars(select(AuditEvent.id).where(AuditEvent.summary == "bulk").order_by(AuditEvent.id)).all()
    assert _stored_texts(bulk[0])[0] == '{"b": 1, "aa": "中"}' and _stored_texts(bulk[0])[2] is True
    assert _stored_texts(bulk[1])[2] is False
    assert verify(db.session).intact


def test_events_stored_before_the_form_are_rendered_as_before(org, tmp_path):
    """A row as releases before migration 0011 wrote it (json.dumps text, not marked): the export
    prints it as jsonb does, on the backend's own fast path, the same as a marked row."""
    marked = audit.append(db.session, kind="probe", actor=None, summary="new", at=AT, before={"bb": 1, "a": "中"}, after=None)
    db.session.commit()
    cast_json = "CAST(:v AS json)" if db.engine.dialect.name == "postgresql" else ":v"
    db.session.execute(text(
        "INSERT INTO audit_event (occurred_at, kind, summary, before, after, prev_hash, hash, json_as_shown) "
        f"VALUES (:at, 'probe', 'old', {cast_json}, NULL, :prev, :hash, :flag)"),
        {"at": AT.astimezone(UTC).replace(tzinfo=None), "v": json.dumps({"bb": 1, "a": "中"}), "prev": marked.hash, "hash": "f" * 64,
         "flag": False})
    db.session.commit()
    path = tmp_path / "out.csv"
    audit_export.write(db.session, "csv", str(path), audit_export.Filters(kind="probe"))
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))[1:]
    assert [r[7] for r in rows] == ["new", "old"]
    assert rows[0][8] == rows[1][8] == '{"a": "中", "bb": 1}'
    for fmt in ("jsonl",):
        other = tmp_path / f"out.{fmt}"
        audit_export.write(db.session, fmt, str(other), audit_export.Filters(kind="probe"))
        lines = [json.loads(line) for line in other.read_text(encoding="utf-8").splitlines()]
        assert [line["before"] for line in lines] == ['{"a": "中", "bb": 1}'] * 2
