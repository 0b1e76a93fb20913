import json

import click
from flask.cli import AppGroup

from models import db
from workflow.rules import DEFAULTS, active_rule_set, ensure_rule_set

group = AppGroup("rules", help="Versioned rule sets.")


@group.command("init")
def init_command():
    """Create rule set v1 from the defaults of domain.md if there is none."""
    rule_set = ensure_rule_set(db.session)
    db.session.commit()
    click.echo(f"Active rule set: v{rule_set.version}")


@group.command("show")
def show_command():
    """Print the active rule set with the source of each value."""
    rule_set = active_rule_set(db.session)
    click.echo(f"Rule set v{rule_set.version}: {rule_set.note}")
    for key, value in rule_set.data.items():
        click.echo(f"  {key} = {json.dumps(value, ensure_ascii=False)}    # {DEFAULTS.get(key, ('', ''))[1]}")
