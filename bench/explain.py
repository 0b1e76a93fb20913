"""The query plans of the hot queries at full size (PostgreSQL): ``python -m bench.explain [SCALE] [-v]``.

Records every statement the reminder scan, the case list (several filters and sorts) and the case
page send, runs ``EXPLAIN (ANALYZE, BUFFERS)`` on each, and names every sequential scan of a table
with more than 10,000 rows. Used to choose the indexes of migration 0008; ``make bench`` reports
the count of such scans as a figure.
"""
import re
import sys

from sqlalchemy import event, func, select

from .common import database_url, make_app

LARGE = 50_000  # rows: the province tables (cadre, case, step_record, sanction, audit_event…), not the small ones
LIST_URLS = ["/cases", "/cases?sort=due&state=probation&track=promotion", "/cases?sort=reference&state=nomination&page=5",
             "/cases?track=adjustment&state=follow_up&sort=due", "/cases?sort=cadre&track=adjustment&page=3",
             "/cases?sort=updated&page=20"]


def _capture(app, work):
    from models import db

    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            work()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    return seen


def hot_statements(app):
    from models import Case, Unit, db
    from workflow import clock
    from workflow.calendar import WorkingDays
    from workflow.deadlines import due_items
    from workflow.rules import active_rule_set, rules_of

    def scan():
        due_items(db.session, clock.today_local(), rules_of(active_rule_set(db.session)), WorkingDays.from_db(db.session))
        db.session.remove()

    groups = {"reminder scan": _capture(app, scan)}
    with app.app_context():
        top = db.session.scalar(select(func.max(Case.id)))
        city = db.session.scalar(select(Unit.id).where(Unit.depth == 1).order_by(Unit.id))
        db.session.remove()
    urls = LIST_URLS + [f"/cases?unit={city}&sort=due"]

    def pages(paths):
        def work():
            client = app.test_client()
            response = client.post("/login", data={"username": "officer", "password": "demo-pass-2026"})
            assert response.status_code == 302, response.status_code
            for path in paths:
                assert client.get(path).status_code == 200, path
        return work

    app.config["WTF_CSRF_ENABLED"] = False
    groups["case list"] = _capture(app, pages(urls))
    groups["case page"] = _capture(app, pages([f"/cases/{top // 2}", f"/cases/{top // 3}"]))
    return groups


def large_tables_scanned(plan, sizes):
    """The tables over LARGE rows that ``plan`` scans sequentially (a quoted name too: "case")."""
    return [t for t in re.findall(r'Seq Scan on "?(\w+)"?', plan) if sizes.get(t, 0) > LARGE]


def explain(app, statements):
    from models import db

    out = []
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            sizes = dict(cursor.execute("SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r'").fetchall())
            for statement, parameters in statements:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plan = "\n".join(r[0] for r in cursor.fetchall())
                scans = large_tables_scanned(plan, sizes)
                took = re.search(r"Execution Time: ([\d.]+) ms", plan)
                out.append((statement, plan, scans, float(took.group(1)) if took else None))
            raw.rollback()
        finally:
            raw.close()
    return out


def main(argv=None):
    argv = argv if argv is not None else sys.argv[1:]
    numbers = [a for a in argv if not a.startswith("-")]
    scale = float(numbers[0]) if numbers else 1.0
    url = database_url("postgresql", scale)
    app = make_app(url)
    groups = hot_statements(app)
    bad = 0
    for name, statements in groups.items():
        unique = list({s: (s, p) for s, p in statements}.values())
        print(f"== {name}: {len(unique)} distinct statements")
        for statement, plan, scans, took in explain(app, unique):
            flat = " ".join(statement.split())
            print(f"-- {took} ms{'  SEQ SCAN of ' + ', '.join(scans) if scans else ''}: {flat[:220]}")
            if scans or "-v" in argv:
                print("   " + plan.replace("\n", "\n   "))
            bad += bool(scans)
    print(f"statements with a sequential scan of a table over {LARGE:,} rows: {bad}")
    return bad


def large_seq_scans(app):
    """For the bench table: how many hot statements scan a large table sequentially."""
    groups = hot_statements(app)
    statements = [x for group in groups.values() for x in {s: (s, p) for s, p in group}.values()]
    return sum(bool(scans) for _s, _p, scans, _t in explain(app, statements)), len(statements)


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
