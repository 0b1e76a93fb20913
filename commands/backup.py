"""``flask backup create`` / ``flask backup restore``: a consistent copy of the whole database
while the app runs, and putting one back.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database page by page in
one step under a read lock, so the copy is one consistent moment even with writers running.
PostgreSQL: ``pg_dump -Fc`` (custom format) with the connection the app is configured with; the
dump runs on a snapshot exported by a transaction that also reads the audit chain head, so the
head printed is exactly the one the file holds. Restoring uses ``pg_restore --clean --if-exists
--single-transaction`` (all or nothing). The append-only triggers of ``audit_event`` are part of
the schema and come back with it; ``restore`` checks that they are there.

Both commands are audit events (backup.created after the copy; backup.restored after the restore,
appended to the restored chain).
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import inspect, text

from models import db
from workflow import audit, clock
from workflow.audit_verify import verify

group = AppGroup("backup", help="Back up the whole database, or restore a backup.")

# Tables whose rows make a database "in use": restore refuses to overwrite them without --force.
CONTENT_TABLES = ("unit", "app_user", "cadre", "case", "audit_event", "submission", "reminder")
PG_TOOLS_MISSING = ("{tool} was not found on PATH. Install the PostgreSQL client tools of the server's major version "
                    "(Debian: apt-get install postgresql-client-15) and run the command again. Nothing was {done}.")


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _backend():
    return db.engine.dialect.name


def _sqlite_path() -> str:
    database = db.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise click.ClickException("This SQLite database is not a file; there is nothing to back up or restore.")
    return database


def _pg_params():
    """libpq connection settings from the app's URL: host, port, user, database as options; the
    password only in the child's environment (never on a command line others can read)."""
    url = db.engine.url
    args = []
    if url.host:
        args += ["-h", url.host]
    if url.port:
        args += ["-p", str(url.port)]
    if url.username:
        args += ["-U", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    for key, value in (url.query or {}).items():  # e.g. ?sslmode=require → PGSSLMODE
        if key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"):
            env[f"PG{key.upper()}"] = value if isinstance(value, str) else value[0]
    return args, url.database, env


def _tool(name, done):
    path = shutil.which(name)
    if path is None:
        raise click.ClickException(PG_TOOLS_MISSING.format(tool=name, done=done))
    return path


def _run(command, env):
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise click.ClickException(f"{Path(command[0]).name} failed (exit {completed.returncode}): "
                                   f"{completed.stderr.strip() or completed.stdout.strip()}")
    return completed


# --- create -----------------------------------------------------------------------------------

@group.command("create")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="the backup file to write")
def create_command(out):
    """Write a consistent backup; print the file, its size, SHA-256 and the audit chain head it holds."""
    out_path = Path(out)
    if out_path.exists():
        raise click.ClickException(f"{out} exists already; choose a new file name (a backup is never overwritten).")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    db.session.remove()
    if _backend() == "sqlite":
        head = _create_sqlite(out_path)
    elif _backend() == "postgresql":
        head = _create_postgresql(out_path)
    else:
        raise click.ClickException(f"Backups of {_backend()} are not supported.")
    size, sha = out_path.stat().st_size, file_sha256(out_path)
    manifest = {"file": out_path.name, "backend": _backend(), "bytes": size, "sha256": sha,
                "chain_head": head[0], "last_event_id": head[1], "schema_revision": head[2],
                "created_at": clock.now().isoformat()}
    Path(f"{out_path}.manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    audit.append(db.session, kind="backup.created", actor=None, at=clock.now(),
                 summary=f"Database backup written: {size} bytes, sha256 {sha[:16]}…, chain head {head[0][:16]}…",
                 after={k: v for k, v in manifest.items() if k != "created_at"})
    db.session.commit()
    click.echo(f"written: {out_path}")
    click.echo(f"size: {size} bytes")
    click.echo(f"sha256: {sha}")
    click.echo(f"audit chain head: {head[0]} (event #{head[1]})")
    click.echo(f"schema revision: {head[2]}")
    click.echo(f"manifest: {out_path}.manifest.json (keep it apart from the backup)")


def _create_sqlite(out_path):
    source = sqlite3.connect(_sqlite_path())
    target = sqlite3.connect(str(out_path))
    try:
        source.backup(target)  # all pages in one step: one consistent moment
    finally:
        source.close()
    try:
        target.execute("PRAGMA journal_mode=DELETE")  # the backup is one self-contained file
        return _sqlite_head(target)
    finally:
        target.close()


def _sqlite_head(connection):
    row = connection.execute("SELECT last_hash, last_event_id FROM audit_head WHERE id = 1").fetchone()
    revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return (row[0] if row else audit.GENESIS), (row[1] if row else None), (revision[0] if revision else None)


