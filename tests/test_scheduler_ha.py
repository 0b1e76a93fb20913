"""Scheduler high availability: of two scheduler processes one runs the jobs, the other stands by
and takes over when the first dies (PostgreSQL advisory lock; a file lock on SQLite). Reminders
stay exactly-once across the hand-over. Every wait is bounded."""
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from models import Reminder, SchedulerJob, db
from workflow import scheduler as scheduling

from .test_reminders import sanction

ROOT = Path(__file__).resolve().parent.parent
WAIT = 60  # seconds: the most any step below may take before the test fails


def wait_for(predicate, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def pg_url(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("the advisory lock needs PostgreSQL (TEST_DATABASE_URL)")
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# --- the lock itself, in process ----------------------------------------------------------------

def test_only_one_holds_the_advisory_lock_and_a_closed_connection_hands_it_over(pg_url):
    first, second = scheduling.PostgresLeadership(pg_url), scheduling.PostgresLeadership(pg_url)
    try:
        assert first.acquire() is True
        assert second.acquire() is False
        assert first.alive()
        with psycopg.connect(pg_url, autocommit=True) as admin:  # the active one's connection dies
            admin.execute("SELECT pg_terminate_backend(%s)", (first.backend_pid(),))
        assert wait_for(lambda: not first.alive(), "the first to notice it lost its connection")
        assert wait_for(second.acquire, "the standby to take the lock")
        assert first.acquire() is False  # reconnected, but the lock is the other's now
    finally:
        first.release()
        second.release()


def test_file_lock_on_sqlite_lets_one_lead(tmp_path):
    path = str(tmp_path / "db.sqlite.scheduler-lock")
    first, second = scheduling.FileLeadership(path), scheduling.FileLeadership(path)
    assert first.acquire() and not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_the_standby_runs_no_job_until_the_lock_is_lost(app, monkeypatch):
    """run_with_leadership with fake locks: stand by, become active, lose it, stand by again."""
    runs, started = [], threading.Event()

    class Scripted:
        def __init__(self):
            self.answers, self.alive_answers = [False, False, True, True], [True, False]

        def acquire(self):
            return self.answers.pop(0) if self.answers else False

        def alive(self):
            return self.alive_answers.pop(0) if self.alive_answers else False

        def release(self):
            pass

        def describe(self):
            return "scripted lock"

    class FakeScheduler:
        def __init__(self):
            self.stopped = threading.Event()

        def start(self):
            runs.append("start")
            started.set()
            self.stopped.wait(WAIT)

        def shutdown(self, wait=True):
            runs.append("shutdown")
            self.stopped.set()

    monkeypatch.setattr(scheduling, "build", lambda given: FakeScheduler())
    stop = threading.Event()
    thread = threading.Thread(target=scheduling.run_with_leadership, args=(app, Scripted(), 0.05, stop))
    thread.start()
    wait_for(lambda: runs.count("start") == 2, "a second term as the active scheduler")
    stop.set()
    thread.join(WAIT)
    assert not thread.is_alive()
    # stood by twice, ran, lost the lock (shut down), stood by, ran again, stopped
    assert runs[:3] == ["start", "shutdown", "start"]


# --- two real scheduler processes on PostgreSQL ---------------------------------------------------

class SchedulerProcess:
    def __init__(self, name, url, tmp_path):
        self.log = tmp_path / f"{name}.log"
        env = {**os.environ, "DATABASE_URL": url, "SCHEDULER_POLL_SECONDS": "0.2", "LOG_FORMAT": "json",
               "SECRET_KEY": "ha-test"}
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"], cwd=ROOT,
                                         env=env, stdout=out, stderr=subprocess.STDOUT)

    def said(self, event):
        return f'"event": "{event}"' in self.log.read_text()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(WAIT)


def reminders():
    db.session.expire_all()
    return db.session.scalars(select(Reminder).order_by(Reminder.id)).all()


def job_runs():
    db.session.expire_all()
    job = db.session.get(SchedulerJob, "reminders")
    return job.last_finished_at if job else None


def test_the_standby_takes_over_when_the_active_scheduler_dies_and_sends_nothing_twice(pg_url, org, tmp_path):
    today = date.today()
    cadre = org.cadre()
    sanction(cadre, today + timedelta(days=5))  # influence period ending: due now (30 days' lead)
    a = SchedulerProcess("a", pg_url, tmp_path)
    b = None
    try:
        wait_for(lambda: a.said("active"), "scheduler A to take the lock")
        wait_for(lambda: len(reminders()) == 1 and job_runs(), "scheduler A's first pass")
        b = SchedulerProcess("b", pg_url, tmp_path)
        wait_for(lambda: b.said("standby"), "scheduler B to stand by")
        first_pass = job_runs()
        # Something new falls due while A is active between passes (its next pass is minutes away).
        sanction(org.cadre(name="李四"), today + timedelta(days=6))
        time.sleep(1.0)  # B polls the lock five times in this second and must stay a standby
        assert not b.said("active") and job_runs() == first_pass and len(reminders()) == 1
        a.proc.kill()  # the active scheduler dies: its connection and its lock go with it
        a.proc.wait(WAIT)
        wait_for(lambda: b.said("active"), "scheduler B to take over")
        wait_for(lambda: len(reminders()) == 2, "scheduler B to send the pending reminder")
        wait_for(lambda: job_runs() and job_runs() > first_pass, "scheduler B's pass to finish")
        rows = reminders()
        keys = [(r.kind, r.subject, r.due_on, r.recipient_id) for r in rows]
        assert len(keys) == len(set(keys)) == 2  # each reminder once: the first was not sent again
        assert db.session.scalar(select(func.count()).select_from(Reminder)) == 2
    finally:
        a.stop()
        if b is not None:
            b.stop()
    assert b.proc.returncode == 0 and "Scheduler stopped." in b.log.read_text()
