"""Work run in a fresh process so that its time and peak memory are its own.

``python -m bench.child COMMAND URL ...`` prints one JSON line:
- ``export URL FORMAT ROWS PATH``: audit_export.write of the first ROWS events;
- ``export-floor URL ROWS PATH``: the same rows by the most direct route (PostgreSQL COPY TO STDOUT,
  or a raw sqlite3 cursor written with csv.writer);
- ``reminders URL``: one reminder pass (run_once), as the scheduler runs it;
- ``door URL START_AT CASE_IDS_FILE``: hold and release each case through the door, from START_AT;
- ``door-floor URL START_AT CASE_IDS_FILE ACTOR_ID``: the same changes by the bare driver.
"""
import csv
import json
import resource
import sys
import time


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Sampler:
    """The process's resident memory, sampled every 20 ms while the work runs: the work's own peak
    (ru_maxrss would also count the 64 MB argon2 takes once when workflow.accounts is imported)."""

    def __enter__(self):
        import threading

        import psutil

        self.process, self.peak, self.done = psutil.Process(), 0.0, threading.Event()
        self.baseline = self.process.memory_info().rss / 2**20

        def sample():
            while True:
                self.peak = max(self.peak, self.process.memory_info().rss / 2**20)
                if self.done.wait(0.02):
                    return

        self.thread = threading.Thread(target=sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss / 2**20)


def export(url, fmt, rows, path):
    from bench.common import make_app
    from models import db
    from workflow import audit_export

    app = make_app(url)
    with app.app_context(), Sampler() as memory:
        started = time.perf_counter()
        count, _sha = audit_export.write(db.session, fmt, path, audit_export.Filters(up_to_id=int(rows)))
        seconds = time.perf_counter() - started
    return {"rows": count, "seconds": seconds, "rate": count / seconds, "peak_mb": memory.peak, "baseline_mb": memory.baseline,
            "maxrss_mb": _peak_mb()}


FLOOR_SELECT = ("SELECT e.id, e.occurred_at, u.username, e.kind, e.case_id, e.cadre_id, e.unit_id, e.summary, e.before, "
                "e.after, e.prev_hash, e.hash FROM audit_event e LEFT JOIN app_user u ON u.id = e.actor_id "
                "WHERE e.id <= {n} ORDER BY e.id")


def export_floor(url, rows, path):
    from bench.common import raw_connect

    n = int(rows)
    conn = raw_connect(url)
    started = time.perf_counter()
    count = 0
    memory = Sampler().__enter__()
    if url.startswith("sqlite"):
        with open(path, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            cursor = conn.execute(FLOOR_SELECT.format(n=n))
            while True:
                batch = cursor.fetchmany(2000)
                if not batch:
                    break
                writer.writerows(batch)
                count += len(batch)
    else:
        with open(path, "wb") as out, conn.cursor() as cur:
            with cur.copy(f"COPY ({FLOOR_SELECT.format(n=n)}) TO STDOUT WITH (FORMAT csv)") as copy:
                for chunk in copy:
                    out.write(chunk)
            count = n
        conn.rollback()
    seconds = time.perf_counter() - started
    memory.__exit__()
    conn.close()
    return {"rows": count, "seconds": seconds, "rate": count / seconds, "peak_mb": memory.peak}


def reminders(url):
    from bench.common import make_app
    from models import db
    from workflow.reminders import run_once

    app = make_app(url)
    with app.app_context(), Sampler() as memory:
        started = time.perf_counter()
        result = run_once(db.session)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "sent": result.sent, "skipped": result.skipped, "peak_mb": memory.peak,
            "baseline_mb": memory.baseline, "maxrss_mb": _peak_mb()}


def door(url, start_at, ids_file):
    from bench.common import make_app
    from bench.door import door_changes

    case_ids = json.loads(open(ids_file).read())
    app = make_app(url)
    with app.app_context():
        door_changes(app, case_ids[:2])  # warm: imports, caches, the first connection
    return _timed_from(start_at, lambda: door_changes(app, case_ids[2:]))


def door_floor(url, start_at, ids_file, actor_id):
    """The floor of the door (the same rows by the bare driver), for the same scaling measurement."""
    from bench.door import floor_changes

    case_ids = json.loads(open(ids_file).read())
    floor_changes(url, case_ids[:2], int(actor_id))
    return _timed_from(start_at, lambda: floor_changes(url, case_ids[2:], int(actor_id)))


def _timed_from(start_at, work):
    while time.time() < float(start_at):
        time.sleep(0.005)
    started = time.time()
    count = work()
    return {"count": count, "started": started, "finished": time.time()}


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    result = {"export": export, "export-floor": export_floor, "reminders": reminders, "door": door,
              "door-floor": door_floor}[command](*args)
    print(json.dumps(result))
