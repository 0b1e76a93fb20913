"""The scheduler process: APScheduler 3 running the jobs declared below, in UTC.

It is started only by ``flask --app wsgi scheduler run`` (never in the app factory or a web
worker). Jobs are declared as data with stable ids; each is idempotent, so a restart, a second
scheduler or a catch-up after downtime sends nothing twice. Job defaults, chosen deliberately:

- ``coalesce=True``: after downtime, a job that missed several runs runs once, not once per miss;
  the reminder pass derives everything due from the tables, so one run catches up on all of it.
- ``misfire_grace_time=None``: a late run is always run, however late (APScheduler's default of
  one second would silently skip it).
- ``max_instances=1``: a slow pass is never overlapped by the next one in the same process.
"""
import logging
import traceback
from dataclasses import dataclass

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from models import SchedulerJob, db

from . import clock

log = logging.getLogger("cadreflow.scheduler")

JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str  # module:function, called with the Flask app
    minutes: int
    description: str


JOBS = (
    JobSpec("reminders", "workflow.scheduler:reminders_job", 5, "Create due reminders and e-mail them"),
)


def reminders_job(app):
    from .mail import mailer_from_config
    from .reminders import run_once

    result = run_once(db.session, mailer=mailer_from_config(app.config))
    return result.line()


def run_job(app, job_id):
    """Run one job inside the app context and record its health; errors are recorded, not raised."""
    spec = next(j for j in JOBS if j.id == job_id)
    module, name = spec.func.split(":")
    func = getattr(__import__(module, fromlist=[name]), name)
    with app.app_context():
        health = db.session.get(SchedulerJob, job_id) or SchedulerJob(job_id=job_id)
        health.last_started_at = clock.now()
        db.session.add(health)
        db.session.commit()
        try:
            outcome = func(app)
        except Exception as exc:  # a job failure must not stop the scheduler; it is recorded for administrators
            db.session.rollback()
            health = db.session.get(SchedulerJob, job_id)
            health.last_error, health.last_error_at = f"{type(exc).__name__}: {exc}", clock.now()
            log.error("job %s failed: %s", job_id, traceback.format_exc())
        else:
            health = db.session.get(SchedulerJob, job_id)
            health.last_result = outcome or "ok"
            health.last_error = ""  # a successful run clears the alarm; the log keeps the history
            log.info("job %s: %s", job_id, outcome)
        health.last_finished_at = clock.now()
        db.session.commit()
        db.session.remove()


def build(app) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
    for spec in JOBS:
        scheduler.add_job(run_job, IntervalTrigger(minutes=spec.minutes, timezone="UTC"), args=(app, spec.id),
                          id=spec.id, name=spec.description, replace_existing=True, next_run_time=clock.now())
    scheduler.add_listener(lambda event: _record_next_runs(app, scheduler))
    return scheduler


def _record_next_runs(app, scheduler):
    with app.app_context():
        for job in scheduler.get_jobs():
            health = db.session.get(SchedulerJob, job.id) or SchedulerJob(job_id=job.id)
            health.next_run_at = job.next_run_time
            db.session.add(health)
        db.session.commit()
        db.session.remove()
