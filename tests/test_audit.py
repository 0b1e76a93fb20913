"""The audit trail: append-only in the database, tamper-evident by hash chain, exportable."""
import csv
import hashlib
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import Text, cast, func, select, text
from sqlalchemy.exc import DBAPIError

from models import AuditEvent, AuditHead, User, db
from workflow import audit, audit_export, audit_guard
from workflow.audit_verify import verify


@pytest.fixture
def chain(org):
    """Some real history: two cases moved along, plus the org's own events."""
    org.case_in("decision")
    org.case_in("inspection", post=org.post_b, unit=org.unit_b)
    ids = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    assert len(ids) > 10
    return ids


def _release():
    """End the test session's read transaction: its locks would block DDL on another connection."""
    db.session.rollback()


def _raw(sql, **params):
    """Tamper as a database user would: triggers off, change, triggers back on."""
    _release()
    with db.engine.begin() as conn:
        audit_guard.remove(conn)
        conn.execute(text(sql), params)
        audit_guard.install(conn)
    db.session.expire_all()


def test_intact_chain_verifies(chain):
    verdict = verify(db.session)
    assert verdict.intact and verdict.checked == len(chain)
    assert verdict.head == db.session.get(AuditHead, 1).last_hash


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET summary = 'forged' WHERE id = :id",
                                       "DELETE FROM audit_event WHERE id = :id"])
def test_database_refuses_update_and_delete(chain, statement):
    _release()
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(text(statement), {"id": chain[3]})
    assert verify(db.session).intact


def test_wiping_the_table_is_refused(chain):
    """PostgreSQL: TRUNCATE; SQLite (which has none): an unqualified DELETE."""
    wipe = "TRUNCATE audit_event CASCADE" if db.engine.dialect.name == "postgresql" else "DELETE FROM audit_event"
    _release()
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(text(wipe))
    assert verify(db.session).checked == len(chain)


def test_changed_value_is_caught(chain):
    _raw("UPDATE audit_event SET summary = 'nothing happened' WHERE id = :id", id=chain[5])
    verdict = verify(db.session)
    assert not verdict.intact and verdict.broken_id == chain[5]
    assert "content does not match" in verdict.problem


def test_changed_after_json_is_caught(chain):
    event = db.session.get(AuditEvent, chain[-2])
    forged = dict(event.after or {}, state="approved")
    _raw("UPDATE audit_event SET after = :after WHERE id = :id", after=json.dumps(forged), id=chain[-2])
    assert verify(db.session).broken_id == chain[-2]


def test_a_stored_json_text_rewritten_to_parse_the_same_is_caught(chain):
    """An event stored as the export shows it is exported as stored: another text that parses to
    the hashed value (a repeated key: the last one wins) must not pass, nor a flag set by hand."""
    event = db.session.get(AuditEvent, chain[-2])
    assert event.json_as_shown and event.after["state"]
    stored_text = db.session.scalar(select(cast(AuditEvent.after, Text)).where(AuditEvent.id == event.id))
    forged = '{"state": "rejected", ' + stored_text[1:]  # {"state": <forged>, ...the stored items, the real state last}
    assert json.loads(forged) == event.after
    _raw("UPDATE audit_event SET after = :after WHERE id = :id", after=forged, id=event.id)
    verdict = verify(db.session)
    assert not verdict.intact and verdict.broken_id == event.id and "content does not match" in verdict.problem


def test_a_shown_flag_set_on_a_row_stored_otherwise_is_caught(chain):
    event = db.session.get(AuditEvent, chain[-3])
    _raw("UPDATE audit_event SET after = :after, json_as_shown = :flag WHERE id = :id",
         after=json.dumps(event.after, sort_keys=True, indent=1), flag=True, id=event.id)
    assert verify(db.session).broken_id == event.id


def test_deleted_row_is_caught(chain):
    _raw("DELETE FROM audit_event WHERE id = :id", id=chain[4])
    verdict = verify(db.session)
    assert not verdict.intact and verdict.broken_id == chain[5]
    assert "link" in verdict.problem


