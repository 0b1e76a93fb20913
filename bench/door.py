"""(a) A state change through the one door vs a bare driver transaction writing the same rows.

The change: a promotion case in nomination is put on hold (clue under verification) and released
again — two real state changes each, with guards, effects, the step record, the hash-chained
audit event, the deadline planned and a commit; repeatable, so every run finds its cases as the
last left them. The floor does the same to other cases with the bare driver: lock the case row,
update it, insert the step record, lock the chain head, insert the event (hashed with
``audit.event_hash``, so the chain stays valid), move the head, commit.
"""
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from .common import Row, Timer, child, median, raw_connect

HOLD = {"reason": "bench: a clue is under verification 线索核查中"}
RELEASE = {"clarification": "bench: clarified 已澄清"}


def nomination_cases(app, count, skip=0):
    from sqlalchemy import select

    from models import Case, db

    with app.app_context():
        return db.session.scalars(select(Case.id).where(Case.track == "promotion", Case.state == "nomination")
                                  .order_by(Case.id).offset(skip).limit(count)).all()


def door_changes(app, case_ids, username="officer"):
    from sqlalchemy import select

    from models import User, db
    from workflow import door

    with app.app_context():
        officer = db.session.scalars(select(User).where(User.username == username)).one()
        for case_id in case_ids:
            door.advance(case_id, "put_on_hold", officer, HOLD)
        for case_id in case_ids:
            door.advance(case_id, "release_hold", officer, RELEASE)
        db.session.remove()
    return 2 * len(case_ids)


def floor_changes(url, case_ids, actor_id):
    """The same rows, written the most direct way (one transaction per change)."""
    from workflow import audit

    conn = raw_connect(url)
    sqlite = url.startswith("sqlite")
    q = "?" if sqlite else "%s"
    lock = "" if sqlite else " FOR UPDATE"

    def one(case_id, trigger, to_state, held_from, data):
        now = datetime.now(UTC)
        stamp = now.replace(tzinfo=None)
        cur = conn.cursor()
        if sqlite:
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(f'SELECT version, state, cadre_id, unit_id, reference FROM "case" WHERE id = {q}{lock}', (case_id,))
        version, from_state, cadre_id, unit_id, reference = cur.fetchone()
        due = (now + timedelta(days=60 if to_state == "on_hold" else 30)).date()
        cur.execute(f'UPDATE "case" SET state = {q}, version = {q}, held_from = {q}, state_since = {q}, updated_at = {q}, '
                    f'due_on = {q}, due_kind = {q}, due_needs_review = {q} WHERE id = {q} AND version = {q}',
                    (to_state, version + 1, held_from, stamp, stamp, due, "step_limit", False, case_id, version))
        record_data = json.dumps(data)
        cur.execute(f"INSERT INTO step_record (case_id, trigger, from_state, to_state, data, actor_id, recorded_at) "
                    f"VALUES ({q}, {q}, {q}, {q}, {q}, {q}, {q})" + ("" if sqlite else " RETURNING id"),
                    (case_id, trigger, from_state, to_state, record_data, actor_id, stamp))
        record_id = cur.lastrowid if sqlite else cur.fetchone()[0]
        cur.execute(f"SELECT last_hash FROM audit_head WHERE id = 1{lock}")
        prev = cur.fetchone()[0]
        event = SimpleNamespace(occurred_at=now, actor_id=actor_id, kind="case.transition", case_id=case_id, cadre_id=cadre_id,
                                unit_id=unit_id, summary=f"{reference}: {trigger} ({from_state} → {to_state})",
                                before={"state": from_state, "version": version},
                                after={"state": to_state, "version": version + 1, "record_id": record_id, "trigger": trigger,
                                       "data": data, "due_on": due.isoformat(), "due_needs_review": False})
        digest = audit.event_hash(prev, event)
        cur.execute(f"INSERT INTO audit_event (occurred_at, actor_id, kind, case_id, cadre_id, unit_id, summary, before, after, "
                    f"prev_hash, hash) VALUES ({q}, {q}, {q}, {q}, {q}, {q}, {q}, {q}, {q}, {q}, {q})"
                    + ("" if sqlite else " RETURNING id"),
                    (stamp, actor_id, event.kind, case_id, cadre_id, unit_id, event.summary, json.dumps(event.before),
                     json.dumps(event.after), prev, digest))
        event_id = cur.lastrowid if sqlite else cur.fetchone()[0]
        cur.execute(f"UPDATE audit_head SET last_event_id = {q}, last_hash = {q} WHERE id = 1", (event_id, digest))
        cur.execute("COMMIT") if sqlite else conn.commit()

    if not sqlite:
        conn.autocommit = False
    try:
        if sqlite:
            sqlite_stamp(conn)
        for case_id in case_ids:
            one(case_id, "put_on_hold", "on_hold", "nomination", HOLD)
        for case_id in case_ids:
            one(case_id, "release_hold", "nomination", None, RELEASE)
    finally:
        conn.close()
    return 2 * len(case_ids)


