"""(e) Importing 100,000 annual assessment rows from CSV and from XLSX, validated and written
(``workflow.imports``: read_table → check_assessments → import_assessments), against the bare
driver inserting the same rows. Each run uses a year no cadre has yet and removes it afterwards."""
import csv
import io
import random

from sqlalchemy import select, text

from .common import Row, Timer, median, raw_connect

HEADER = ["干部编号 cadre_id", "姓名 name", "年度 year", "考核结果 result"]
RESULTS = ["优秀"] * 3 + ["称职"] * 14 + ["基本称职"] * 2 + ["不称职"]


def _rows(app, count):
    from models import Cadre, db

    with app.app_context():
        cadres = db.session.execute(select(Cadre.id, Cadre.name).order_by(Cadre.id).limit(count)).all()
    rng = random.Random(5)
    return [(cid, name, rng.choice(RESULTS)) for cid, name in cadres]


def _csv(rows, year):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows((cid, name, year, result) for cid, name, result in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(rows, year):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("考核结果")
    sheet.append(HEADER)
    for cid, name, result in rows:
        sheet.append([cid, name, year, result])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _ours(app, data, filename):
    from models import User, db
    from workflow import imports

    with app.app_context():
        officer = db.session.scalars(select(User).where(User.username == "officer")).one()
        with Timer() as t:
            rows = imports.read_table(data, filename)
            report = imports.check_assessments(db.session, officer, rows)
            assert report.error_count == 0, [r.errors for r in report.invalid][:3]
            result = imports.import_assessments(db.session, officer, report, filename=filename)
        db.session.remove()
    return result.written if hasattr(result, "written") else len(rows), t.seconds


def _cleanup(app, year):
    from models import db

    with app.app_context():
        db.session.execute(text("DELETE FROM annual_assessment WHERE year = :y"), {"y": year})
        db.session.commit()


def _floor(url, rows, year):
    conn = raw_connect(url)
    with Timer() as t:
        if url.startswith("sqlite"):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO annual_assessment (cadre_id, year, result) VALUES (?, ?, ?)",
                             [(cid, year, "competent") for cid, _n, _r in rows])
            conn.execute("COMMIT")
        else:
            with conn.cursor() as cur, cur.copy("COPY annual_assessment (cadre_id, year, result) FROM STDIN") as copy:
                for cid, _n, _r in rows:
                    copy.write_row((cid, year, "competent"))
            conn.commit()
    conn.close()
    return len(rows) / t.seconds


def run(app, url, backend, count=100_000, runs=3, log=print):
    try:
        import workflow.imports  # noqa: F401
    except ImportError:
        return [Row(backend, "(e) import of annual assessments", None, None, "rows/s", ">= 5,000 rows/s", None,
                    "workflow/imports.py not there yet")]
    from workflow import clock

    rows = _rows(app, count)
    base = clock.today_local().year - 3  # cadres have the last two years already
    out = []
    for kind in ("csv", "xlsx"):
        ours, floor = [], []
        for run_no in range(runs):
            year = base - run_no
            data = _csv(rows, year) if kind == "csv" else _xlsx(rows, year)
            _cleanup(app, year)
            try:
                written, seconds = _ours(app, data, f"assessments-{year}.{kind}")
            finally:
                _cleanup(app, year)
            ours.append(written / seconds)
            floor.append(_floor(url, rows, year))
            _cleanup(app, year)
        log(f"[{backend}] import {kind} {len(rows):,} rows: ours {[round(x) for x in ours]} rows/s, floor {[round(x) for x in floor]} rows/s")
        row = Row(backend, f"(e) import {len(rows):,} assessments ({kind.upper()})", median(ours), median(floor), "rows/s",
                  ">= 5,000 rows/s")
        row.passed = row.ours >= 5000
        out.append(row)
    return out
