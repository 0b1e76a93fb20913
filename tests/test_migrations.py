"""Alembic through Flask-Migrate: one head, `upgrade` builds the whole schema on an empty database,
and the migrations and the models do not drift apart.

Runs on the session's backend (SQLite, or PostgreSQL with TEST_DATABASE_URL), each test on a fresh
empty database of its own: a temp SQLite file, or a scratch PostgreSQL database dropped afterwards.
"""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, create_engine, inspect, make_url, text

from models import AuditHead, db
from workflow.audit import GENESIS


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    name = f"cadreflow_migtest_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def fresh_app(empty_database_url):
    """An app on the empty database, inside its app context (not the session's app)."""
    from web import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True, "SECRET_KEY": "migrations",
                      "SERVER_NAME": "localhost"})
    with app.app_context():
        assert db.engine.url.database == make_url(empty_database_url).database  # never the session's database
        yield app
        db.session.remove()
        db.engine.dispose()


def script_directory(app):
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def table_names():
    return set(inspect(db.engine).get_table_names())


def drift():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, db.metadata)


def test_migrations_have_a_single_linear_history(fresh_app):
    script = script_directory(fresh_app)
    heads, bases = script.get_heads(), script.get_bases()
    assert len(heads) == 1, f"several heads: {heads}; merge them"
    assert len(bases) == 1, f"several bases: {bases}"
    revisions = list(script.walk_revisions())  # head first, down to the base
    assert revisions[0].revision == heads[0] and revisions[-1].revision == bases[0]
    for newer, older in zip(revisions, revisions[1:], strict=False):
        assert newer.down_revision == older.revision, f"{newer.revision} does not follow {older.revision}"
    files = {name for name in os.listdir(script.versions) if name.endswith(".py") and not name.startswith("__")}
    assert len(files) == len(revisions), "a file in migrations/versions is not part of the history"


def test_upgrade_on_an_empty_database_creates_every_table(fresh_app):
    assert table_names() == set()
    upgrade()
    expected = set(db.metadata.tables)
    assert expected, "the models define no tables"
    created = table_names()
    assert expected - created == set(), f"tables missing after upgrade: {sorted(expected - created)}"
    assert created - expected == {"alembic_version"}, f"tables no model knows: {sorted(created - expected - {'alembic_version'})}"
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == script_directory(fresh_app).get_heads()
        # The audit chain head exists from the start, so the first writers never race to create it.
        assert conn.execute(AuditHead.__table__.select()).all() == [(1, None, GENESIS)]


def test_models_and_migrations_do_not_drift(fresh_app):
    upgrade()
    differences = drift()
    assert differences == [], "models differ from the migrations; run `flask db migrate`:\n" + "\n".join(map(str, differences))


def test_every_check_constraint_of_the_models_is_in_the_database(fresh_app):
    # compare_metadata does not look at CHECK constraints; the database must still enforce them.
    upgrade()
    inspector = inspect(db.engine)
    for table in db.metadata.sorted_tables:
        wanted = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        if wanted:
            present = {c["name"] for c in inspector.get_check_constraints(table.name)}
            assert wanted <= present, f"{table.name}: missing {sorted(wanted - present)}"
    assert {"ck_case_track_known", "ck_case_version_positive"} <= {c["name"] for c in inspector.get_check_constraints("case")}


def test_downgrade_to_base_and_upgrade_again(fresh_app):
    upgrade()
    downgrade(revision="base")
    assert table_names() <= {"alembic_version"}
    upgrade()
    assert set(db.metadata.tables) <= table_names()
    assert drift() == []


def test_each_step_down_and_up_again_with_data_in_the_tables(fresh_app):
    """A database that already holds cases, steps and audit events: every migration goes down and
    up again on it (SQLite rebuilds tables that other rows point to), and nothing is left dangling."""
    from workflow.audit_verify import verify

    upgrade()
    result = fresh_app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    cases = db.session.scalar(text('SELECT count(*) FROM "case"'))
    assert cases > 0
    db.session.remove()
    for revision in [r.revision for r in script_directory(fresh_app).walk_revisions()][:3]:
        downgrade(revision=f"{revision}-1")
        upgrade()
    assert db.session.scalar(text('SELECT count(*) FROM "case"')) == cases
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
    assert verify(db.session).intact
