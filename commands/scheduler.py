import os
import signal
import threading
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from models import db
from workflow import clock
from workflow.mail import mailer_from_config
from workflow.reminders import run_once

scheduler_group = AppGroup("scheduler", help="The scheduler process.")
reminders_group = AppGroup("reminders", help="Reminders.")


@scheduler_group.command("run")
@click.option("--poll", "poll_seconds", type=float, default=lambda: float(os.environ.get("SCHEDULER_POLL_SECONDS", "5")),
              show_default="5, or SCHEDULER_POLL_SECONDS",
              help="how often a standby tries the lock and the active one checks it still holds it")
@click.option("--log-format", type=click.Choice(["text", "json"]), default=lambda: os.environ.get("LOG_FORMAT", "text"),
              show_default="text, or LOG_FORMAT")
def run_command(poll_seconds, log_format):
    """Run the scheduler until stopped (Ctrl+C or SIGTERM).

    Start it on two hosts for high availability: one takes the lock (a PostgreSQL advisory lock,
    or a file lock beside a SQLite database) and runs the jobs; the other stands by and takes
    over within a poll interval when the first dies or loses its database connection."""
    from web import jsonlog
    from workflow import scheduler as scheduling

    jsonlog.configure(log_format)
    app = current_app._get_current_object()
    leadership = scheduling.leadership_for(app)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"Scheduler started (UTC; defaults {scheduling.JOB_DEFAULTS}); jobs: "
               + ", ".join(f"{j.id} every {j.minutes} min" for j in scheduling.JOBS)
               + f"; one active at a time by {leadership.describe()}")
    try:
        scheduling.run_with_leadership(app, leadership, poll_seconds, stop)
    except (KeyboardInterrupt, SystemExit):
        pass
    click.echo("Scheduler stopped.")


def _moment(_ctx, _param, value):
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not an ISO date-time, e.g. 2026-10-12T09:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.LOCAL_TZ)


@reminders_group.command("run-once")
@click.option("--now", callback=_moment, help="ISO date-time to run as of (local time if no zone given)")
def run_once_command(now):
    """One reminder pass; prints how many were sent, skipped as already sent, and failed."""
    result = run_once(db.session, now=now, mailer=mailer_from_config(current_app.config))
    click.echo(result.line())