def _create_postgresql(out_path):
    pg_dump = _tool("pg_dump", "written")
    args, database, env = _pg_params()
    # A repeatable-read transaction exports its snapshot; pg_dump dumps exactly that snapshot, and the
    # head read in the same transaction is the head the dump holds.
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            row = conn.execute(text("SELECT last_hash, last_event_id FROM audit_head WHERE id = 1")).first()
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            _run([pg_dump, "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", "-f", str(out_path),
                  *args, "-d", database], env)
    return (row[0] if row else audit.GENESIS), (row[1] if row else None), revision


# --- restore ----------------------------------------------------------------------------------

@group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="overwrite a database that holds data")
@click.option("--sha256", "expected_sha", default=None, help="refuse unless the file has this SHA-256 (from the manifest)")
def restore_command(path, force, expected_sha):
    """Put a backup back. Refuses a database that holds data unless --force."""
    sha = file_sha256(path)
    click.echo(f"backup: {path} ({Path(path).stat().st_size} bytes, sha256 {sha})")
    if expected_sha and expected_sha.strip().lower() != sha:
        raise click.ClickException(f"The file's SHA-256 is {sha}, not {expected_sha}: it is not the backup you meant. "
                                   "Nothing was restored.")
    in_use = _rows_present()
    if in_use and not force:
        listed = ", ".join(f"{table}: {count}" for table, count in in_use.items())
        raise click.ClickException(f"The database is not empty ({listed}). Restoring replaces everything in it; "
                                   "add --force if that is what you want. Nothing was restored.")
    db.session.remove()
    if _backend() == "sqlite":
        _restore_sqlite(path)
    elif _backend() == "postgresql":
        _restore_postgresql(path)
    else:
        raise click.ClickException(f"Restoring {_backend()} is not supported.")
    db.engine.dispose()  # no pooled connection keeps the database as it was
    if not _audit_guard_present():
        raise click.ClickException("The restored database lacks the audit table's append-only triggers; "
                                   "run `flask audit verify` and reinstall them (workflow/audit_guard.py) before use.")
    verdict = verify(db.session)
    click.echo(f"audit chain: {verdict.sentence()}")
    if not verdict.intact:
        db.session.rollback()
        sys.exit(1)
    audit.append(db.session, kind="backup.restored", actor=None, at=clock.now(),
                 summary=f"Database restored from a backup (sha256 {sha[:16]}…); chain head {verdict.head[:16]}…",
                 after={"file": Path(path).name, "sha256": sha, "chain_head": verdict.head, "events": verdict.checked})
    db.session.commit()
    revision, head = _revisions()
    if revision and head and revision != head:
        click.echo(f"schema revision of the backup: {revision}; this code expects {head}: run `flask db upgrade` now.")
    click.echo("restored. Run `flask reminders run-once` (or let the scheduler run): reminders already in the backup "
               "are not sent again; what fell due since is sent.")


def _revisions():
    """(the restored database's schema revision, the newest migration of this code), when known."""
    try:
        from alembic.script import ScriptDirectory
        from flask import current_app

        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.session.rollback()
        config = current_app.extensions["migrate"].migrate.get_config()
        return revision, ScriptDirectory.from_config(config).get_current_head()
    except Exception:  # a hint only: never fail a finished restore over it
        db.session.rollback()
        return None, None


def _rows_present() -> dict:
    inspector = inspect(db.engine)
    found = {}
    for table in CONTENT_TABLES:
        if inspector.has_table(table):
            count = db.session.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar()
            if count:
                found[table] = count
    db.session.rollback()
    return found


def _restore_sqlite(path):
    with open(path, "rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise click.ClickException(f"{path} is not a SQLite backup. Nothing was restored.")
    source = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"audit_event", "audit_head", "alembic_version"} <= tables:
            raise click.ClickException(f"{path} is not a Cadreflow backup (no audit trail in it). Nothing was restored.")
        db.engine.dispose()
        target = sqlite3.connect(_sqlite_path(), timeout=30)
        try:
            source.backup(target)  # page by page into the live file, under its write lock
        finally:
            target.close()
    finally:
        source.close()


def _restore_postgresql(path):
    pg_restore = _tool("pg_restore", "restored")
    args, database, env = _pg_params()
    _run([pg_restore, "--list", path], env)  # readable as a pg_dump custom-format archive at all
    db.engine.dispose()
    _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", *args, "-d", database, path], env)


def _audit_guard_present() -> bool:
    if _backend() == "sqlite":
        names = set(db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
        expected = {"audit_event_no_update", "audit_event_no_delete"}
    else:
        names = set(db.session.execute(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass AND NOT tgisinternal")).scalars())
        expected = {"audit_event_no_change", "audit_event_no_truncate"}
    db.session.rollback()
    return expected <= names
