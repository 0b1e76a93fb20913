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
import threading
import traceback
from dataclasses import dataclass

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import make_url

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


# --- high availability: one active scheduler, the others stand by ------------------------------
#
# Every scheduler process first takes a lock. On PostgreSQL it is a session-level advisory lock
# held on a dedicated connection (not one of the pool's): it lasts exactly as long as that
# connection, so when the active process dies, is killed or loses its connection, PostgreSQL
# releases it and a standby's next pg_try_advisory_lock takes over. On SQLite (one host) an
# exclusive file lock beside the database file does the same. Between the active process losing
# its connection and noticing it (at most one poll interval) two passes may overlap: that is safe,
# because every reminder is inserted once by its unique key and e-mail is claimed row by row.

LOCK_KEY = 0x4361647265666C6F  # "Cadreflo": the advisory lock id (per database)


class PostgresLeadership:
    """pg_try_advisory_lock on a dedicated autocommit connection with TCP keepalives."""

    def __init__(self, url: str, key: int = LOCK_KEY):
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.key = key
        self.conn = None

    def acquire(self) -> bool:
        import psycopg

        try:
            if self.conn is None or self.conn.closed:
                self.conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5, keepalives=1, keepalives_idle=10,
                                            keepalives_interval=5, keepalives_count=3, application_name="cadreflow-scheduler")
            return bool(self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0])
        except psycopg.Error as exc:
            log.warning("scheduler lock: cannot reach PostgreSQL: %s", exc)
            self._drop()
            return False

    def alive(self) -> bool:
        """Still ours: the lock lives as long as this connection answers."""
        import psycopg

        try:
            self.conn.execute("SELECT 1")
            return True
        except (psycopg.Error, AttributeError):
            self._drop()
            return False

    def backend_pid(self):
        return self.conn.info.backend_pid if self.conn is not None and not self.conn.closed else None

    def release(self):
        import psycopg

        if self.conn is not None and not self.conn.closed:
            try:
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            except psycopg.Error:
                pass
        self._drop()

    def _drop(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # closing a broken connection must not stop the scheduler; it is gone either way
                pass
        self.conn = None

    def describe(self):
        return "PostgreSQL advisory lock"


class FileLeadership:
    """An exclusive flock on a file beside the SQLite database (schedulers on one host)."""

    def __init__(self, path: str):
        self.path = path
        self.handle = None

    def acquire(self) -> bool:
        import fcntl

        if self.handle is None:
            self.handle = open(self.path, "a+")  # noqa: SIM115 (held open for as long as we lead)
        try:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def alive(self) -> bool:
        return self.handle is not None

    def release(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def describe(self):
        return f"file lock {self.path}"


class NoLeadership:
    """In-memory SQLite and other single-process setups: always the one scheduler."""

    def acquire(self):
        return True

    def alive(self):
        return True

    def release(self):
        pass

    def describe(self):
        return "no lock (single process)"


def leadership_for(app):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        return PostgresLeadership(url.set(drivername="postgresql").render_as_string(hide_password=False))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return FileLeadership(url.database + ".scheduler-lock")
    return NoLeadership()


def run_with_leadership(app, leadership, poll_seconds=5.0, stop=None):
    """Stand by until the lock is ours; run the jobs while we hold it; stand by again if it is lost.

    Returns when ``stop`` is set (or raises what the scheduler raises, e.g. KeyboardInterrupt)."""
    stop = stop or threading.Event()
    standing_by = False
    try:
        while not stop.is_set():
            if not leadership.acquire():
                if not standing_by:
                    log.info("scheduler standing by: another scheduler holds the %s", leadership.describe(),
                             extra={"event": "standby"})
                    standing_by = True
                stop.wait(poll_seconds)
                continue
            standing_by = False
            log.info("scheduler active: %s acquired", leadership.describe(), extra={"event": "active"})
            scheduler = build(app)
            lost = threading.Event()
            watcher = threading.Thread(target=_watch, args=(leadership, scheduler, poll_seconds, stop, lost), daemon=True,
                                       name="scheduler-lock-watch")
            watcher.start()
            try:
                scheduler.start()  # blocks until shut down (by the watcher when the lock is lost or on stop)
            finally:
                lost.set()  # the watcher ends with the scheduler
            if stop.is_set():
                break
            log.warning("scheduler lost the %s: jobs stopped, standing by", leadership.describe(), extra={"event": "lost"})
    finally:
        leadership.release()


def _watch(leadership, scheduler, poll_seconds, stop, done):
    while not done.wait(poll_seconds):
        stopping = stop.is_set()
        if stopping or not leadership.alive():
            done.set()
            try:  # on stop, let a running pass finish; on a lost lock, stop at once
                scheduler.shutdown(wait=stopping)
            except Exception as exc:  # not running yet or already stopped: nothing more to stop
                log.debug("scheduler shutdown: %s", exc)
            return
