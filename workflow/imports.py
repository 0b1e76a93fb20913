"""Importing cadres and annual assessment results from CSV or XLSX.

Three steps, and nothing is written before the last one:

1. ``read_table(data, filename)`` turns an upload into rows: CSV in UTF-8 (with or without a
   byte-order mark; comma, semicolon or tab) or XLSX (the first sheet, read streaming with
   openpyxl's read-only mode). The first non-empty row is the header; header names in Chinese or
   English (``年度`` / ``year``, ``干部编号 cadre_id`` …) become field names; each row is a dict
   of field → value with its spreadsheet row number under ``"_row"``. Unreadable uploads raise
   ``BadUpload`` (a 400 with a sentence saying what to do).
2. ``check_assessments(session, user, rows)`` / ``check_cadres(session, user, rows)`` validate
   every row and return a ``Report``: per row the values and each problem in words (unknown unit
   code, bad date, duplicate, result not one of the allowed values, year out of range, cadre not
   found or not in your units …). Lookups are done in bulk: one query per few thousand rows, never
   one per row.
3. ``import_assessments(session, user, report, only_valid=False)`` / ``import_cadres(…)`` write
   the rows in one transaction — all valid rows, or nothing — refusing while any row is invalid
   unless ``only_valid`` is set. Every written row gets the audit event the single action writes
   (``cadre.assessment`` / ``cadre.created``, chained in one batch), plus one ``import.*`` event
   for the batch naming the file, its SHA-256, the rows written and the rows left out. An imported
   assessment of "incompetent", or "basically competent" two years running, proposes an
   adjustment in the intake inbox exactly as recording it on the cadre's page does.
"""
import csv
import hashlib
import io
import re
import secrets
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from models import AnnualAssessment, Cadre, Submission, Unit

from . import audit, clock
from .access import may_manage_cadres, unit_scope
from .bulk_rows import insert_rows
from .cadres import FIELDS as CADRE_FIELDS
from .definition import text_problem
from .errors import Forbidden, InvalidData, Refused
from .i18n import _, _l, pick
from .intake import RECEIPT_ALPHABET, assessment_trigger_reason
from .terms import ASSESSMENT, EDUCATION, RANKS, label

MAX_ROWS = 200_000
MAX_COLUMNS = 60
MAX_CELL = 4000
CHUNK = 2000  # ids per IN (...) lookup
FIRST_YEAR = 1980


class BadUpload(Refused):
    """The upload cannot be read as a table (or lacks a needed column): nothing was written."""

    status = 400


class MissingColumns(BadUpload):
    status = 422


# --- fields and their headers ------------------------------------------------------------------

# field: (English, Chinese, other names a header may use)
COLUMNS = {
    "cadre_id": ("Cadre ID", "干部编号", ("id", "cadre", "cadre no", "cadre number", "编号", "干部id", "系统编号")),
    "name": ("Name", "姓名", ("cadre name", "full name", "干部姓名")),
    "year": ("Year", "年度", ("assessment year", "考核年度", "年份")),
    "result": ("Result", "考核结果", ("assessment", "assessment result", "结果", "等次", "考核等次")),
    "unit_code": ("Unit code", "单位代码", ("unit", "单位", "单位编码", "所在单位")),
    "gender": ("Gender", "性别", ("sex",)),
    "birth_date": ("Date of birth", "出生日期", ("birth date", "birthday", "born", "出生年月日")),
    "education": ("Education", "学历", ("最高学历",)),
    "rank": ("Rank", "职级", ("现职级",)),
    "rank_since": ("Rank since", "任现职级时间", ("in rank since", "任职级时间")),
    "post_since": ("In post since", "任现职时间", ("post since", "任职时间")),
    "work_start": ("Started work", "参加工作时间", ("work start", "work started", "参加工作日期")),
    "grassroots_years": ("Years at grassroots", "基层工作年限", ("grassroots years", "基层年限")),
    "notes": ("Notes", "备注", ("note", "remarks")),
}
ASSESSMENT_COLUMNS = ("cadre_id", "name", "year", "result")
CADRE_COLUMNS = ("name", "unit_code", "gender", "birth_date", "education", "rank", "rank_since", "post_since",
                 "work_start", "grassroots_years", "notes")
CADRE_REQUIRED = ("name", "unit_code", "rank", "rank_since", "work_start")
TEMPLATE_EXAMPLES = {
    "assessments": [{"cadre_id": 1, "name": "张三", "year": date.today().year - 1, "result": "称职"}],
    "cadres": [{"name": "张三", "unit_code": "QS-DC", "gender": "男", "birth_date": "1980-05-01", "education": "大学本科",
                "rank": "正科级", "rank_since": "2019-01-01", "post_since": "2019-01-01", "work_start": "2002-07-01",
                "grassroots_years": 3, "notes": ""}],
}


def _norm(text) -> str:
    text = str(text or "").replace("\ufeff", "").strip().lower()
    text = re.sub(r"[*＊:：]+$", "", text).strip()
    return re.sub(r"[\s_\-]+", " ", text)


ALIASES = {}
for _name, (_en, _zh, _more) in COLUMNS.items():
    for _alias in (_name, _en, _zh, *_more):
        ALIASES.setdefault(_norm(_alias), _name)


