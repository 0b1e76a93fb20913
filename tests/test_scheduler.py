"""The scheduler process (workflow/scheduler.py) and the commands (commands/scheduler.py):
the APScheduler object build(app) returns, job health recorded by run_job, a live scheduler
that survives a failing job and catches up after downtime, and ``flask reminders run-once``.
"""
import re
import threading
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.schedulers.base import STATE_RUNNING, STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

import workflow.reminders
import workflow.scheduler
from models import Reminder, SchedulerJob, db
from workflow import clock
from workflow.scheduler import JOB_DEFAULTS, JOBS, build, run_job

from .test_reminders import count_rows, free_port, give_email, rows, sanction, smtp_server


@pytest.fixture
def smtp():
    """A local SMTP server for the test (see test_reminders.smtp_server)."""
    with smtp_server() as server:
        yield server


LINE = re.compile(r"^sent: (\d+), skipped \(already sent\): (\d+), failed: (\d+), e-mailed: (\d+)$")


def health(job_id="reminders"):
    db.session.expire_all()
    return db.session.get(SchedulerJob, job_id)


def effective(scheduler, job, option):
    """What APScheduler applies when the job is added at start: the job's own value, else the default."""
    return getattr(job, option, scheduler._job_defaults[option])


# --- build(app): the scheduler object, not started --------------------------------------------

def test_build_returns_a_blocking_scheduler_in_utc_with_the_declared_jobs(app, travel):
    scheduler = build(app)
    assert isinstance(scheduler, BlockingScheduler)
    assert scheduler.state == STATE_STOPPED and not scheduler.running, "build must not start it"
    assert str(scheduler.timezone) == "UTC" and scheduler.timezone.utcoffset(None) == timedelta(0)
    jobs = scheduler.get_jobs()
    assert [job.id for job in jobs] == [spec.id for spec in JOBS] == ["reminders"]
    for job, spec in zip(jobs, JOBS, strict=True):
        assert job.func is run_job and job.args == (app, spec.id)
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(minutes=spec.minutes) and str(job.trigger.timezone) == "UTC"
        assert job.name == spec.description
        # First run at start: a scheduler that was off catches up at once, not an interval later.
        assert job.next_run_time == clock.now()


def test_job_ids_are_stable_across_builds(app, travel):
    first, second = build(app), build(app)
    assert [j.id for j in first.get_jobs()] == [j.id for j in second.get_jobs()]
    assert len({spec.id for spec in JOBS}) == len(JOBS)
    for spec in JOBS:  # each declared function exists
        module, name = spec.func.split(":")
        assert callable(getattr(__import__(module, fromlist=[name]), name))


def test_jobs_coalesce_never_skip_a_late_run_and_never_overlap(app, travel):
    assert JOB_DEFAULTS == {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}
    scheduler = build(app)
    for job in scheduler.get_jobs():
        assert effective(scheduler, job, "coalesce") is True
        assert effective(scheduler, job, "misfire_grace_time") is None, "APScheduler's default of 1 s would skip late runs"
        assert effective(scheduler, job, "max_instances") == 1


# --- run_job: health recorded ------------------------------------------------------------------

def test_run_job_records_the_last_result(app, org, travel):
    org.open_case()
    travel.to(date(2026, 4, 1))  # the case is stale today
    run_job(app, "reminders")
    h = health()
    assert h.last_started_at == h.last_finished_at == clock.now()
    assert LINE.match(h.last_result), h.last_result
    assert h.last_error == "" and h.last_error_at is None
    assert [r.kind for r in rows()] == ["stale_step"]


def test_run_job_records_how_many_it_sent(app, org, travel):
    org.open_case()
    travel.to(date(2026, 4, 1))
    run_job(app, "reminders")
    assert health().last_result == "sent: 1, skipped (already sent): 0, failed: 0, e-mailed: 0"


def test_run_job_e_mails_through_the_configured_smtp_server(app, org, travel, smtp, monkeypatch):
    for key, value in smtp.config.items():
        monkeypatch.setitem(app.config, key, value)
    give_email(org.users["case_officer"])
    org.open_case()
    travel.to(date(2026, 4, 1))
    run_job(app, "reminders")
    assert LINE.match(health().last_result).group(4) == "1"
    assert [rcpt for rcpt, _ in smtp.inbox.messages] == ["case_officer@test.example"]


def test_a_failing_job_records_its_error_and_does_not_raise(app, org, travel, monkeypatch):
    travel.to(date(2026, 4, 1))
    run_job(app, "reminders")
    succeeded = health().last_result
    assert LINE.match(succeeded)

    def broken(*args, **kwargs):
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(workflow.reminders, "run_once", broken)
    travel.days(1)
    run_job(app, "reminders")  # does not raise: the scheduler goes on
    h = health()
    assert h.last_error == "RuntimeError: database unreachable"
    assert h.last_error_at == h.last_started_at == h.last_finished_at == clock.now()
    assert h.last_result == succeeded, "the last result stays that of the last successful run"

    monkeypatch.undo()
    travel.days(1)
    run_job(app, "reminders")
    h = health()
    assert h.last_finished_at == clock.now() and LINE.match(h.last_result)
    assert h.last_error_at == clock.now() - timedelta(days=1), "the last error is kept, with its time"


# --- the scheduler running for real (in a thread, stopped by the test) --------------------------

@contextmanager
def started(scheduler):
    """Start the BlockingScheduler in a thread; wait (for the thread, not for a deadline) until its job ran once."""
    ran = threading.Event()
    events = []

    def listener(event):
        events.append(event)
        ran.set()

    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    try:
        assert ran.wait(60), "the job did not run"
        yield events
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        thread.join(30)
        assert not thread.is_alive()