def test_deleted_last_row_is_caught_by_the_head(chain):
    _raw("DELETE FROM audit_event WHERE id = :id", id=chain[-1])
    verdict = verify(db.session)
    assert not verdict.intact and "chain head" in verdict.problem


def test_forged_row_with_a_valid_looking_hash_is_caught(chain):
    last = db.session.get(AuditEvent, chain[-1])
    forged = AuditEvent(occurred_at=last.occurred_at, actor_id=last.actor_id, kind="case.transition", case_id=last.case_id,
                        cadre_id=last.cadre_id, unit_id=last.unit_id, summary="forged approval", before=None,
                        after={"state": "approved"}, prev_hash=last.hash)
    forged.hash = audit.event_hash(last.hash, forged)
    db.session.add(forged)
    db.session.commit()  # an INSERT is allowed; the head row is not moved by a forger without the app
    verdict = verify(db.session)
    assert not verdict.intact and "chain head" in verdict.problem


def test_forged_row_in_the_middle_is_caught(chain):
    _raw("UPDATE audit_event SET prev_hash = :h WHERE id = :id", h="f" * 64, id=chain[6])
    assert verify(db.session).broken_id == chain[6]


def test_swapped_rows_are_caught(chain):
    a, b = db.session.get(AuditEvent, chain[3]), db.session.get(AuditEvent, chain[4])
    cols = ["occurred_at", "actor_id", "kind", "case_id", "cadre_id", "unit_id", "summary", "prev_hash", "hash"]
    va, vb = {c: getattr(a, c) for c in cols}, {c: getattr(b, c) for c in cols}
    a_id, b_id = a.id, b.id  # read now: after the rollback below, touching them would lock the table again
    _release()
    setter = ", ".join(f"{c} = :{c}" for c in cols if c != "occurred_at")
    with db.engine.begin() as conn:
        audit_guard.remove(conn)
        conn.execute(text("UPDATE audit_event SET hash = :h WHERE id = :id"), {"h": "swap", "id": a_id})
        conn.execute(text(f"UPDATE audit_event SET {setter} WHERE id = :id"), {"id": b_id, **{c: va[c] for c in cols if c != "occurred_at"}})
        conn.execute(text(f"UPDATE audit_event SET {setter} WHERE id = :id"), {"id": a_id, **{c: vb[c] for c in cols if c != "occurred_at"}})
        audit_guard.install(conn)
    db.session.expire_all()
    verdict = verify(db.session)
    assert not verdict.intact and verdict.broken_id == chain[3]


def test_dropped_triggers_then_edit_is_caught(chain):
    """Someone with DDL rights drops the triggers by hand and edits: the chain still tells."""
    drop = {"sqlite": ["DROP TRIGGER audit_event_no_update"],
            "postgresql": ["DROP TRIGGER audit_event_no_change ON audit_event"]}[db.engine.dialect.name]
    _release()
    with db.engine.begin() as conn:
        for statement in drop:
            conn.execute(text(statement))
        conn.execute(text("UPDATE audit_event SET summary = summary || ' (edited)' WHERE id = :id"), {"id": chain[7]})
    db.session.expire_all()
    try:
        assert verify(db.session).broken_id == chain[7]
    finally:
        _release()
        with db.engine.begin() as conn:
            audit_guard.remove(conn)
            audit_guard.install(conn)


def test_cli_verify_exit_codes(app, chain):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    _raw("UPDATE audit_event SET kind = 'x' WHERE id = :id", id=chain[2])
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1 and f"event {chain[2]}" in bad.output


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_cli_export_states_rows_and_sha(app, chain, tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    result = app.test_cli_runner().invoke(args=["audit", "export", "--format", fmt, "--out", str(path), "--kind", "case.transition"])
    assert result.exit_code == 0, result.output
    expected = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "case.transition"))
    assert f"rows: {expected}" in result.output
    assert f"sha256: {hashlib.sha256(path.read_bytes()).hexdigest()}" in result.output
    if fmt == "csv":
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so Excel shows Chinese
        rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
        assert len(rows) == expected + 1 and rows[0][0] == "id"
    elif fmt == "xlsx":
        rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
        assert len(rows) == expected + 1 and rows[0][0] == "id" and rows[1][3] == "case.transition"
    else:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(lines) == expected and all(json.loads(line)["kind"] == "case.transition" for line in lines)
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "audit.exported")).one()
    assert exported.after["rows"] == expected and exported.after["format"] == fmt
    assert verify(db.session).intact


