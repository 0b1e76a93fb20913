import click
from flask.cli import AppGroup

from models import db
from workflow import accounts
from workflow.terms import ROLES

group = AppGroup("users", help="User accounts.")


@group.command("create")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", required=True, type=click.Choice(list(ROLES)))
@click.option("--unit", "units", multiple=True, required=True, help="Unit code; repeat for several units.")
@click.option("--name", "display_name", default=None)
@click.option("--email", default="")
def create_command(username, password, role, units, display_name, email):
    """Add a user with a role and the units they may act in."""
    try:
        accounts.create_user(db.session, username, password, role, list(units), display_name, email)
        db.session.commit()
    except ValueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"User {username} ({role}) created for {', '.join(units)}.")


@group.command("unlock")
@click.argument("username", required=False, default="")
@click.option("--address", default="", help="Also (or only) lift the lockout of this client address.")
@click.option("--by", default="", help="Who lifts it and why, for the audit trail (e.g. 'Li Ming, identity checked by phone').")
def unlock_command(username, address, by):
    """Lift a sign-in lockout before it runs out (the count of failures starts afresh); audited."""
    from workflow import signin

    try:
        lifted = signin.unlock(db.session, username, address, by)
    except ValueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    if not lifted:
        click.echo("No lockout is in force for " + " or ".join(filter(None, [username and f"username '{username}'",
                                                                           address and f"address {address}"])) + ".")
    for what, until in lifted:
        click.echo(f"Lockout lifted for {what} (it ran until {until.isoformat()}).")
