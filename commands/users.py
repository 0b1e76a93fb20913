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
