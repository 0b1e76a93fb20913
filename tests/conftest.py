"""Fixtures: one database per session (SQLite file, or TEST_DATABASE_URL), emptied per test;
the app, a test client that can post forms with a CSRF token, a travelling clock, an org."""
import os
import re
from datetime import datetime

import pytest
from sqlalchemy import create_engine, make_url, text

from models import AuditHead, ChangeToken, db
from workflow import accounts, audit_guard, change_tokens, clock
from workflow.audit import GENESIS
from workflow.clock import LOCAL_TZ, FixedClock

from .factories import Org

accounts.use_cheap_hashing()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """SQLite in a temp dir, or a fresh PostgreSQL database beside TEST_DATABASE_URL's
    (so that two test runs on one server never share tables); dropped at the end."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
        return
    url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    base = make_url(url)
    name = f"{base.database}_run{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    from web import create_app

    # Tests travel days while signed in: idle and absolute sign-out are off here, and switched on by
    # tests/test_signin_security.py, which tests them.
    overrides = {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
                 "SERVER_NAME": "localhost", "IDLE_MINUTES": 0, "PERMANENT_SESSION_LIFETIME": 10 * 365 * 86400,
                 "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
                 # Pages come in English unless a test asks for Chinese (web.speak("zh")).
                 "DEFAULT_LANGUAGE": "en"}  # exports and uploads stay out of instance/
    if database_url.startswith("postgresql"):
        # A test that waits on a lock fails after 30 s instead of hanging the whole run.
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": "-c lock_timeout=30000"}}
    app = create_app(overrides)
    with app.app_context():
        _drop_everything()
        upgrade()  # the real migrations, on SQLite and PostgreSQL alike
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _drop_everything():
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Every test starts from empty tables (and the audit chain head at genesis)."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        _empty_tables()
        yield
        db.session.remove()


def _empty_tables():
    """The append-only triggers are lifted only here, for the reset, and put back at once."""
    db.session.remove()
    with db.engine.begin() as conn:
        audit_guard.remove(conn)
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(AuditHead.__table__.insert().values(id=1, last_hash=GENESIS))
        conn.execute(ChangeToken.__table__.insert(), change_tokens.fresh_rows())
        audit_guard.install(conn)


@pytest.fixture
def travel():
    """The process clock, frozen; ``travel.to(date)`` moves it. Restored after the test."""
    fixed = FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ))
    previous = clock.use_clock(fixed)

    class Travel:
        clock = fixed

        def to(self, day, hour=10):
            fixed.set(datetime(day.year, day.month, day.day, hour, 0, tzinfo=LOCAL_TZ))

        def days(self, n):
            fixed.advance(days=n)

        @property
        def today(self):
            return clock.today_local()

    yield Travel()
    clock.use_clock(previous)


@pytest.fixture
def org(app, travel):
    """A small organization: root unit with two children, users per role, eligible cadres."""
    return Org.build(db.session, travel)


class FormClient:
    """Wraps the test client: logs in, and posts forms with the session's CSRF token."""

    def __init__(self, client):
        self.client = client

    def token(self):
        page = self.client.get("/login").get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        return match.group(1)

    def login(self, username, password="test-pass-123"):
        return self.client.post("/login", data={"username": username, "password": password, "csrf_token": self.token()})

    def post(self, url, data=None, prefix=None, **kwargs):
        data = dict(data or {})
        key = f"{prefix}-csrf_token" if prefix else "csrf_token"
        data.setdefault(key, self.token())
        return self.client.post(url, data=data, **kwargs)

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def speak(self, lang):
        """Read the pages in this language from now on ("zh" or "en"), as the header's switcher does."""
        self.client.set_cookie("lang", lang)
        return self


@pytest.fixture(autouse=True)
def no_server_errors(request):
    """Every test that talks to the app through ``web``: never a server error, never an exception."""
    if "web" not in request.fixturenames:
        yield
        return
    from flask import got_request_exception, request_finished

    app = request.getfixturevalue("app")
    seen, crashes = [], []

    def finished(sender, response, **_):
        seen.append(response.status_code)

    def crashed(sender, exception, **_):
        crashes.append(repr(exception))

    request_finished.connect(finished, app)
    got_request_exception.connect(crashed, app)
    yield
    request_finished.disconnect(finished, app)
    got_request_exception.disconnect(crashed, app)
    if request.node.get_closest_marker("xfail") is None:
        assert crashes == [] and all(status < 500 for status in seen), (crashes, seen)


@pytest.fixture
def web(app):
    with app.test_client() as client:
        yield FormClient(client)
