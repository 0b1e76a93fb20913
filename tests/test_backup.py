"""``flask backup create`` / ``flask backup restore`` (issue #8 item 6), on SQLite and PostgreSQL.

History is made, backed up, more history is made (more reminders sent), the backup restored:
the chain verifies, the data is as it was at backup time, the audit table is still append-only,
and a reminder pass at the same moment as before the backup sends nothing again, while a pass
at the later moment sends what is due.
"""
import json
import re
import threading
from datetime import date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from models import AuditEvent, AuditHead, Cadre, Case, Objection, Reminder, StepRecord, Submission, User, db
from workflow import door
from workflow.audit_verify import verify
from workflow.clock import LOCAL_TZ
from workflow.reminders import run_once

from .test_door import select_data

T1 = datetime(2026, 4, 6, 9, 0, tzinfo=LOCAL_TZ)  # the nomination's step limit (30 days) has passed
T2 = datetime(2026, 6, 15, 9, 0, tzinfo=LOCAL_TZ)


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def state_of_everything():
    """The rows a restore must bring back exactly."""
    db.session.rollback()
    db.session.expire_all()

    def rows(model, *cols):
        return [tuple(r) for r in db.session.execute(select(*[getattr(model, c) for c in cols]).order_by(*[
            getattr(model, c) for c in cols[:1]])).all()]

    return {
        "cases": rows(Case, "id", "reference", "state", "version", "due_on", "closed_at"),
        "steps": rows(StepRecord, "id", "case_id", "trigger", "to_state"),
        "objections": rows(Objection, "id", "answered"),
        "cadres": rows(Cadre, "id", "name", "rank", "version"),
        "users": rows(User, "id", "username"),
        "submissions": rows(Submission, "id", "status"),
        "reminders": rows(Reminder, "id", "kind", "subject", "due_on", "recipient_id"),
        "events": rows(AuditEvent, "id", "kind", "hash"),
        "head": tuple(db.session.execute(select(AuditHead.last_event_id, AuditHead.last_hash)).one()),
    }


def reminder_keys():
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(Reminder.kind, Reminder.subject, Reminder.due_on, Reminder.recipient_id).order_by(Reminder.id)).all()]


def printed(output, label):
    match = re.search(rf"^{label}: (.+)$", output, re.M)
    assert match, output
    return match.group(1)


def reattach(org):
    """The backup commands end the session (a restore replaces the database under it): load the
    org's users, units and posts again for the rest of the test."""
    from models import Position, Unit

    if not hasattr(org, "_ids"):
        org._ids = {"users": {k: u.id for k, u in org.users.items()},
                    "units": {k: getattr(org, k).id for k in ("root", "unit_a", "unit_b")},
                    "posts": {k: getattr(org, k).id for k in ("post_a", "post_a_plain", "post_b", "post_a_section")}}
        return org
    org.session = db.session
    org.users = {k: db.session.get(User, i) for k, i in org._ids["users"].items()}
    org.officer_b = org.users["officer_b"]
    for k, i in org._ids["units"].items():
        setattr(org, k, db.session.get(Unit, i))
    for k, i in org._ids["posts"].items():
        setattr(org, k, db.session.get(Position, i))
    return org


def make_history(org, travel):
    """Two cases going stale by T1, and an influence period whose end is reminded only after T1."""
    from .test_reminders import sanction

    reattach(org)
    first = org.open_case(cadre=org.cadre(name="甲"))
    org.case_in("inspection", post=org.post_b, unit=org.unit_b)
    sanction(org.cadre(name="丙", unit=org.unit_b), date(2026, 6, 30))  # reminded 30 days before: due by T2
    return first


