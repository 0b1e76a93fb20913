import logging
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
def run_command():
    """Run the scheduler until stopped (Ctrl+C)."""
    from workflow.scheduler import JOB_DEFAULTS, JOBS, build

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    scheduler = build(current_app._get_current_object())
    click.echo(f"Scheduler started (UTC; defaults {JOB_DEFAULTS}); jobs: " + ", ".join(f"{j.id} every {j.minutes} min" for j in JOBS))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
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