def sqlite_stamp(conn):
    """SQLite stores datetimes as SQLAlchemy writes them (text with microseconds)."""
    import sqlite3

    sqlite3.register_adapter(datetime, lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f"))
    sqlite3.register_adapter(type(datetime.now().date()), lambda d: d.isoformat())


def run(app, url, backend, runs=5, per_run=150, processes=4, log=print):
    from sqlalchemy import select

    from models import User, db

    with app.app_context():
        actor_id = db.session.scalar(select(User.id).where(User.username == "officer"))
    ours_ids = nomination_cases(app, per_run)
    floor_ids = nomination_cases(app, per_run, skip=per_run)
    door_changes(app, ours_ids[:5])  # warm up both paths
    floor_changes(url, floor_ids[:5], actor_id)
    ours, floor = [], []
    for _ in range(runs):
        with Timer() as t:
            count = door_changes(app, ours_ids)
        ours.append(count / t.seconds)
        with Timer() as t:
            count = floor_changes(url, floor_ids, actor_id)
        floor.append(count / t.seconds)
    log(f"[{backend}] door: ours {[round(x) for x in ours]}/s, floor {[round(x) for x in floor]}/s")
    rows = [Row(backend, "(a) state change through the door", median(ours), median(floor), "/s", ">= 40% of floor")]
    rows[0].passed = rows[0].ratio >= 0.40
    if backend == "postgresql" and processes > 1:
        rows += parallel(app, url, backend, processes, per_run, actor_id, log)
    return rows


def parallel(app, url, backend, processes, per_run, actor_id, log, runs=3):
    """The door in N processes at once vs in one process (each in its own fresh process); then the
    floor's own transactions the same way: how far this machine lets N writers scale at all."""
    ids = nomination_cases(app, per_run * processes + 2 * processes, skip=2 * per_run)
    shares = [ids[i::processes] for i in range(processes)]
    rates = {"door": ([], []), "door-floor": ([], [])}
    for _ in range(runs):
        for command, (one, many) in rates.items():
            extra = [] if command == "door" else [actor_id]
            one.append(_spawn(command, url, [shares[0]], extra))
            many.append(_spawn(command, url, shares, extra))
    for command, (one, many) in rates.items():
        log(f"[{backend}] {command} x{processes}: one process {[round(x) for x in one]}/s, "
            f"{processes} processes {[round(x) for x in many]}/s")
    door_row = Row(backend, f"(a) door in {processes} processes vs 1", median(rates["door"][1]), median(rates["door"][0]),
                   "/s", ">= 2.5x one process")
    door_row.passed = door_row.ratio >= 2.5
    floor_row = Row(backend, f"(a) bare driver in {processes} processes vs 1 (the machine's own scaling)",
                    median(rates["door-floor"][1]), median(rates["door-floor"][0]), "/s", "—", None)
    return [door_row, floor_row]


def _spawn(command, url, shares, extra=()):
    from concurrent.futures import ThreadPoolExecutor

    start_at = time.time() + 8  # every process has built its app and warmed up by then
    files = []
    for share in shares:
        handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(share, handle)
        handle.close()
        files.append(handle.name)
    with ThreadPoolExecutor(len(shares)) as pool:
        results = list(pool.map(lambda f: child(command, url, start_at, f, *extra), files))
    total = sum(r["count"] for r in results)
    return total / (max(r["finished"] for r in results) - min(r["started"] for r in results))
