"""Concurrency on PostgreSQL (issue #8 item 5). Threads, each with its own app context, session and
connection (a pool-less engine: one connection per session), released together at a barrier.

- 32 threads take the same step on the same case at the same version: exactly one succeeds, the
  31 others get the door's conflict (StaleCase, 409, words a person can read); one new transition
  event, the chain intact; through the pages the losers see 409 with the same words.
- 8 officers opening a case for the same cadre at once: one case, 7 refusals.
- Work on different cases does not block: 8 threads each advancing its own case all finish, and
  a transaction holding one case's row lock does not delay a step on another case (the other
  step runs under a short lock_timeout and still succeeds; the locked case's step is refused as
  a conflict, not a raw database error).
- Two scheduler runs at once do not double-send: tests/test_reminders.py
  (test_two_schedulers_at_the_same_moment_send_each_reminder_once and friends) covers it and runs
  on PostgreSQL as well; it is not duplicated here.

SQLite serializes every writer on one file lock, so none of this can be observed there.
"""
import threading
import time

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from models import AuditEvent, Case, StepRecord, User, db
from workflow import door
from workflow.audit_verify import verify
from workflow.errors import Refused, StaleCase

from .test_door import select_data

THREADS = 32
JOIN_SECONDS = 120  # a generous bound: a hang fails the test instead of the run


@pytest.fixture
def pg(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: row locks, lock_timeout and real concurrent writers "
                    "(run with TEST_DATABASE_URL=postgresql://...)")
    engine = create_engine(db.engine.url, poolclass=NullPool, connect_args={"options": "-c lock_timeout=30000"})
    yield engine
    engine.dispose()