def test_export_filters(app, org, chain, tmp_path):
    inspector = db.session.scalar(select(User.id).where(User.username == "inspector"))
    case_id = db.session.scalar(select(AuditEvent.case_id).where(AuditEvent.case_id.isnot(None), AuditEvent.actor_id == inspector)
                                .order_by(AuditEvent.id).limit(1))
    assert case_id is not None
    path = tmp_path / "c.jsonl"
    out = app.test_cli_runner().invoke(args=["audit", "export", "--format", "jsonl", "--out", str(path), "--case", str(case_id),
                                             "--actor", "inspector"])
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines and all(line["case_id"] == case_id and line["actor"] == "inspector" for line in lines), out.output
    bad = app.test_cli_runner().invoke(args=["audit", "export", "--format", "csv", "--out", str(path), "--since", "yesterday"])
    assert bad.exit_code != 0 and "not a date" in bad.output


def test_export_neutralises_spreadsheet_formulas(org, tmp_path):
    payload = "=HYPERLINK(\"http://evil\",\"x\")"
    audit.append(db.session, kind="probe", actor=None, at=org.travel.clock.now(), summary=payload)
    db.session.commit()
    csv_path, xlsx_path = tmp_path / "f.csv", tmp_path / "f.xlsx"
    audit_export.export(db.session, None, "csv", str(csv_path), audit_export.Filters(kind="probe"))
    audit_export.export(db.session, None, "xlsx", str(xlsx_path), audit_export.Filters(kind="probe"))
    row = list(csv.reader(csv_path.read_text(encoding="utf-8-sig").splitlines()))[1]
    assert row[7] == "'" + payload
    cells = [c.value for c in list(load_workbook(xlsx_path, read_only=True).active.iter_rows(min_row=2))[0]]
    assert cells[7] == "'" + payload
    assert audit_export.safe_cell("@SUM(A1)") == "'@SUM(A1)" and audit_export.safe_cell("正常") == "正常"


def test_logins_are_audited(web, org):
    web.login("case_officer", "wrong-password")
    web.login("case_officer")
    kinds = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.kind.like("login.%")).order_by(AuditEvent.id)).all()
    assert kinds == ["login.failure", "login.success"]


def test_browser_export_for_auditor_within_units(web, org, chain):
    web.login("auditor")
    page = web.get("/audit?kind=case.transition")
    assert page.status_code == 200 and "case.transition" in page.get_data(as_text=True)
    response = web.post("/audit/export", {"kind": "case.transition", "format": "csv"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "SHA-256" in body
    expected = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "case.transition"))
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "audit.exported")).one()
    assert exported.after["rows"] == expected and exported.after["sha256"] in body
    name = body.split("/audit/exports/")[1].split('"')[0]
    download = web.get(f"/audit/exports/{name}")
    assert download.status_code == 200 and hashlib.sha256(download.data).hexdigest() == exported.after["sha256"]


def test_audit_pages_in_both_languages(web, org, chain):
    web.login("auditor")
    html = web.get("/audit?kind=case.transition").get_data(as_text=True)
    assert "Audit trail" in html and "Step taken" in html and "Export with these filters" in html
    assert '<option selected value="case.transition">Step taken</option>' in html
    html = web.get("/audit/verify").get_data(as_text=True)
    assert re.search(r"Intact: all \d+ events verified\.", html)
    web.speak("zh")
    html = web.get("/audit?kind=case.transition").get_data(as_text=True)
    assert "审计记录" in html and "办理步骤" in html and "按当前筛选条件导出" in html and "Step taken" not in html
    assert '<option value="">— 全部 —</option>' in html and "事件类型" in html
    html = web.get("/audit/verify").get_data(as_text=True)
    assert "审计链完整性校验" in html and "条事件均已校验无误" in html
    body = web.post("/audit/export", {"kind": "case.transition", "format": "jsonl"}).get_data(as_text=True)
    assert "导出完成" in body and "SHA-256 校验值" in body
    name = body.split("/audit/exports/")[1].split('"')[0]
    first = json.loads(web.get(f"/audit/exports/{name}").data.decode("utf-8").splitlines()[0])
    assert list(first) == list(audit_export.COLUMNS), "the export's field names stay English in every language"
    missing = web.get("/audit/exports/audit-2026-01-01-u999-" + "0" * 32 + ".csv")
    assert missing.status_code == 404 and "只有导出人本人可以下载" in missing.get_data(as_text=True)