def test_a_live_scheduler_records_a_failing_job_and_keeps_running(app, travel, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("SMTP configuration broken")

    monkeypatch.setattr(workflow.reminders, "run_once", broken)
    scheduler = build(app)
    with started(scheduler) as events:
        assert [e.code for e in events] == [EVENT_JOB_EXECUTED], "run_job caught the error itself"
        assert scheduler.running and scheduler.state == STATE_RUNNING
        h = health()
        assert h.last_error == "RuntimeError: SMTP configuration broken"
        job = scheduler.get_job("reminders")
        assert job is not None and job.next_run_time > datetime.now(UTC), "still scheduled"
        assert h.next_run_at == job.next_run_time, "the next run is recorded for administrators"


def test_a_scheduler_started_after_days_off_sends_what_it_missed_at_once(app, org, travel):
    case = org.open_case()  # stale on 04-01
    cadre = org.cadre(name="褚三")
    admonished = sanction(cadre, date(2026, 4, 10), "admonishment")  # reminded from 03-27
    travel.to(date(2026, 3, 20))
    run_job(app, "reminders")
    assert count_rows() == 0
    # Off from 03-20 to 04-06 (and, in real time, months late: misfire_grace_time None still runs it).
    travel.to(date(2026, 4, 6))
    with started(build(app)) as events:
        assert [e.code for e in events] == [EVENT_JOB_EXECUTED], "run, not skipped as missed"
    assert sorted((r.kind, r.subject) for r in rows()) == [
        ("admonishment_ending", f"sanction:{admonished.id}"), ("stale_step", f"case:{case.id}")]
    assert health().last_started_at == clock.now()


# --- flask reminders run-once / flask scheduler run ---------------------------------------------

def cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result


def test_run_once_prints_its_counts_and_a_second_pass_sends_none(app, org, travel, smtp, monkeypatch):
    for key, value in smtp.config.items():
        monkeypatch.setitem(app.config, key, value)
    give_email(org.users["case_officer"])
    org.open_case()
    first = cli(app, "reminders", "run-once", "--now", "2026-04-01T09:00")
    assert first.exit_code == 0, first.output
    assert LINE.match(first.output.strip()).group(3, 4) == ("0", "1")
    second = cli(app, "reminders", "run-once", "--now", "2026-04-01T09:00")
    assert second.exit_code == 0, second.output
    sent, skipped, failed, emailed = LINE.match(second.output.strip()).groups()
    assert (sent, skipped, failed, emailed) == ("0", "1", "0", "0")
    assert count_rows() == 1 and len(smtp.inbox.messages) == 1


def test_run_once_prints_how_many_it_sent(app, org, travel):
    org.open_case()
    org.open_case(cadre=org.cadre(name="李四"))
    first = cli(app, "reminders", "run-once", "--now", "2026-04-01T09:00")
    second = cli(app, "reminders", "run-once", "--now", "2026-04-01T09:00")
    assert first.output.strip() == "sent: 2, skipped (already sent): 0, failed: 0, e-mailed: 0"
    assert second.output.strip() == "sent: 0, skipped (already sent): 2, failed: 0, e-mailed: 0"


def test_run_once_prints_failures(app, org, travel, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nothing listens there
    give_email(org.users["case_officer"])
    org.open_case()
    result = cli(app, "reminders", "run-once", "--now", "2026-04-01T09:00")
    assert result.exit_code == 0, result.output
    assert LINE.match(result.output.strip()).group(3, 4) == ("1", "0")
    assert rows()[0].email_status == "failed"


def test_run_once_reads_a_date_time_without_zone_as_local_time(app, org, travel):
    org.open_case()  # stale on 2026-04-01 (local date)
    assert cli(app, "reminders", "run-once", "--now", "2026-03-31T20:00").exit_code == 0
    assert count_rows() == 0, "20:00 on 03-31 in Shanghai is still 03-31"
    assert cli(app, "reminders", "run-once", "--now", "2026-03-31T20:00+00:00").exit_code == 0
    [reminder] = rows()
    assert reminder.created_at == datetime(2026, 3, 31, 20, 0, tzinfo=UTC), "04-01 04:00 in Shanghai"


def test_run_once_without_now_uses_the_clock(app, org, travel):
    org.open_case()
    travel.to(date(2026, 4, 1))
    assert cli(app, "reminders", "run-once").exit_code == 0
    assert [r.created_at for r in rows()] == [clock.now()]


def test_run_once_refuses_a_date_time_it_cannot_read(app, travel):
    result = cli(app, "reminders", "run-once", "--now", "next tuesday")
    assert result.exit_code == 2
    assert "'next tuesday' is not an ISO date-time" in result.output
    assert db.session.scalars(select(Reminder)).all() == []


def test_scheduler_run_builds_the_scheduler_for_the_app_and_stops_cleanly(app, monkeypatch):
    seen = []

    class Stopped:
        def start(self):
            raise KeyboardInterrupt

    def fake_build(given):
        seen.append(given)
        return Stopped()

    monkeypatch.setattr(workflow.scheduler, "build", fake_build)
    result = cli(app, "scheduler", "run")
    assert result.exit_code == 0, result.output
    assert seen == [app]
    assert "jobs: reminders every 5 min" in result.output and "'misfire_grace_time': None" in result.output
    assert result.output.strip().endswith("Scheduler stopped.")
