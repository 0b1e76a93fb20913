"""``python -m bench`` (``make bench``): every benchmark on SQLite and PostgreSQL, then one table.

Options: --backend sqlite|postgresql|all, --scale (1 = the province: 200,000 cadres, 100,000 cases,
2,000,000 audit events, 300,000 reviews), --only a,b,c,d,e, --rebuild (build the bench database
anew), --drop (remove the bench databases at the end), --runs N. The bench databases are built once
with ``flask demo scale`` (instance/bench/ for SQLite, cadreflow_bench_<scale> beside
BENCH_PG_URL for PostgreSQL) and reused by later runs.
"""
import argparse
import sys
import time

from . import common


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="all", choices=["all", "sqlite", "postgresql"])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only", default="a,b,c,d,e,f",
                        help="which figures: a door, b web, c export, d reminders, e import, f query plans (PostgreSQL)")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (the median is reported)")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--drop", action="store_true")
    parser.add_argument("--web-on-sqlite", action="store_true", help="also run (b) on SQLite (the target is for PostgreSQL)")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its target")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "all" else [args.backend]
    only = set(args.only.split(","))
    rows, started = [], time.monotonic()
    for backend in backends:
        url = common.ensure_database(backend, args.scale, rebuild=args.rebuild)
        app = common.make_app(url)
        scale_events = int(2_000_000 * args.scale)
        if "a" in only:
            from . import door

            per_run = max(20, int(150 * min(1.0, args.scale * 10)))
            rows += door.run(app, url, backend, runs=args.runs, per_run=per_run)
        common.settle(url)  # the reads below start from a vacuumed database, whatever ran before
        if "d" in only:
            from . import reminders

            rows += reminders.run(app, url, backend, runs=args.runs)
        if "c" in only:
            from . import export

            sizes = tuple(s for s in (100_000, 1_000_000) if s <= scale_events) or (scale_events // 2,)
            rows += export.run(url, backend, sizes=sizes, runs=min(3, args.runs), xlsx_rows=min(100_000, scale_events // 2))
        if "e" in only:
            from . import imports

            rows += imports.run(app, url, backend, count=min(100_000, int(200_000 * args.scale)), runs=min(3, args.runs))
        if "f" in only and backend == "postgresql":
            from .explain import large_seq_scans

            scans, statements = large_seq_scans(app)
            rows.append(common.Row(backend, f"(f) hot queries scanning a large table sequentially (of {statements})", scans,
                                   None, "", "0", scans == 0))
        if "b" in only and (backend == "postgresql" or args.web_on_sqlite):
            from . import web

            common.settle(url)  # after the import's runs (each removes what it wrote)
            rows += web.run(app, url, backend, runs=min(3, args.runs))
        with app.app_context():
            from models import db

            db.session.remove()
            db.engine.dispose()
        if args.drop:
            common.drop_database(backend, args.scale)
    print()
    print(f"Cadreflow benchmarks at scale {args.scale:g} ({time.monotonic() - started:.0f} s; ratio = ours / floor "
          "measured in the same run; medians of several runs)")
    print(common.table(rows))
    if args.markdown:
        print()
        print(common.markdown(rows))
    missed = [r for r in rows if r.passed is False]
    print(f"{len(rows) - len(missed)} of {len(rows)} figures meet their target or are reported for information; {len(missed)} miss.")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
