import sys
from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy import select

from models import Unit, db
from workflow import audit_export
from workflow.audit_verify import verify

group = AppGroup("audit", help="The audit trail: verify the chain, export events.")


@group.command("verify")
def verify_command():
    """Exit 0 and say so when the chain is intact; exit 1 naming the first broken event."""
    verdict = verify(db.session)
    click.echo(verdict.sentence())
    sys.exit(0 if verdict.intact else 1)


def _date(_ctx, _param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)") from None


@group.command("export")
@click.option("--format", "fmt", type=click.Choice(audit_export.FORMATS), required=True)
@click.option("--out", "path", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option("--since", callback=_date, help="local date, inclusive")
@click.option("--until", callback=_date, help="local date, inclusive")
@click.option("--unit", help="unit code")
@click.option("--case", "case_id", type=int)
@click.option("--cadre", "cadre_id", type=int)
@click.option("--actor", help="username")
@click.option("--kind", help="event kind, e.g. case.transition")
def export_command(fmt, path, since, until, unit, case_id, cadre_id, actor, kind):
    """Write the filtered events; print the row count, SHA-256 and chain head."""
    unit_id = None
    if unit:
        unit_id = db.session.scalars(select(Unit.id).where(Unit.code == unit)).first()
        if unit_id is None:
            raise click.BadParameter(f"no unit with code '{unit}'", param_hint="--unit")
    filters = audit_export.Filters(since=since, until=until, unit=unit_id, case=case_id, cadre=cadre_id, actor=actor,
                                   kind=kind)
    result = audit_export.export(db.session, None, fmt, path, filters)
    click.echo(f"rows: {result.rows}")
    click.echo(f"sha256: {result.sha256}")
    click.echo(f"chain head: {result.chain_head}")
    click.echo(f"written: {path}")


@group.command("archive")
@click.option("--archive-file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="a JSON Lines export holding exactly the events to archive")
@click.option("--up-to-id", required=True, type=int)
@click.option("--note", default="")
@click.option("--yes", is_flag=True, help="confirm: the events up to the id leave the database")
def archive_command(archive_file, up_to_id, note, yes):
    """Operator maintenance: remove events up to an id that are safely archived, keeping the chain verifiable."""
    from workflow.audit_archive import ArchiveRefused, archive

    if not yes:
        raise click.UsageError("Add --yes to confirm that the archived events leave the database.")
    try:
        count, sha = archive(db.session, archive_file, up_to_id, note)
    except ArchiveRefused as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"archived {count} events up to #{up_to_id}; archive sha256 {sha}")
    click.echo(verify(db.session).sentence())
