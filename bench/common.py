"""Shared pieces of the benchmarks: the bench databases, the app, timing, the result table."""
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "instance" / "bench"
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "bench-secret-not-for-production"
# Raised when ``flask demo scale`` writes its rows differently, so that older bench databases are
# built again (2: audit events store before/after as the export shows them).
GENERATION = 2


@dataclass
class Row:
    backend: str
    figure: str
    ours: float | None
    floor: float | None
    unit: str
    target: str = ""  # e.g. ">= 40% of floor", "<= 3x floor", "< 150 MB"
    passed: bool | None = None
    note: str = ""

    @property
    def ratio(self):
        if self.ours is None or not self.floor:
            return None
        return self.ours / self.floor


def median(values):
    return statistics.median(values) if values else None


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return None
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


class Timer:
    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started


# --- the databases -----------------------------------------------------------------------------

def scale_tag(scale):
    return f"s{scale:g}".replace(".", "_")


def database_url(backend, scale):
    if backend == "sqlite":
        WORK.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{WORK / f'bench-{scale_tag(scale)}.sqlite'}"
    base = PG_ADMIN.rsplit("/", 1)[0]
    return f"{base}/cadreflow_bench_{scale_tag(scale)}"


def _ready_marker(backend, scale):
    return WORK / f"ready-{backend}-{scale_tag(scale)}.json"


def ensure_database(backend, scale, rebuild=False, log=print):
    """The bench database at this scale: built once by ``flask demo scale`` and reused after."""
    url = database_url(backend, scale)
    marker = _ready_marker(backend, scale)
    WORK.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    if marker.exists() and not rebuild and json.loads(marker.read_text()).get("generation") == GENERATION:
        # A database built by an older checkout: bring its schema (and indexes) to the current head.
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        return url
    marker.unlink(missing_ok=True)
    if backend == "sqlite":
        path = Path(url[len("sqlite:///"):])
        for suffix in ("", "-wal", "-shm", ".scheduler-lock"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    log(f"[{backend}] building the bench database at scale {scale:g} (flask demo scale)…")
    started = time.monotonic()
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "demo", "scale", "--scale", str(scale)], cwd=ROOT, env=env, check=True)
    marker.write_text(json.dumps({"url": url, "scale": scale, "generation": GENERATION,
                                  "built_in_s": round(time.monotonic() - started)}))
    return url


def drop_database(backend, scale):
    url = database_url(backend, scale)
    _ready_marker(backend, scale).unlink(missing_ok=True)
    if backend == "sqlite":
        path = url[len("sqlite:///"):]
        for suffix in ("", "-wal", "-shm", ".scheduler-lock"):
            Path(path + suffix).unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def make_app(url):
    from web import create_app

    url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})


def raw_connect(url):
    """The bare driver connection, set up as the app sets up its own (SQLite: WAL, foreign keys)."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite:///"):], timeout=15, isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=15000")
        return conn
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1))


def settle(url):
    """PostgreSQL: ``VACUUM ANALYZE`` before a figure that reads. The door's benchmark (a) rewrites
    the same few hundred cases thousands of times, leaving their old row versions behind (3-4 index
    entries per live nomination case after a few runs), and a read benchmark after it would measure
    that leftover rather than the database as autovacuum keeps it. SQLite keeps no old versions."""
    if url.startswith("sqlite"):
        return
    conn = raw_connect(url)
    try:
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    finally:
        conn.close()


def child(*args, timeout=1800):
    """Run ``python -m bench.child ARGS`` (a fresh process, so its peak memory is its own); its JSON."""
    done = subprocess.run([sys.executable, "-m", "bench.child", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "SECRET_KEY": SECRET})
    if done.returncode != 0:
        raise RuntimeError(f"bench.child {' '.join(map(str, args))} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the table ---------------------------------------------------------------------------------

def _fmt(value, unit):
    if value is None:
        return "—"
    if unit in ("/s", "rows/s"):
        return f"{value:,.0f} {unit}"
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "":
        return f"{value:,.0f}"
    return f"{value:,.3g} {unit}"


def table(rows):
    header = ("backend", "figure", "ours", "floor", "ratio", "target", "pass")
    lines = []
    for r in rows:
        ratio = r.ratio
        lines.append((r.backend, r.figure, _fmt(r.ours, r.unit), _fmt(r.floor, r.unit),
                      "—" if ratio is None else (f"{ratio:.0%}" if r.unit in ("/s", "rows/s") else f"{ratio:.2f}x"),
                      r.target or "—", {True: "PASS", False: "FAIL", None: "info"}[r.passed] + (f" ({r.note})" if r.note else "")))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
           "-|-".join("-" * w for w in widths)]
    out += [" | ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)


def markdown(rows):
    out = ["| backend | figure | ours | floor | ratio | target | pass |", "|---|---|---|---|---|---|---|"]
    for line in table(rows).splitlines()[2:]:
        out.append("| " + " | ".join(cell.strip() for cell in line.split(" | ")) + " |")
    return "\n".join(out)
