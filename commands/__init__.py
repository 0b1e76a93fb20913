"""``flask`` commands: demo, users, rules. Each runs in the app context and uses the domain core."""


def init(app):
    from . import audit, demo, rules, scale, scheduler, users  # noqa: F401 (scale adds "demo scale")

    for group in (demo.group, users.group, rules.group, audit.group, scheduler.scheduler_group, scheduler.reminders_group):
        app.cli.add_command(group)
    app.cli.add_command(__import__("commands.backup", fromlist=["group"]).group)  # flask backup create / restore
