import click
from flask.cli import AppGroup

from demo import load as demo_load
from models import db

group = AppGroup("demo", help="Demo organization.")


def _print_logins():
    click.echo(f"\nDemo logins (password for all: {demo_load.PASSWORD}):")
    click.echo(f"  {'username':<12} {'role':<22} name")
    for username, _password, role, name in demo_load.logins():
        click.echo(f"  {username:<12} {role:<22} {name}")


@group.command("load")
def load_command():
    """Create the demo organization (refuses politely if it is already there)."""
    if demo_load.already_loaded(db.session):
        click.echo("The demo organization is already loaded; nothing was changed.")
        _print_logins()
        return
    demo_load.load(db.session)
    click.echo("Demo organization loaded: 8 units, 52 cadres, 8 users, promotion and adjustment cases in every state, intake waiting.")
    _print_logins()


@group.command("logins")
def logins_command():
    """Print the demo logins."""
    _print_logins()