def test_backup_then_more_history_then_restore(app, org, travel, tmp_path):
    first_id = make_history(org, travel).id
    before_backup = run_once(db.session, now=T1)
    assert before_backup.sent > 0
    sent_before = reminder_keys()
    expected = state_of_everything()

    path = tmp_path / "cadreflow.backup"
    made = cli(app, "backup", "create", "--out", str(path))
    assert made.exit_code == 0, made.output
    assert printed(made.output, "written") == str(path)
    assert int(printed(made.output, "size").split()[0]) == path.stat().st_size > 0
    from commands.backup import file_sha256

    assert printed(made.output, "sha256") == file_sha256(path)
    head = printed(made.output, "audit chain head")
    assert head == f"{expected['head'][1]} (event #{expected['head'][0]})"
    manifest = json.loads((tmp_path / "cadreflow.backup.manifest.json").read_text(encoding="utf-8"))
    assert manifest["sha256"] == file_sha256(path) and manifest["chain_head"] == expected["head"][1]
    db.session.expire_all()
    assert db.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id.desc())).first() == "backup.created"

    # More history after the backup: a step, a new case, more reminders sent.
    reattach(org)
    travel.to(date(2026, 4, 8))
    door.advance(first_id, "select_for_inspection", org.users["case_officer"], select_data(org), session=db.session)
    org.open_case(cadre=org.cadre(name="乙"), post=org.post_a_plain)
    after_backup = run_once(db.session, now=T2)
    assert after_backup.sent > 0
    changed = state_of_everything()
    assert changed != expected

    # A database in use is not overwritten without --force, and nothing changes.
    refused = cli(app, "backup", "restore", str(path))
    assert refused.exit_code != 0 and "not empty" in refused.output and "--force" in refused.output
    assert state_of_everything() == changed
    wrong = cli(app, "backup", "restore", str(path), "--force", "--sha256", "0" * 64)
    assert wrong.exit_code != 0 and "Nothing was restored" in wrong.output
    assert state_of_everything() == changed

    restored = cli(app, "backup", "restore", str(path), "--force")
    assert restored.exit_code == 0, restored.output
    assert "intact" in restored.output

    # The data is as it was at backup time (plus the restore's own audit event at the end).
    now = state_of_everything()
    restore_event = now["events"].pop()
    assert restore_event[1] == "backup.restored"
    assert {k: v for k, v in now.items() if k != "head"} == {k: v for k, v in expected.items() if k != "head"}
    assert now["head"][0] == restore_event[0]
    verdict = verify(db.session)
    assert verdict.intact, verdict.sentence()

    # The audit table is still append-only.
    for statement in ("UPDATE audit_event SET summary = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(statement))
    db.session.rollback()

    # Reminders: nothing sent before the backup is sent again; what is due later is sent, once.
    again = run_once(db.session, now=T1)
    assert (again.sent, again.skipped) == (0, before_backup.sent)
    assert reminder_keys() == sent_before
    later = run_once(db.session, now=T2)
    assert later.sent > 0
    keys = reminder_keys()
    assert keys[:len(sent_before)] == sent_before and len(set(keys)) == len(keys)
    assert run_once(db.session, now=T2).sent == 0


def test_restore_into_an_empty_database_needs_no_force(app, org, travel, tmp_path):
    make_history(org, travel)
    run_once(db.session, now=T1)
    expected = state_of_everything()
    path = tmp_path / "b.backup"
    assert cli(app, "backup", "create", "--out", str(path)).exit_code == 0
    from .conftest import _empty_tables

    db.session.remove()
    _empty_tables()
    restored = cli(app, "backup", "restore", str(path))
    assert restored.exit_code == 0, restored.output
    now = state_of_everything()
    assert now["events"].pop()[1] == "backup.restored"
    assert {k: v for k, v in now.items() if k != "head"} == {k: v for k, v in expected.items() if k != "head"}
    assert verify(db.session).intact


def test_a_backup_taken_while_the_app_writes_is_consistent(app, org, travel, tmp_path):
    """A writer keeps appending (sign-ins are audit events) while the backup runs; the backup's
    chain verifies and ends at the head the command printed."""
    from workflow import audit, clock

    make_history(org, travel)
    stop, started, errors = threading.Event(), threading.Event(), []

    def writer():
        with app.app_context():
            try:
                while not stop.is_set():
                    audit.append(db.session, kind="login.failure", actor=None, at=clock.now(), summary="writer",
                                 after={"n": 1})
                    db.session.commit()
                    started.set()
            except BaseException as exc:  # reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        path = tmp_path / "live.backup"
        assert started.wait(timeout=30)
        made = cli(app, "backup", "create", "--out", str(path))
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive() and errors == [], errors
    assert made.exit_code == 0, made.output
    head = printed(made.output, "audit chain head").split()[0]
    restored = cli(app, "backup", "restore", str(path), "--force")
    assert restored.exit_code == 0, restored.output
    db.session.expire_all()
    restore_event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert restore_event.kind == "backup.restored" and restore_event.prev_hash == head
    assert verify(db.session).intact


def test_not_a_backup_is_refused(app, org, travel, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database" * 100)
    before = state_of_everything()
    result = cli(app, "backup", "restore", str(junk), "--force")
    assert result.exit_code != 0 and ("Nothing was restored" in result.output or "failed" in result.output), result.output
    assert state_of_everything() == before


def test_create_never_overwrites_a_file(app, org, travel, tmp_path):
    path = tmp_path / "exists.backup"
    path.write_text("keep me")
    result = cli(app, "backup", "create", "--out", str(path))
    assert result.exit_code != 0 and "exists already" in result.output
    assert path.read_text() == "keep me"


def test_missing_postgresql_tools_are_named(app, monkeypatch):
    import click

    from commands import backup

    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(click.ClickException, match="pg_dump was not found on PATH.*postgresql-client"):
        backup._tool("pg_dump", "written")
    if db.engine.dialect.name == "postgresql":
        result = cli(app, "backup", "create", "--out", "/tmp/never-written.backup")
        assert result.exit_code != 0 and "pg_dump was not found" in result.output