def test_a_broken_chain_is_named_in_the_readers_language(web, org, chain):
    _raw("UPDATE audit_event SET summary = 'forged' WHERE id = :id", id=chain[3])
    web.login("auditor")
    html = web.get("/audit/verify").get_data(as_text=True)
    assert f"BROKEN at event #{chain[3]}: its content does not match its hash (it was changed)" in html
    html = web.speak("zh").get("/audit/verify").get_data(as_text=True)
    assert f"已被破坏，问题出在第 {chain[3]} 号事件：该事件的内容与其哈希值不符（内容已被修改）" in html


def test_audit_pages_refused_to_case_officers(web, org):
    web.login("case_officer")
    assert web.get("/audit").status_code == 403
    assert web.post("/audit/export", {"format": "csv"}).status_code == 403


def test_export_without_csrf_refused(web, org):
    web.login("auditor")
    assert web.client.post("/audit/export", data={"format": "csv"}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "audit.exported")) == 0


def test_full_process_record_page(web, org):
    case = org.case_in("approved")
    web.login("auditor")
    page = web.get(f"/cases/{case.id}/record")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    for text_ in ("Full-process record of cadre selection and appointment", "Select for inspection", "Record collective decision",
                  "Should attend: 9", "agree: 7", "Committee secretary"):
        assert text_ in body
    body = web.speak("zh").get(f"/cases/{case.id}/record").get_data(as_text=True)
    for text_ in ("干部选拔任用工作全程纪实", "应到 9 人", "同意 7 票", "党委秘书"):
        assert text_ in body
    web.speak("en")
    web.login("officer_b")
    assert web.get(f"/cases/{case.id}/record").status_code == 404


def test_operator_archive_keeps_the_chain_verifiable(app, chain, tmp_path):
    runner = app.test_cli_runner()
    cut = chain[9]
    archive_file = tmp_path / "archive.jsonl"
    runner.invoke(args=["audit", "export", "--format", "jsonl", "--out", str(archive_file)])
    # the export holds more than 1..cut: keep exactly those, as the README's procedure says
    lines = [line for line in archive_file.read_text(encoding="utf-8").splitlines() if json.loads(line)["id"] <= cut]
    archive_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused = runner.invoke(args=["audit", "archive", "--archive-file", str(archive_file), "--up-to-id", str(cut)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    wrong = runner.invoke(args=["audit", "archive", "--archive-file", str(archive_file), "--up-to-id", str(cut + 1), "--yes"])
    assert wrong.exit_code != 0 and "does not hold exactly" in wrong.output
    done = runner.invoke(args=["audit", "archive", "--archive-file", str(archive_file), "--up-to-id", str(cut), "--yes"])
    assert done.exit_code == 0 and "intact" in done.output, done.output
    assert db.session.scalar(select(func.min(AuditEvent.id))) == cut + 1
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    _raw("UPDATE audit_event SET summary = 'x' WHERE id = :id", id=cut + 1)
    assert verify(db.session).broken_id == cut + 1


def test_every_event_kind_written_is_named_for_the_filter():
    """The export filter offers every kind the code writes (a new kind must be added to EVENT_KINDS)."""
    import re
    from pathlib import Path

    from workflow.audit import EVENT_KINDS

    root = Path(__file__).resolve().parent.parent
    written = set()
    for path in [*root.glob("workflow/*.py"), *root.glob("web/**/*.py"), *root.glob("commands/*.py")]:
        source = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'kind="([a-z_]+\.[a-z_]+)"', source))
    written |= {"intake.clue", "intake.self_recommendation"}  # f"intake.{submission.kind}"
    assert written and written <= set(EVENT_KINDS), sorted(written - set(EVENT_KINDS))