def header_field(header) -> str | None:
    """The field a header names: the whole header ("考核结果", "Result"), or one of its parts
    ("干部编号 cadre_id", "年度（Year）")."""
    key = _norm(header)
    if key in ALIASES:
        return ALIASES[key]
    for part in re.split(r"[\s/()（）\[\]【】|]+", key):
        if part and part in ALIASES:
            return ALIASES[part]
    return None


def template_header(name) -> str:
    """The header the templates use ("干部编号 cadre_id"): read in either language, so not translated."""
    _en, zh, _more = COLUMNS[name]
    return f"{zh} {name}"


def column_label(name) -> str:
    """A column's name in the reader's language ("Cadre ID" / "干部编号")."""
    en, zh, _more = COLUMNS[name]
    return pick(en, zh)


def template_columns(kind):
    return ASSESSMENT_COLUMNS if kind == "assessments" else CADRE_COLUMNS


# --- step 1: reading the upload -------------------------------------------------------------------

def read_table(data: bytes, filename: str) -> list[dict]:
    """Rows of a CSV (UTF-8) or XLSX upload as dicts of field name → value, with ``_row``."""
    if not data or not data.strip():
        raise BadUpload(_("The file is empty."))
    name = (filename or "").lower().strip()
    is_zip = data[:4] == b"PK\x03\x04"
    if name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise BadUpload(_("This is an old Excel file (.xls). Save it as .xlsx or as 'CSV UTF-8' and upload that."))
    if name.endswith(".xlsx") or name.endswith(".xlsm") or (is_zip and not name.endswith((".csv", ".txt"))):
        if not is_zip:
            raise BadUpload(_("The file is named .xlsx but is not an Excel workbook."))
        grid = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")) or not name.rpartition(".")[1]:
        if is_zip:
            raise BadUpload(_("The file is named .csv but is a compressed file (an Excel workbook?). Upload it as .xlsx."))
        grid = _csv_rows(data)
    else:
        raise BadUpload(_("Upload a .csv (UTF-8) or .xlsx file."))
    return _records(grid)