def run_together(app, engine, count, work):
    """Run ``work(index, session)`` in ``count`` threads released at one barrier; each thread has
    its own app context and its own session on its own connection. Returns the outcomes in order:
    ("ok", value) or (exception class name, exception)."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def thread(index, engine):
        with app.app_context(), Session(engine, expire_on_commit=False) as session:
            session.execute(text("SELECT 1"))  # connected before the barrier: all start together
            try:
                barrier.wait(timeout=60)
                outcomes[index] = ("ok", work(index, session))
            except Refused as exc:
                outcomes[index] = (type(exc).__name__, exc)
            except BaseException as exc:  # reported by the test, whatever it is
                outcomes[index] = ("ERROR", repr(exc))

    threads = [threading.Thread(target=thread, args=(i, engine)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=JOIN_SECONDS)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return outcomes


def counts(case_id):
    db.session.expire_all()
    transitions = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.case_id == case_id, AuditEvent.kind == "case.transition"))
    steps = db.session.scalar(select(func.count()).select_from(StepRecord).where(StepRecord.case_id == case_id))
    return transitions, steps


@pytest.mark.parametrize("send_version", [True, False], ids=["same-version", "no-version"])
def test_32_threads_take_the_same_step_exactly_one_succeeds(app, org, travel, pg, send_version):
    case = org.open_case()
    version_seen = case.version if send_version else None
    officer_id = org.users["case_officer"].id
    data = select_data(org)

    def work(index, session):
        actor = session.get(User, officer_id)
        return door.advance(case.id, "select_for_inspection", actor, data, expected_version=version_seen,
                            session=session).to_state

    outcomes = run_together(app, pg, THREADS, work)
    kinds = [kind for kind, _ in outcomes]
    assert "ERROR" not in kinds, [o for o in outcomes if o[0] == "ERROR"]
    assert kinds.count("ok") == 1, kinds
    losers = [exc for kind, exc in outcomes if kind != "ok"]
    assert len(losers) == THREADS - 1
    # The version the user saw is stale (or, sent without one, the case is no longer where the step starts).
    assert all(exc.status == 409 for exc in losers), {type(e).__name__ for e in losers}
    if version_seen is not None:
        assert all(isinstance(exc, StaleCase) and "Nothing was saved" in exc.message for exc in losers)
    assert all("This case" in exc.message for exc in losers)  # a sentence about the case (stale or moved on)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.state == "inspection"
    assert counts(case.id) == (1, 2)  # one transition event; the opening record and one step record
    assert verify(db.session).intact


def test_the_losers_through_the_pages_get_409_with_words(app, org, travel, pg):
    """Eight officers press the same button on the same page version at once."""
    from .conftest import FormClient
    from .test_fuzz_views import fresh_g

    case = org.open_case()
    clients, tokens = [], []
    for _ in range(8):
        web = FormClient(app.test_client())
        fresh_g()  # this thread's requests share the test's app context: no token carried between clients
        assert web.login("case_officer").status_code == 302
        fresh_g()
        web.speak("zh" if len(clients) % 2 else "en")  # half of them read Chinese
        clients.append(web)
        tokens.append(web.token())
    body = {"select_for_inspection-team": "李建国\n赵敏", "select_for_inspection-notice_on": travel.today.isoformat(),
            "select_for_inspection-version": str(case.version)}
    barrier = threading.Barrier(len(clients))
    statuses, pages = [None] * len(clients), [None] * len(clients)

    def press(i):
        barrier.wait(timeout=60)
        response = clients[i].client.post(f"/cases/{case.id}/act/select_for_inspection",
                                          data={**body, "select_for_inspection-csrf_token": tokens[i]})
        statuses[i], pages[i] = response.status_code, response.get_data(as_text=True)

    threads = [threading.Thread(target=press, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=JOIN_SECONDS)
    assert not any(t.is_alive() for t in threads)
    assert sorted(statuses) == [302] + [409] * (len(clients) - 1), statuses
    for index, (status, page) in enumerate(zip(statuses, pages, strict=True)):
        if status == 409:
            expected = "案件已被他人更新，本次未保存" if index % 2 else "changed by someone else"
            assert expected in page, index
    assert counts(case.id) == (1, 2)
    assert verify(db.session).intact


def test_two_officers_opening_a_case_for_one_cadre_at_once_get_one_case(app, org, travel, pg):
    cadre = org.cadre()
    officer_id, post_id = org.users["case_officer"].id, org.post_a.id

    def work(index, session):
        actor = session.get(User, officer_id)
        data = {"source": "organization", "work_plan": f"动议 {index}", "evidence": ""}
        return door.open_case("promotion", actor, cadre.id, data, target_position_id=post_id, session=session).case.id

    outcomes = run_together(app, pg, 8, work)
    kinds = [kind for kind, _ in outcomes]
    assert kinds.count("ok") == 1 and kinds.count("GuardFailed") == 7, outcomes
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Case).where(Case.cadre_id == cadre.id)) == 1
    assert verify(db.session).intact


def test_eight_threads_each_advancing_its_own_case_all_finish(app, org, travel, pg):
    cases = [org.open_case(cadre=org.cadre(name=f"干部{i}")) for i in range(8)]
    officer_id = org.users["case_officer"].id
    data = select_data(org)
    events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))

    def work(index, session):
        actor = session.get(User, officer_id)
        return door.advance(cases[index].id, "select_for_inspection", actor, data, expected_version=None, session=session).to_state

    started = time.monotonic()
    outcomes = run_together(app, pg, len(cases), work)
    assert outcomes == [("ok", "inspection")] * len(cases), outcomes
    assert time.monotonic() - started < JOIN_SECONDS  # finished, with a wide margin; no timing claim beyond that
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before + len(cases)
    assert all(counts(c.id) == (1, 2) for c in cases)
    verdict = verify(db.session)
    assert verdict.intact, verdict.sentence()


def test_a_lock_on_one_case_does_not_delay_another(app, org, travel, pg):
    """A transaction holds case A's row lock. A step on case B under a 5 s lock_timeout succeeds;
    a step on case A under a 1 s lock_timeout is refused as a conflict, and nothing is written."""
    case_a = org.open_case(cadre=org.cadre(name="甲"))
    case_b = org.open_case(cadre=org.cadre(name="乙"))
    officer_id = org.users["case_officer"].id
    data = select_data(org)
    short = create_engine(db.engine.url, poolclass=NullPool)
    holder = pg.connect()
    try:
        holder_tx = holder.begin()
        holder.execute(text('SELECT id FROM "case" WHERE id = :id FOR UPDATE'), {"id": case_a.id})

        def step(case_id, timeout_ms):
            result = {}

            def run():
                with app.app_context(), Session(short) as session:
                    session.execute(text(f"SET lock_timeout = {timeout_ms}"))
                    try:
                        result["ok"] = door.advance(case_id, "select_for_inspection", session.get(User, officer_id), data,
                                                    expected_version=None, session=session).to_state
                    except Refused as exc:
                        result["refused"] = exc
                    except BaseException as exc:
                        result["error"] = repr(exc)

            t = threading.Thread(target=run)
            t.start()
            t.join(timeout=JOIN_SECONDS)
            assert not t.is_alive()
            return result

        assert step(case_b.id, 5000) == {"ok": "inspection"}
        blocked = step(case_a.id, 1000)
        assert set(blocked) == {"refused"}, blocked
        assert isinstance(blocked["refused"], StaleCase) and blocked["refused"].status == 409
        assert "Nothing was saved" in blocked["refused"].message
        holder_tx.rollback()
    finally:
        holder.close()
        short.dispose()
    assert counts(case_a.id) == (0, 1) and counts(case_b.id) == (1, 2)
    assert verify(db.session).intact


def test_the_scheduler_race_is_covered_on_postgresql_too():
    """Two scheduler passes at once: see tests/test_reminders.py, which runs on both databases."""
    from . import test_reminders

    assert hasattr(test_reminders, "test_two_schedulers_at_the_same_moment_send_each_reminder_once")
    assert hasattr(test_reminders, "two_schedulers")


def test_an_audited_change_writes_its_rows_before_it_locks_the_chain_head(app, pg, org):
    """audit.append writes the caller's pending rows first (their triggers lock a change token),
    then locks the chain head, in every transaction alike: two administrators changing the calendar
    at once both succeed instead of one of them dying in a deadlock (found in review: a removal
    locked the head first and the token only at its commit, while an addition did the reverse)."""
    from datetime import date

    from models import CalendarOverride
    from workflow import audit, calendar_admin, clock

    admin_id = org.users["administrator"].id
    db.session.add(CalendarOverride(day=date(2026, 5, 6), is_workday=True, name="test"))
    db.session.commit()
    first, result = Session(pg), {}
    try:
        actor = first.get(User, admin_id)
        first.delete(first.get(CalendarOverride, date(2026, 5, 6)))  # pending: as calendar_admin.remove_override
        audit.append(first, kind="calendar.changed", actor=actor, at=clock.now(), summary="removed")

        def second():
            with app.app_context(), Session(pg) as session:
                try:
                    calendar_admin.set_override(session, session.get(User, admin_id), date(2026, 5, 7), True, "test")
                    result["second"] = "ok"
                except BaseException as exc:
                    result["second"] = repr(exc)

        t = threading.Thread(target=second)
        t.start()
        deadline = time.monotonic() + 30  # until the second one waits for the head's lock (not a deadline of the app's)
        while time.monotonic() < deadline and not db.session.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")):
            db.session.rollback()
            time.sleep(0.05)
        first.commit()
        t.join(timeout=JOIN_SECONDS)
        assert not t.is_alive()
    finally:
        first.close()
    assert result == {"second": "ok"}
    db.session.expire_all()
    assert db.session.get(CalendarOverride, date(2026, 5, 6)) is None
    assert db.session.get(CalendarOverride, date(2026, 5, 7)) is not None
    assert verify(db.session).intact
