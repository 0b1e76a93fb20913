"""Flask extensions and the database pragmas SQLite needs."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event

from models import db
from workflow.i18n import _l

csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()


def init(app):
    db.init_app(app)
    # Batch mode lets later migrations alter tables on SQLite; compare_type catches type changes.
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.localize_callback = str  # flashed as text in the reader's language (a lazy string cannot go in the session)
    login_manager.session_protection = "strong"
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


@login_manager.user_loader
def load_user(user_id):
    """The signed-in user, with the unit scope of the request read in the same round trip (kept for
    ``my_units``: nearly every page asks for it)."""
    from flask import has_request_context

    from workflow.access import USER_TOKENS_AND_UNITS, scope_of

    from .views.access import keep_scope

    if not str(user_id).isdigit() or len(str(user_id)) > 18:
        return None
    rows = db.session.execute(USER_TOKENS_AND_UNITS, {"user_id": int(user_id)}).all()
    user = rows[0][0] if rows else None
    if user is None or not user.active:
        return None
    if has_request_context():
        keep_scope(user, scope_of(db.session, user, rows))
    return user