def _csv_rows(data):
    if b"\x00" in data[:4096]:
        raise BadUpload(_("The file is not a text (CSV) file: it contains binary data. Upload a CSV in UTF-8 or an .xlsx file."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadUpload(_("The file is not in UTF-8 (unreadable bytes on line %(line)s); it is probably GBK. In Excel choose "
                          "'Save as' → 'CSV UTF-8 (comma delimited)', or upload the .xlsx file.", line=line)) from None
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count) if first else ","
    csv.field_size_limit(MAX_CELL * 4)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise BadUpload(_("The CSV file cannot be read at row %(row)s: %(error)s.", row=reader.line_num, error=exc)) from None


def _xlsx_rows(data):
    """The first worksheet's rows. A streaming reader of the sheet's XML does the work (several
    times faster than building openpyxl cells, which matters at 100,000 rows); a workbook it does
    not understand is read with openpyxl's read-only mode instead."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise BadUpload(_("The Excel file cannot be opened (%(error)s). Save it again as .xlsx, or as CSV UTF-8.",
                          error=type(exc).__name__)) from None
    with book:
        try:
            rows = _XlsxStream(book)
        except Exception:  # not the layout Excel, WPS and openpyxl write: let openpyxl try
            rows = None
        if rows is not None:
            try:
                yield from rows
                return
            except BadUpload:
                raise
            except _Started:
                raise BadUpload(_("The Excel file is damaged. Save it again and upload it.")) from None
            except Exception:
                pass
    yield from _openpyxl_rows(data)


class _Started(Exception):
    """The streaming reader failed after rows were already handed on: no second attempt."""


MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DOC_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# Built-in number formats that are dates: 14–22 and 45–47 everywhere, 27–36 and 50–58 in the
# Chinese, Japanese and Korean editions of Excel (年月日 formats).
DATE_FORMAT_IDS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
MAX_XML_BYTES = 512 * 1024 * 1024


class _XlsxStream:
    def __init__(self, book):
        from xml.etree.ElementTree import fromstring

        self.book = book
        names = set(book.namelist())
        workbook = fromstring(book.read("xl/workbook.xml"))
        first = workbook.find(f"{MAIN_NS}sheets")[0]
        rid = first.get(f"{DOC_REL_NS}id")
        props = workbook.find(f"{MAIN_NS}workbookPr")
        self.epoch = datetime(1904, 1, 1) if props is not None and props.get("date1904") in ("1", "true") else datetime(1899, 12, 30)
        rels = fromstring(book.read("xl/_rels/workbook.xml.rels"))
        target = next(r.get("Target") for r in rels if r.get("Id") == rid)
        self.sheet = target.lstrip("/") if target.startswith("/") else "xl/" + target.removeprefix("./")
        if self.sheet not in names:
            raise KeyError(self.sheet)
        for name in names:
            if book.getinfo(name).file_size > MAX_XML_BYTES:
                raise BadUpload(_("The Excel file is too large when unpacked."))
        self.strings = self._strings() if "xl/sharedStrings.xml" in names else []
        self.dates = self._date_styles() if "xl/styles.xml" in names else set()

    def _strings(self):
        from xml.etree.ElementTree import iterparse

        out = []
        with self.book.open("xl/sharedStrings.xml") as stream:
            for _event, elem in iterparse(stream):
                if elem.tag == f"{MAIN_NS}si":
                    # The string's own text runs, not its phonetic guide (rPh).
                    parts = [t.text or "" for t in elem.findall(f"{MAIN_NS}t")]
                    parts += [t.text or "" for r in elem.findall(f"{MAIN_NS}r") for t in r.findall(f"{MAIN_NS}t")]
                    out.append("".join(parts))
                    elem.clear()
        return out

    def _date_styles(self):
        from xml.etree.ElementTree import fromstring

        from openpyxl.styles.numbers import is_date_format

        styles = fromstring(self.book.read("xl/styles.xml"))
        custom = {int(f.get("numFmtId")): f.get("formatCode") or "" for f in styles.iter(f"{MAIN_NS}numFmt")}
        xfs = styles.find(f"{MAIN_NS}cellXfs")
        out = set()
        for index, xf in enumerate(xfs if xfs is not None else []):
            fmt = int(xf.get("numFmtId") or 0)
            if fmt in custom and is_date_format(custom[fmt]) or fmt not in custom and fmt in DATE_FORMAT_IDS:
                out.add(index)
        return out

    def __iter__(self):
        from xml.etree.ElementTree import iterparse

        c_tag, row_tag, v_tag, is_tag, t_tag = (f"{MAIN_NS}c", f"{MAIN_NS}row", f"{MAIN_NS}v", f"{MAIN_NS}is", f"{MAIN_NS}t")
        strings, dates, epoch = self.strings, self.dates, self.epoch
        number, handed = 0, False
        with self.book.open(self.sheet) as stream:
            values = {}
            column = 0
            try:
                for _event, elem in iterparse(stream):
                    tag = elem.tag
                    if tag == c_tag:
                        ref = elem.get("r")
                        column = _column_index(ref) if ref else column + 1
                        kind = elem.get("t")
                        if kind == "inlineStr":
                            inline = elem.find(is_tag)
                            value = "".join(t.text or "" for t in inline.iter(t_tag)) if inline is not None else ""
                        else:
                            v = elem.find(v_tag)
                            text = v.text if v is not None else None
                            if text is None:
                                value = None
                            elif kind == "s":
                                value = strings[int(text)]
                            elif kind in ("str", "e", "d"):
                                value = text
                            elif kind == "b":
                                value = text == "1"
                            else:
                                value = float(text)
                                if value.is_integer() and "E" not in text and "e" not in text:
                                    value = int(text.split(".")[0])
                                if elem.get("s") and int(elem.get("s")) in dates:
                                    value = epoch + timedelta(days=value)
                        if column <= MAX_COLUMNS + 1:
                            values[column] = value
                    elif tag == row_tag:
                        ref = elem.get("r")
                        number = int(ref) if ref else number + 1
                        width = max(values) if values else 0
                        handed = True
                        yield number, [values.get(i) for i in range(1, width + 1)]
                        values, column = {}, 0
                        elem.clear()
            except GeneratorExit:
                raise
            except BadUpload:
                raise
            except Exception:
                if handed:
                    raise _Started() from None
                raise


def _column_index(ref):
    index = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            index = index * 26 + ord(ch) - 64
        else:
            break
    return index


def _openpyxl_rows(data):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise BadUpload(_("The Excel file cannot be opened (%(error)s). Save it again as .xlsx, or as CSV UTF-8.",
                          error=type(exc).__name__)) from None
    except Exception as exc:  # openpyxl raises its own exceptions for damaged workbooks
        raise BadUpload(_("The Excel file cannot be read (%(error)s).", error=type(exc).__name__)) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise BadUpload(_("The workbook has no worksheet."))
        try:
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(row[:MAX_COLUMNS + 1])
        except BadUpload:
            raise
        except Exception as exc:
            raise BadUpload(_("The Excel file is damaged (%(error)s).", error=type(exc).__name__)) from None
    finally:
        book.close()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date() if (value.hour, value.minute, value.second) == (0, 0, 0) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        value = value.strip()
        if len(value) > MAX_CELL:
            value = value[:MAX_CELL]
    return value


def _records(grid):
    header, fields, out = None, None, []
    for number, row in grid:
        values = [_cell(v) for v in row]
        if not any(v not in ("", None) for v in values):
            continue
        if header is None:
            header = values
            if len(header) > MAX_COLUMNS:
                raise BadUpload(_("The file has more than %(count)s columns: is the first row the header?", count=MAX_COLUMNS))
            fields = []
            for h in header:
                name = header_field(h) if h not in ("", None) else None
                label = str(h).strip() if h not in ("", None) else ""
                key = name or (f"[{label}]" if label else None)
                if key is not None and key in fields:
                    raise BadUpload(_("Two columns are both '%(column)s' (\"%(header)s\"): keep one.", column=template_header(name),
                                      header=label) if name else _("Two columns are both named \"%(header)s\".", header=label))
                fields.append(key)
            if not any(f and not f.startswith("[") for f in fields):
                raise BadUpload(_("The first row names no known column. Use the template's headers (download the template)."))
            continue
        record = {"_row": number}
        for key, value in zip(fields, values, strict=False):
            if key is not None:
                if isinstance(value, str) and text_problem(value):  # NUL breaks PostgreSQL; control characters
                    raise BadUpload(_("Row %(row)s, column '%(column)s': %(problem)s Remove it and upload again.",
                                      row=number, column=key, problem=text_problem(value)))
                record[key] = value
        for key in fields:
            if key is not None:
                record.setdefault(key, "")
        out.append(record)
        if len(out) > MAX_ROWS:
            raise BadUpload(_("The file has more than %(count)s rows: split it.", count=f"{MAX_ROWS:,}"))
    if header is None:
        raise BadUpload(_("The file is empty."))
    if not out:
        raise BadUpload(_("The file has a header row but no data rows."))
    return out


# --- step 2: checking ------------------------------------------------------------------------------

@dataclass
class Row:
    number: int
    values: dict  # what the file said, for the report
    errors: list = field(default_factory=list)
    data: dict = field(default_factory=dict)  # parsed, for the write

    @property
    def ok(self):
        return not self.errors


@dataclass
class Report:
    kind: str  # "assessments" or "cadres"
    columns: list  # the fields found, in the table's order
    rows: list
    ignored_columns: list = field(default_factory=list)

    @property
    def valid(self):
        return [r for r in self.rows if r.ok]

    @property
    def invalid(self):
        return [r for r in self.rows if not r.ok]

    @property
    def error_count(self):
        return sum(1 for r in self.rows if not r.ok)

    @property
    def valid_count(self):
        return len(self.rows) - self.error_count

    @property
    def ok(self):
        return self.error_count == 0

    def digest(self) -> str:
        """Which rows are valid, as a short hash: the confirmation must import what was shown."""
        pattern = ",".join(f"{r.number}{'+' if r.ok else '-'}" for r in self.rows)
        return hashlib.sha256(f"{self.kind}:{pattern}".encode()).hexdigest()[:32]


@dataclass
class Result:
    kind: str
    written: int
    skipped: list  # row numbers left out (invalid)
    proposals: list = field(default_factory=list)  # [(row number, cadre name, reason)]
    created: list = field(default_factory=list)  # [(row number, new cadre id, name)] for cadres
    batch_event_id: int | None = None


def _require(user):
    if not may_manage_cadres(user):
        raise Forbidden(_("Only case officers and administrators import cadres and assessments."))


def _columns(rows, allowed):
    present = [k for k in rows[0] if not k.startswith("_")] if rows else []
    return [k for k in present if k in allowed], [k.strip("[]") if k.startswith("[") else k for k in present if k not in allowed]


def _missing(needed, columns, alternatives=()):
    missing = [n for n in needed if n not in columns]
    if alternatives and not any(a in columns for a in alternatives):
        missing.append(" / ".join(template_header(a) for a in alternatives))
    if missing:
        # The template's headers (read in either language) name the columns.
        names = ", ".join(m if " / " in m else template_header(m) for m in missing)
        raise MissingColumns(_("The file lacks these columns: %(names)s. Download the template to see the expected headers.",
                               names=names))


def _text(value):
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value).strip()


def _int(value):
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError
    text = _text(value).replace(",", "")
    if re.fullmatch(r"[+-]?\d{1,12}(\.0+)?", text):
        return int(float(text)) if "." in text else int(text)
    raise ValueError


DATE_PATTERNS = (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
                 re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"), re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
                 re.compile(r"(\d{4})(\d{2})(\d{2})"))


def parse_date(value):
    """A date from a cell: an Excel date, or YYYY-MM-DD (also / . 年月日 or YYYYMMDD). None if blank."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    text = text.split(" ")[0].split("T")[0] if re.match(r"^\d{4}-\d{2}-\d{2}[ T]\d", text) else text
    for pattern in DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return date(*(int(g) for g in match.groups()))  # ValueError for 2026-02-30
    raise ValueError


def _vocabulary_lookup(vocabulary):
    table = {}
    for code, (en, zh) in vocabulary.items():
        for key in (code, en, zh, code.replace("_", " ")):
            table[_norm(key)] = code
    return table


RESULTS = _vocabulary_lookup(ASSESSMENT)
RANK_NAMES = _vocabulary_lookup(RANKS)
EDUCATION_NAMES = _vocabulary_lookup(EDUCATION)
GENDERS = {"male": "male", "m": "male", "男": "male", "female": "female", "f": "female", "女": "female"}
ALLOWED_RESULTS = "、".join(zh for _en, zh in ASSESSMENT.values()) + " / " + ", ".join(en for en, _zh in ASSESSMENT.values())


def parse_result(value):
    """An assessment result code from a code, English or Chinese label; None if not allowed."""
    return RESULTS.get(_norm(value))


def year_problem(year, today=None):
    """A sentence if ``year`` cannot be an annual assessment year (before 1980 or not yet over)."""
    last = (today or clock.today_local()).year
    if not FIRST_YEAR <= year <= last:
        return _("Year %(year)s is out of range (%(first)s–%(last)s).", year=year, first=FIRST_YEAR, last=last)
    return None


def _chunks(items, size=CHUNK):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def check_assessments(session, user, rows) -> Report:
    """Validate assessment rows: cadre (by ID, or by name when unique in the user's units), year, result."""
    _require(user)
    if not rows:
        raise BadUpload(_("There are no rows to import."))
    columns, ignored = _columns(rows, ASSESSMENT_COLUMNS)
    _missing(("year", "result"), columns, alternatives=("cadre_id", "name"))
    scope = unit_scope(session, user)
    today = clock.today_local()
    report = Report("assessments", columns, [], ignored)

    parsed = []
    ids, names = set(), set()
    for raw in rows:
        row = Row(int(raw.get("_row") or len(report.rows) + 2), {k: _text(raw.get(k)) for k in columns})
        report.rows.append(row)
        cadre_id = year = result = None
        raw_id, raw_name = raw.get("cadre_id", ""), _text(raw.get("name"))
        if _text(raw_id):
            try:
                cadre_id = _int(raw_id)
                ids.add(cadre_id)
            except ValueError:
                row.errors.append(_("Cadre ID '%(value)s' is not a number.", value=_text(raw_id)))
        elif raw_name:
            names.add(raw_name)
        else:
            row.errors.append(_("The cadre is missing: give the cadre ID (or the name)."))
        if not _text(raw.get("year")):
            row.errors.append(_("The year is missing."))
        else:
            try:
                year = _int(raw.get("year"))
                problem = year_problem(year, today)
                if problem:
                    row.errors.append(problem)
                    year = None
            except ValueError:
                row.errors.append(_("Year '%(value)s' is not a year.", value=_text(raw.get("year"))))
        if not _text(raw.get("result")):
            row.errors.append(_("The result is missing."))
        else:
            result = parse_result(raw.get("result"))
            if result is None:
                row.errors.append(_("Result '%(value)s' is not one of the allowed values (%(allowed)s).",
                                    value=_text(raw.get("result")), allowed=ALLOWED_RESULTS))
        parsed.append((row, cadre_id, raw_name, year, result))

    # Bulk lookups: the cadres by id, the cadres by name (in the user's units only).
    cadres = {}
    for chunk in _chunks(ids):
        for cid, name, unit_id in session.execute(select(Cadre.id, Cadre.name, Cadre.unit_id).where(Cadre.id.in_(chunk))):
            cadres[cid] = (name, unit_id)
    by_name = {}
    for chunk in _chunks(names):
        for cid, name, unit_id in session.execute(
                select(Cadre.id, Cadre.name, Cadre.unit_id).where(Cadre.name.in_(chunk), Cadre.unit_id.in_(scope))):
            by_name.setdefault(name, []).append(cid)
            cadres[cid] = (name, unit_id)

    resolved = []
    for row, cadre_id, raw_name, year, result in parsed:
        if cadre_id is not None:
            found = cadres.get(cadre_id)
            if found is None:
                row.errors.append(_("Cadre %(id)s not found.", id=cadre_id))
                cadre_id = None
            elif found[1] not in scope:
                row.errors.append(_("Cadre %(id)s is not in your units.", id=cadre_id))
                cadre_id = None
            elif raw_name and raw_name != found[0]:
                row.errors.append(_("Cadre %(id)s is %(name)s, not %(given)s: check the ID.", id=cadre_id, name=found[0],
                                    given=raw_name))
                cadre_id = None
        elif raw_name:
            matches = by_name.get(raw_name, [])
            if not matches:
                row.errors.append(_("No cadre named %(name)s in your units.", name=raw_name))
            elif len(matches) > 1:
                row.errors.append(_("%(count)s cadres in your units are named %(name)s: give the cadre ID.",
                                    count=len(matches), name=raw_name))
            else:
                cadre_id = matches[0]
        resolved.append((row, cadre_id, year, result))

    wanted = {cid for _row, cid, _y, _r in resolved if cid is not None}
    years = {y for _row, _cid, y, _r in resolved if y is not None}
    existing = {}
    for chunk in _chunks(wanted):
        query = select(AnnualAssessment.cadre_id, AnnualAssessment.year, AnnualAssessment.result).where(
            AnnualAssessment.cadre_id.in_(chunk), AnnualAssessment.year.in_(years))
        for cid, year, result in session.execute(query):
            existing[(cid, year)] = result
    seen = {}
    for row, cadre_id, year, result in resolved:
        if cadre_id is not None and year is not None:
            key = (cadre_id, year)
            if key in existing:
                row.errors.append(_("The %(year)s assessment of %(name)s is already recorded (%(result)s).", year=year,
                                    name=cadres[cadre_id][0], result=_result_label(existing[key])))
            elif key in seen:
                row.errors.append(_("Duplicate: row %(row)s has the same cadre and year.", row=seen[key]))
            elif row.ok:  # a row with other problems does not claim the cadre and year
                seen[key] = row.number
        if row.ok:
            name, unit_id = cadres[cadre_id]
            row.data = {"cadre_id": cadre_id, "name": name, "unit_id": unit_id, "year": year, "result": result}
            row.values.setdefault("name", name)
    return report


def _result_label(code):
    return label(ASSESSMENT, code)


def check_cadres(session, user, rows) -> Report:
    """Validate cadre rows: name, unit code in the user's units, rank, dates, and no duplicates."""
    _require(user)
    if not rows:
        raise BadUpload(_("There are no rows to import."))
    columns, ignored = _columns(rows, CADRE_COLUMNS)
    _missing(CADRE_REQUIRED, columns)
    scope = unit_scope(session, user)
    today = clock.today_local()
    units = session.execute(select(Unit.id, Unit.code, Unit.name)).all()
    by_code = {_norm(code): uid for uid, code, _name in units}
    by_unit_name = {}
    for uid, _code, name in units:
        by_unit_name.setdefault(_norm(name), []).append(uid)
    report = Report("cadres", columns, [], ignored)
    dates = (("birth_date", False), ("rank_since", True), ("post_since", False), ("work_start", True))
    date_labels = {key: column_label(key) for key, _needed in dates}

    for raw in rows:
        row = Row(int(raw.get("_row") or len(report.rows) + 2), {k: _text(raw.get(k)) for k in columns})
        report.rows.append(row)
        errors, data = row.errors, {}
        name = _text(raw.get("name"))
        if not name:
            errors.append(_("The name is missing."))
        elif len(name) > 60:
            errors.append(_("The name is longer than 60 characters."))
        data["name"] = name
        code = _text(raw.get("unit_code"))
        unit_id = by_code.get(_norm(code))
        if unit_id is None and len(by_unit_name.get(_norm(code), [])) == 1:
            unit_id = by_unit_name[_norm(code)][0]
        if not code:
            errors.append(_("The unit code is missing."))
        elif unit_id is None:
            errors.append(_("Unknown unit code '%(code)s'.", code=code))
        elif unit_id not in scope:
            errors.append(_("Unit '%(code)s' is not one of your units.", code=code))
        data["unit_id"] = unit_id
        for key, vocabulary, default in (("rank", RANK_NAMES, None), ("education", EDUCATION_NAMES, "bachelor")):
            text = _text(raw.get(key))
            if not text:
                if default is None:
                    errors.append(_("The rank is missing."))
                data[key] = default
                continue
            data[key] = vocabulary.get(_norm(text))
            if data[key] is None:
                errors.append(_("Rank '%(value)s' is not one of the known values.", value=text) if key == "rank" else
                              _("Education '%(value)s' is not one of the known values.", value=text))
        gender = _text(raw.get("gender"))
        data["gender"] = GENDERS.get(_norm(gender), None) if gender else ""
        if data["gender"] is None:
            errors.append(_("Gender '%(value)s' is not male or female (男 / 女).", value=gender))
        for key, required in dates:
            column = date_labels[key]
            text = raw.get(key)
            try:
                value = parse_date(text)
            except ValueError:
                errors.append(_("%(column)s: '%(value)s' is not a date (YYYY-MM-DD).", column=column, value=_text(text)))
                value = None
            else:
                if value is None and required:
                    errors.append(_("%(column)s is missing.", column=column))
                elif value is not None and value > today:
                    errors.append(_("%(column)s %(date)s is in the future.", column=column, date=value.isoformat()))
                elif value is not None and value.year < 1900:
                    errors.append(_("%(column)s %(date)s is too early.", column=column, date=value.isoformat()))
            data[key] = value
        if data.get("birth_date") and data.get("work_start") and data["work_start"] <= data["birth_date"]:
            errors.append(_("Work cannot start before birth."))
        years = _text(raw.get("grassroots_years"))
        try:
            data["grassroots_years"] = _int(years) if years else 0
            if not 0 <= data["grassroots_years"] <= 60:
                raise ValueError
        except ValueError:
            errors.append(_("Years at grassroots '%(value)s' must be a whole number from 0 to 60.", value=years))
        data["notes"] = _text(raw.get("notes"))
        row.data = data

    # Duplicates: within the file, and against the cadres already recorded (same name and date of
    # birth; without a date of birth, the same name in the same unit).
    names = {r.data["name"] for r in report.rows if r.data.get("name")}
    known = {}
    for chunk in _chunks(names):
        for cid, name, birth, unit_id in session.execute(
                select(Cadre.id, Cadre.name, Cadre.birth_date, Cadre.unit_id).where(Cadre.name.in_(chunk))):
            known.setdefault((name, birth), []).append((cid, unit_id))
            known.setdefault((name, None, unit_id), []).append((cid, unit_id))
    seen = {}
    for row in report.rows:
        name, birth, unit_id = row.data.get("name"), row.data.get("birth_date"), row.data.get("unit_id")
        if not name:
            continue
        key = (name, birth) if birth else (name, None, unit_id)
        if key in seen:
            row.errors.append(_("Duplicate: row %(row)s has the same person.", row=seen[key]))
            continue
        seen[key] = row.number
        match = known.get(key)
        if match:
            cid, where = match[0]
            if birth and where in scope:
                row.errors.append(_("Duplicate: %(name)s born %(born)s is already recorded (#%(id)s).", name=name,
                                    born=birth.isoformat(), id=cid))
            elif birth:
                row.errors.append(_("Duplicate: %(name)s born %(born)s is already recorded.", name=name, born=birth.isoformat()))
            elif where in scope:
                row.errors.append(_("Duplicate: %(name)s is already recorded (#%(id)s).", name=name, id=cid))
            else:
                row.errors.append(_("Duplicate: %(name)s is already recorded.", name=name))
    return report


# --- step 3: writing ------------------------------------------------------------------------------

def _ready(report, only_valid):
    if report.error_count and not only_valid:
        raise InvalidData(_("%(count)s row(s) have problems, so nothing was written. Correct the file and upload it again, "
                            "or choose to import only the valid rows.", count=report.error_count))
    rows = report.valid
    if not rows:
        raise InvalidData(_("No row is valid: nothing was written."))
    return rows


def _changed_meanwhile():
    return Refused(_("Something changed since the file was checked (a record was added meanwhile). Nothing was written; "
                     "upload the file again to check it anew."))


@contextmanager
def _one_transaction(session):
    """An import is written whole or not at all; a unique-key race means something changed meanwhile."""
    try:
        yield
    except IntegrityError:
        session.rollback()
        raise _changed_meanwhile() from None
    except Exception:
        session.rollback()
        raise


def _batch_summary(kind, written, filename, left_out):
    """The batch event's summary (stored in the language of the request that wrote it)."""
    filename = filename or _("a file")
    if kind == "import.assessments":
        if left_out:
            return _("Imported %(count)s annual assessment(s) from %(file)s; %(left_out)s invalid row(s) left out",
                     count=written, file=filename, left_out=left_out)
        return _("Imported %(count)s annual assessment(s) from %(file)s", count=written, file=filename)
    if left_out:
        return _("Imported %(count)s cadre(s) from %(file)s; %(left_out)s invalid row(s) left out",
                 count=written, file=filename, left_out=left_out)
    return _("Imported %(count)s cadre(s) from %(file)s", count=written, file=filename)


def _write_batch(session, user, kind, report, rows, events, *, filename, sha256, batch, now, **extra):
    """The audited end of an import: each row's event, one event for the batch, one commit."""
    audit.append_many(session, events)
    event = audit.append(
        session, kind=kind, actor=user, at=now,
        summary=_batch_summary(kind, len(rows), filename, report.error_count),
        after={"batch": batch, "file": filename, "sha256": sha256, "written": len(rows),
               "rows_written": [r.number for r in rows], "rows_left_out": [r.number for r in report.invalid], **extra})
    session.commit()
    return event


def import_assessments(session, user, report, only_valid=False, filename="", sha256="") -> Result:
    """Write the valid assessment rows of ``report`` in one transaction (see the module's docstring)."""
    _require(user)
    rows = _ready(report, only_valid)
    now = clock.now()
    batch = secrets.token_hex(6)
    with _one_transaction(session):
        insert_rows(session, AnnualAssessment.__table__, [
            {"cadre_id": r.data["cadre_id"], "year": r.data["year"], "result": r.data["result"]} for r in rows])
        # Translated once and filled in per row (gettext per row would cost seconds at 100,000 rows).
        summary = _("Annual assessment %(year)s for %(name)s: %(result)s")
        results = {code: label(ASSESSMENT, code) for code in ASSESSMENT}
        events = [dict(kind="cadre.assessment", actor=user, at=now, cadre_id=r.data["cadre_id"], unit_id=r.data["unit_id"],
                       summary=summary % {"year": r.data["year"], "name": r.data["name"], "result": results[r.data["result"]]},
                       after={"year": r.data["year"], "result": r.data["result"], "import": batch, "row": r.number})
                  for r in rows]
        proposals = _propose(session, user, rows, now, events)
        event = _write_batch(session, user, "import.assessments", report, rows, events,
                             filename=filename, sha256=sha256, batch=batch, now=now, proposals=len(proposals))
    return Result("assessments", len(rows), [r.number for r in report.invalid], proposals, batch_event_id=event.id)


def _propose(session, user, rows, now, events):
    """Adjustment proposals for the imported results, as ``intake.propose_from_assessment`` makes them."""
    imported = {(r.data["cadre_id"], r.data["year"]): r.data["result"] for r in rows}
    candidates = [r for r in rows if r.data["result"] in ("incompetent", "basically_competent")]
    previous = {}
    needed = {r.data["cadre_id"] for r in candidates if r.data["result"] == "basically_competent"}
    years = {r.data["year"] - 1 for r in candidates}
    for chunk in _chunks(needed):
        for cid, year, result in session.execute(select(AnnualAssessment.cadre_id, AnnualAssessment.year, AnnualAssessment.result)
                                                 .where(AnnualAssessment.cadre_id.in_(chunk), AnnualAssessment.year.in_(years))):
            previous[(cid, year)] = result
    proposals, submissions = [], []
    for r in candidates:
        cid, year = r.data["cadre_id"], r.data["year"]
        before = imported.get((cid, year - 1)) or previous.get((cid, year - 1))
        reason = assessment_trigger_reason(year, r.data["result"], before)
        if reason is None:
            continue
        proposals.append((r.number, r.data["name"], reason))
        submissions.append({"kind": "assessment_trigger", "receipt_code": _receipt(),
                            "unit_id": r.data["unit_id"], "cadre_id": cid, "cadre_name": r.data["name"], "category": "",
                            "content": reason, "received_at": now})
        events.append(dict(kind="intake.assessment_trigger", actor=user, at=now, unit_id=r.data["unit_id"], cadre_id=cid,
                           summary=_("Adjustment proposed for %(name)s: %(reason)s", name=r.data["name"], reason=reason),
                           after={"reason": reason}))
    if submissions:
        insert_rows(session, Submission.__table__, submissions)
    return proposals


def _receipt():
    """As intake's receipt codes (10 of 32 letters), drawn faster for many at once: 256 % 32 == 0, so uniform."""
    return "".join(RECEIPT_ALPHABET[b % 32] for b in secrets.token_bytes(10))


def import_cadres(session, user, report, only_valid=False, filename="", sha256="") -> Result:
    """Create the valid cadre rows of ``report`` in one transaction, each with its ``cadre.created`` event."""
    _require(user)
    rows = _ready(report, only_valid)
    now = clock.now()
    batch = secrets.token_hex(6)
    with _one_transaction(session):
        values = []
        for r in rows:
            v = {k: r.data.get(k) for k in CADRE_FIELDS if k in r.data}
            v.update(position_id=None, last_promotion_on=None, probation_until=None, political_discipline_problem=False,
                     canvassing_found=False, family_emigrated=False, version=1)
            values.append(v)
        ids = session.execute(insert(Cadre).returning(Cadre.id, sort_by_parameter_order=True), values).scalars().all()
        events = []
        summary = _("Cadre %(name)s created (import, row %(row)s)")  # translated once, filled in per row
        for r, v, cid in zip(rows, values, ids, strict=True):
            snap = audit.jsonable({k: v.get(k) for k in CADRE_FIELDS})
            events.append(dict(kind="cadre.created", actor=user, at=now, cadre_id=cid, unit_id=v["unit_id"],
                               summary=summary % {"name": v["name"], "row": r.number},
                               after={**snap, "import": batch}))
        event = _write_batch(session, user, "import.cadres", report, rows, events,
                             filename=filename, sha256=sha256, batch=batch, now=now, cadre_ids=list(ids))
    return Result("cadres", len(rows), [r.number for r in report.invalid],
                  created=[(r.number, cid, r.data["name"]) for r, cid in zip(rows, ids, strict=True)], batch_event_id=event.id)


# --- templates --------------------------------------------------------------------------------------

def template_csv(kind) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    names = template_columns(kind)
    writer.writerow([template_header(n) for n in names])
    for example in TEMPLATE_EXAMPLES[kind]:
        writer.writerow([example.get(n, "") for n in names])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(kind) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "assessments" if kind == "assessments" else "cadres"
    names = template_columns(kind)
    sheet.append([template_header(n) for n in names])
    for example in TEMPLATE_EXAMPLES[kind]:
        sheet.append([example.get(n, "") for n in names])
    for i, n in enumerate(names):
        sheet.column_dimensions[chr(ord("A") + i)].width = max(14, len(template_header(n)) * 2)
    # A sheet that says what each column takes, in the reader's language (the headers stay as they are).
    notes = book.create_sheet(_("About the columns"))
    notes.append([_("Column"), _("Required"), _("What it takes")])
    for n in names:
        notes.append([template_header(n), _("yes") if _required(kind, n) else _("no"), str(COLUMN_HELP.get(n, ""))])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _required(kind, name):
    if kind == "assessments":
        return name in ("year", "result")
    return name in CADRE_REQUIRED


DATE_HELP = _l("A date: YYYY-MM-DD (also YYYY/MM/DD, YYYY.MM.DD or an Excel date)")
COLUMN_HELP = {
    "cadre_id": _l("The cadre's ID (the number in the cadre page's address); or only the name when it is unique in your units"),
    "name": _l("The cadre's name (checked against the ID when both are given)"),
    "year": _l("Assessment year, %(first)s to this year", first=FIRST_YEAR),
    "result": _l("Excellent, Competent, Basically competent or Incompetent (the Chinese names "
                  "优秀、称职、基本称职、不称职 are accepted too)"),
    "unit_code": _l("Unit code (see the Units page)"),
    "gender": _l("Male or female (男 / 女 are accepted too); may be left empty"),
    "birth_date": DATE_HELP,
    "education": _l("High school / technical school, College (3-year), Bachelor, Master or Doctorate (or the Chinese "
                     "names 高中/中专、大学专科、大学本科、硕士研究生、博士研究生); Bachelor when left empty"),
    "rank": _l("Staff member, Deputy section chief, Section chief, Deputy division / county head, Division / county head, "
                "Deputy bureau head or Bureau head (or the Chinese names 科员、副科级、正科级、副处级、正处级、副厅级、正厅级)"),
    "rank_since": DATE_HELP,
    "post_since": DATE_HELP,
    "work_start": DATE_HELP,
    "grassroots_years": _l("A whole number from 0 to 60"),
    "notes": "",
}
