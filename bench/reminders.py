"""(d) The reminder scan ("what is due now", ``deadlines.due_items``) against the bare queries.

The floor is the same SQL run with the bare driver: every statement ``due_items`` sends is
recorded once, then replayed on a raw connection with its rows fetched. Then the table of
scheduled reviews is made larger with reviews that are not due (influence periods that ended
years ago) and the scan is timed again: its cost must follow what is due, not the table.
Last, one whole reminder pass (``run_once``) in a fresh process: the scheduler's peak memory.
"""
import random
from datetime import timedelta

from sqlalchemy import event, func, select, text

from .common import Row, Timer, child, median


def _scan(app):
    from models import db
    from workflow import clock
    from workflow.calendar import WorkingDays
    from workflow.deadlines import due_items
    from workflow.rules import active_rule_set, rules_of

    with app.app_context():
        with Timer() as t:
            rules = rules_of(active_rule_set(db.session))
            calendar = WorkingDays.from_db(db.session)
            items = due_items(db.session, clock.today_local(), rules, calendar)
        db.session.remove()
    return len(items), t.seconds


def _statements(app):
    from models import db

    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            _scan(app)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    return seen


def _floor(app, statements):
    from models import db

    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            with Timer() as t:
                cursor = raw.cursor()
                for statement, parameters in statements:
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                cursor.close()
            raw.rollback()
        finally:
            raw.close()
    return t.seconds


def _measure(app, runs):
    _scan(app)  # warm
    statements = _statements(app)
    ours, floor, due = [], [], 0
    for _ in range(runs):
        due, seconds = _scan(app)
        ours.append(seconds)
        floor.append(_floor(app, statements))
    return due, median(ours), median(floor), len(statements)


def _reviews(app):
    from models import Sanction, db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Sanction))


def _grow(app, extra):
    """Add ``extra`` influence periods that ended long ago (not due): a bigger table, the same work."""
    from models import Cadre, Sanction, db
    from workflow import clock

    with app.app_context():
        cadres = db.session.scalars(select(Cadre.id)).all()
        first = db.session.scalar(select(func.max(Sanction.id))) or 0
        today = clock.today_local()
        rng = random.Random(9)
        rows = []
        for _ in range(extra):
            decided = today - timedelta(days=rng.randint(3 * 365, 12 * 365))
            rows.append({"cadre_id": rng.choice(cadres), "measure": "gov_warning", "decided_on": decided,
                         "influence_ends_on": decided + timedelta(days=182), "note": "bench: history", "case_id": None})
        for i in range(0, len(rows), 20_000):
            db.session.execute(Sanction.__table__.insert(), rows[i:i + 20_000])
        db.session.commit()
        _analyze(db)
        return first


def _shrink(app, first):
    from models import Sanction, db

    with app.app_context():
        db.session.execute(Sanction.__table__.delete().where(Sanction.id > first))
        db.session.commit()
        _analyze(db)


def _analyze(db):
    db.session.execute(text("ANALYZE sanction"))
    db.session.commit()


def run(app, url, backend, runs=5, log=print):
    rows = []
    reviews = _reviews(app)
    due, ours, floor, statements = _measure(app, runs)
    log(f"[{backend}] scan at {reviews:,} reviews: {due:,} due, ours {ours * 1000:.1f} ms, floor {floor * 1000:.1f} ms "
        f"({statements} statements)")
    row = Row(backend, f"(d) reminder scan, {reviews:,} reviews ({due:,} due)", ours * 1000, floor * 1000, "ms", "<= 2x floor")
    row.passed = row.ratio <= 2
    rows.append(row)
    first = _grow(app, reviews)
    try:
        bigger = _reviews(app)
        due2, ours2, floor2, _n = _measure(app, runs)
    finally:
        _shrink(app, first)
    log(f"[{backend}] scan at {bigger:,} reviews: {due2:,} due, ours {ours2 * 1000:.1f} ms, floor {floor2 * 1000:.1f} ms")
    row2 = Row(backend, f"(d) reminder scan, {bigger:,} reviews ({due2:,} due)", ours2 * 1000, floor2 * 1000, "ms", "<= 2x floor")
    row2.passed = row2.ratio <= 2
    rows.append(row2)
    growth = Row(backend, "(d) scan time, 2x the table, same due", ours2 * 1000, ours * 1000, "ms", "<= 1.3x (grows with due)")
    growth.passed = growth.ratio <= 1.3
    rows.append(growth)
    result = child("reminders", url)
    log(f"[{backend}] reminder pass: {result['sent']:,} sent, {result['skipped']:,} skipped in {result['seconds']:.1f} s, "
        f"peak {result['peak_mb']:.0f} MB")
    mem = Row(backend, "memory: scheduler reminder pass peak", result["peak_mb"], None, "MB", "< 150 MB",
              note=f"{result['sent']:,} sent in {result['seconds']:.0f} s")
    mem.passed = result["peak_mb"] < 150
    rows.append(mem)
    return rows
