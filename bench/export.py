"""(c) Audit export: CSV of 100,000 and 1,000,000 events against the most direct stream of the same
rows (PostgreSQL ``COPY (SELECT …) TO STDOUT``; on SQLite a raw sqlite3 cursor written with
csv.writer), each in a fresh process that reports its own peak memory. XLSX and JSON Lines too."""
from .common import WORK, Row, child, median


def run(url, backend, sizes=(100_000, 1_000_000), runs=3, xlsx_rows=100_000, log=print):
    WORK.mkdir(parents=True, exist_ok=True)
    rows, peaks = [], {}
    for size in sizes:
        ours, floor, peak = [], [], []
        for _ in range(runs if size <= 1_000_000 else 1):
            result = child("export", url, "csv", size, WORK / "export.csv")
            assert result["rows"] == size, result
            ours.append(result["rate"])
            peak.append(result["peak_mb"])
            floor.append(child("export-floor", url, size, WORK / "floor.csv")["rate"])
        peaks[size] = max(peak)
        log(f"[{backend}] csv {size:,}: ours {[round(x) for x in ours]} rows/s, floor {[round(x) for x in floor]} rows/s, "
            f"peak {[round(x) for x in peak]} MB")
        row = Row(backend, f"(c) CSV export, {size:,} events", median(ours), median(floor), "rows/s", ">= 50% of floor")
        row.passed = row.ratio >= 0.5
        rows.append(row)
    for size in sizes:
        mem = Row(backend, f"memory: CSV export peak, {size:,} events", peaks[size], None, "MB", "< 150 MB, flat")
        mem.passed = peaks[size] < 150 and peaks[size] <= min(peaks.values()) * 1.25
        rows.append(mem)
    for fmt, size in (("jsonl", max(sizes)), ("xlsx", xlsx_rows)):
        result = child("export", url, fmt, size, WORK / f"export.{fmt}")
        log(f"[{backend}] {fmt} {size:,}: {result['rate']:.0f} rows/s, peak {result['peak_mb']:.0f} MB")
        rows.append(Row(backend, f"(c) {fmt.upper()} export, {size:,} events", result["rate"], None, "rows/s",
                        note=f"peak {result['peak_mb']:.0f} MB"))
    for name in ("export.csv", "floor.csv", "export.jsonl", "export.xlsx"):
        (WORK / name).unlink(missing_ok=True)
    return rows
