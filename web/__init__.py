"""The Flask application factory: a short list of named setup steps, no I/O beyond config."""
import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
        instance_path=str((overrides or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH") or ROOT / "instance"),
    )
    configure(app, overrides)
    trust_proxies(app)
    init_extensions(app)
    refuse_unstorable_input(app)  # before CSRFProtect reads the form
    init_languages(app)  # its locale reset goes first of all, before the input guard
    register_blueprints(app)
    register_error_pages(app)
    harden(app)
    register_template_helpers(app)
    register_commands(app)
    enforce_permissions(app)
    return app


def configure(app, overrides):
    from .config import from_environment

    app.config.update(from_environment(app.instance_path))
    app.config.update(overrides or {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}})


def trust_proxies(app):
    """Behind a reverse proxy, TRUSTED_PROXIES=N makes the client address (used by the public
    form's rate limit and the sign-in audit) come from the N proxies' X-Forwarded-For."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def init_extensions(app):
    from .extensions import init

    init(app)


def init_languages(app):
    """Chinese and English (web/i18n.py): the reader's language, the switcher, local dates."""
    from .i18n import init

    init(app)


def register_blueprints(app):
    from .views import admin, audit, auth, bulk, cadres, cases, dashboard, health, imports, intake, language, reminders

    for module in (auth, cases, cadres, admin, audit, reminders, intake, health, dashboard, bulk, imports, language):
        app.register_blueprint(module.bp)


def register_error_pages(app):
    from .errors import init

    init(app)


def refuse_unstorable_input(app):
    """NUL bytes, invalid UTF-8 and control characters: a 400 before any view (web/input_guard.py)."""
    from .input_guard import init

    init(app)


def harden(app):
    """Security headers on every response; idle and absolute sign-out (web/security.py)."""
    from .security import init

    init(app)


def register_template_helpers(app):
    from .helpers import init

    init(app)


def register_commands(app):
    from commands import init

    init(app)


def enforce_permissions(app):
    """The permission matrix (workflow/permissions.py) before every view; last, so that the
    session checks before it have already run."""
    from .views.access import install

    install(app)
