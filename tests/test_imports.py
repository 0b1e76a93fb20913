"""Imports of cadres and annual assessments from CSV and XLSX: a row-by-row report before
anything is written, nothing written while a row is invalid unless only the valid rows are
chosen, per-unit access, clear 4xx answers for bad uploads, and the speed of a big file."""
import io
import re
from datetime import date
from html import unescape

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, insert, select

from models import AnnualAssessment, AuditEvent, Cadre, Submission, db
from workflow import imports
from workflow.audit_verify import verify
from workflow.imports import BadUpload, MissingColumns, check_assessments, import_assessments, read_table


def csv_bytes(lines, bom=True, encoding="utf-8"):
    text = "\r\n".join(lines) + "\r\n"
    return (("\ufeff" if bom else "") + text).encode(encoding)


def xlsx_bytes(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def upload(web, kind, data, filename):
    return web.post(f"/imports/{kind}", {"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def report_rows(html, table_id):
    """{row number: [error sentences]} of a report table."""
    match = re.search(rf'<table class="list" id="{table_id}">.*?<tbody>(.*?)</tbody>', html, re.S)
    if not match:
        return {}
    out = {}
    for number, body in re.findall(r'<tr class="[^"]*" data-row="(\d+)">(.*?)</tr>', match.group(1), re.S):
        out[int(number)] = [unescape(re.sub(r"<[^>]+>", "", e)).strip() for e in re.findall(r"<li>(.*?)</li>", body, re.S)]
    return out


def confirm_form(html):
    action = re.search(r'<form method="post" action="(/imports/[a-z]+/[A-Za-z0-9_-]+)"', html).group(1)
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', html).group(1)
    return action, digest


@pytest.fixture
def people(org, travel):
    """Three cadres of unit A without a result for last year, one of unit B."""
    year = travel.today.year - 1
    cadres = [org.cadre(name=n) for n in ("甲一", "甲二", "甲三")]
    b = org.cadre(unit=org.unit_b, name="乙一")
    db.session.execute(AnnualAssessment.__table__.delete().where(AnnualAssessment.year == year))
    db.session.commit()
    return year, cadres, b


# --- reading ---------------------------------------------------------------------------------------

def test_read_csv_with_bom_and_chinese_headers():
    rows = read_table(csv_bytes(["干部编号,姓名,年度,考核结果", "7,张三,2025,称职", "", "8,李四,2024,优秀"]), "考核.csv")
    assert rows == [{"_row": 2, "cadre_id": "7", "name": "张三", "year": "2025", "result": "称职"},
                    {"_row": 4, "cadre_id": "8", "name": "李四", "year": "2024", "result": "优秀"}]


def test_read_csv_without_bom_english_headers_semicolons_and_template_headers():
    rows = read_table(csv_bytes(["Cadre ID;Year;Result;Remarks", "7;2025;competent;x"], bom=False), "a.CSV")
    assert rows == [{"_row": 2, "cadre_id": "7", "year": "2025", "result": "competent", "notes": "x"}]
    template = read_table(imports.template_csv("assessments"), "t.csv")
    assert set(template[0]) == {"_row", "cadre_id", "name", "year", "result"}
    cadres = read_table(imports.template_csv("cadres"), "t.csv")
    assert set(cadres[0]) - {"_row"} == set(imports.CADRE_COLUMNS)
    unknown = read_table(csv_bytes(["年度,考核结果,干部编号,颜色", "2025,称职,1,红"]), "a.csv")
    assert unknown[0]["[颜色]"] == "红"


def test_read_xlsx_with_dates_and_numbers():
    data = xlsx_bytes([["姓名", "单位代码", "出生日期", "职级", "任现职级时间", "参加工作时间", "基层工作年限"],
                       ["王五", "A", date(1985, 5, 1), "正科级", date(2019, 1, 1), date(2008, 7, 1), 3]])
    rows = read_table(data, "干部.xlsx")
    assert rows == [{"_row": 2, "name": "王五", "unit_code": "A", "birth_date": date(1985, 5, 1), "rank": "正科级",
                     "rank_since": date(2019, 1, 1), "work_start": date(2008, 7, 1), "grassroots_years": 3}]
    book = load_workbook(io.BytesIO(imports.template_xlsx("cadres")), read_only=True)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    assert [imports.header_field(h) for h in header] == list(imports.CADRE_COLUMNS)


def test_xlsx_fast_reader_and_openpyxl_agree(monkeypatch):
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "出生日期", "基层工作年限", "备注"])
    sheet.append(["张三", date(1985, 5, 1), 3, "首行"])
    sheet.append([])  # a blank row is skipped, the numbering keeps the sheet's
    sheet.append(["李四", date(1990, 12, 31), 0.0, None])
    sheet["B4"].number_format = 'yyyy"年"m"月"d"日"'  # a Chinese date format
    sheet["A5"] = "王五"
    sheet["D5"] = "=1+1"  # a formula without a cached value reads as nothing
    buffer = io.BytesIO()
    book.save(buffer)
    fast = read_table(buffer.getvalue(), "a.xlsx")
    assert fast == [
        {"_row": 2, "name": "张三", "birth_date": date(1985, 5, 1), "grassroots_years": 3, "notes": "首行"},
        {"_row": 4, "name": "李四", "birth_date": date(1990, 12, 31), "grassroots_years": 0, "notes": ""},
        {"_row": 5, "name": "王五", "birth_date": "", "grassroots_years": "", "notes": ""},
    ]

    def refuse(book):
        raise KeyError("not this layout")

    monkeypatch.setattr(imports, "_XlsxStream", refuse)
    assert read_table(buffer.getvalue(), "a.xlsx") == fast


@pytest.mark.parametrize("data, filename, words", [
    (b"", "a.csv", "empty"),
    (b"   \r\n  ", "a.csv", "empty"),
    ("干部编号,年度,考核结果\r\n1,2025,称职\r\n".encode("gbk"), "a.csv", "UTF-8"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "a.xls", ".xls"),
    (b"PK\x03\x04 not really a zip", "a.xlsx", "cannot be opened"),
    (b"hello", "a.xlsx", "not an Excel workbook"),
    (b"%PDF-1.4 ...", "a.pdf", ".csv (UTF-8) or .xlsx"),
    (b"year,result\r\n", "a.csv", "no data rows"),
    (b"colour,size\r\nred,1\r\n", "a.csv", "no known column"),
    (b"year,year\r\n1,2\r\n", "a.csv", "both"),
    (b"a\x00b,c\r\n", "a.csv", "binary"),
])
def test_unreadable_uploads_are_refused_in_words(data, filename, words):
    with pytest.raises(BadUpload) as caught:
        read_table(data, filename)
    assert words in caught.value.message
    assert caught.value.status == 400


def test_missing_columns_are_named(org):
    with pytest.raises(MissingColumns) as caught:
        check_assessments(db.session, org.users["case_officer"], read_table(csv_bytes(["姓名,年度", "张三,2025"]), "a.csv"))
    assert "考核结果 result" in caught.value.message and caught.value.status == 422
    with pytest.raises(MissingColumns) as caught:
        imports.check_cadres(db.session, org.users["case_officer"], read_table(csv_bytes(["姓名,职级", "张三,正科级"]), "a.csv"))
    assert "单位代码 unit_code" in caught.value.message and "参加工作时间 work_start" in caught.value.message


# --- assessments through the pages ------------------------------------------------------------------

def test_assessments_csv_report_writes_nothing_then_only_valid_rows(web, org, people):
    year, (a1, a2, a3), b = people
    data = csv_bytes([
        "干部编号,姓名,年度,考核结果",
        f"{a1.id},甲一,{year},称职",             # 2: valid
        f"{a2.id},甲二,{year},不称职",           # 3: valid, proposes an adjustment
        f"{a3.id},甲三,{year},很好",             # 4: result not allowed
        f"{a1.id},甲一,{year},优秀",             # 5: duplicate of row 2
        f"{a3.id},甲三,1970,称职",               # 6: year out of range
        f"{a3.id},甲三,{year - 1},称职",         # 7: already recorded (org.cadre records three years)
        "999999,无名,2025,称职",                 # 8: cadre not found
        f"{a3.id},甲二,{year},称职",             # 9: name does not match the id
        f"{a3.id},甲三,二〇二五,称职",           # 10: not a year
        f",甲三,{year},basically competent",     # 11: valid, by name
    ])
    web.login("case_officer")
    before_audit = count(AuditEvent)
    response = upload(web, "assessments", data, "考核结果.csv")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    errors = report_rows(html, "table-invalid")
    assert sorted(errors) == [4, 5, 6, 7, 8, 9, 10]
    assert "not one of the allowed values" in errors[4][0]
    assert "Duplicate: row 2" in errors[5][0]
    assert "out of range" in errors[6][0]
    assert "already recorded" in errors[7][0]
    assert "Cadre 999999 not found" in errors[8][0]
    assert "not 甲二" in errors[9][0]
    assert "is not a year" in errors[10][0]
    assert sorted(report_rows(html, "table-valid")) == [2, 3, 11]
    assert re.search(r'id="rows-valid">3<', html) and re.search(r'id="rows-invalid">7<', html)
    # Nothing is written by the check.
    assert count(AnnualAssessment, AnnualAssessment.year == year) == 0 and count(AuditEvent) == before_audit

    action, digest = confirm_form(html)
    refused = web.post(action, {"digest": digest, "only_valid": "0"})
    assert refused.status_code == 422 and "nothing was written" in refused.get_data(as_text=True)
    assert count(AnnualAssessment, AnnualAssessment.year == year) == 0 and count(AuditEvent) == before_audit

    done = web.post(action, {"digest": digest, "only_valid": "1"})
    assert done.status_code == 200
    page = done.get_data(as_text=True)
    assert re.search(r'id="rows-left-out">4, 5, 6, 7, 8, 9, 10<', page)
    written = db.session.execute(select(AnnualAssessment.cadre_id, AnnualAssessment.result)
                                 .where(AnnualAssessment.year == year).order_by(AnnualAssessment.cadre_id)).all()
    assert [tuple(r) for r in written] == [(a1.id, "competent"), (a2.id, "incompetent"), (a3.id, "basically_competent")]
    per_row = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "cadre.assessment").order_by(AuditEvent.id)).all()
    assert [(e.cadre_id, e.after["row"], e.after["result"]) for e in per_row] == [
        (a1.id, 2, "competent"), (a2.id, 3, "incompetent"), (a3.id, 11, "basically_competent")]
    batch = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "import.assessments")).one()
    assert batch.after["rows_written"] == [2, 3, 11] and batch.after["rows_left_out"] == [4, 5, 6, 7, 8, 9, 10]
    assert batch.after["file"] == "考核结果.csv" and len(batch.after["sha256"]) == 64
    # "Incompetent" proposes an adjustment, as recording it on the cadre's page does.
    proposal = db.session.scalars(select(Submission).where(Submission.kind == "assessment_trigger")).one()
    assert proposal.cadre_id == a2.id and proposal.content == f"Annual assessment {year}: incompetent."
    assert "Adjustments proposed (1)" in page and "They are in the intake inbox" in page
    assert "2 row(s) written" not in page and "3 row(s) written; 7 row(s) with problems left out." in page
    assert verify(db.session).intact
    # The stored upload is gone: confirming again finds nothing.
    assert web.post(action, {"digest": digest, "only_valid": "1"}).status_code == 404


def test_all_valid_xlsx_imports_every_row(web, org, people):
    year, (a1, a2, _a3), _b = people
    data = xlsx_bytes([["干部编号 cadre_id", "年度 year", "考核结果 result"], [a1.id, year, "Excellent"], [a2.id, float(year), "称职"]])
    web.login("case_officer")
    html = upload(web, "assessments", data, "results.xlsx").get_data(as_text=True)
    assert report_rows(html, "table-invalid") == {} and "Import all 2 rows" in html and "All 2 rows are valid." in html
    action, digest = confirm_form(html)
    done = web.post(action, {"digest": digest, "only_valid": "0"})
    assert done.status_code == 200 and "2 row(s) written." in done.get_data(as_text=True)
    assert count(AnnualAssessment, AnnualAssessment.year == year) == 2


def test_the_pages_in_chinese_and_headers_in_either_language(web, org, people):
    """The reader's language changes what is shown, never which headers are recognised."""
    year, (a1, _a2, a3), b = people
    web.login("officer_b")
    web.speak("zh")
    index = web.get("/imports").get_data(as_text=True)
    assert "导入年度考核结果" in index and "表头可用中文或英文" in index and "Import annual" not in index
    assert "干部编号 cadre_id" in index  # the template's headers are data: the same in both languages
    # English headers, read by a Chinese reader.
    data = csv_bytes(["Cadre ID,Year,Result", f"{b.id},{year},Excellent", f"{a1.id},{year},称职", f"{b.id},1970,称职"])
    html = upload(web, "assessments", data, "results.csv").get_data(as_text=True)
    errors = report_rows(html, "table-invalid")
    assert errors[3] == [f"编号为{a1.id}的干部不在您所辖单位。"]
    assert errors[4] == [f"年度1970超出范围（1980–{year + 1}）。"]
    assert "有问题的行（2）" in html and "仅导入这1个有效行" in html and "尚未写入任何数据。" in html
    assert "<th>干部编号</th>" in html and "<th>考核结果</th>" in html  # the report's column headings
    action, digest = confirm_form(html)
    refused = web.post(action, {"digest": digest, "only_valid": "0"}).get_data(as_text=True)
    assert "有2行存在问题，因此未写入任何数据。" in refused
    page = web.post(action, {"digest": digest, "only_valid": "1"}).get_data(as_text=True)
    assert "导入完成：年度考核结果" in page and "已写入1行；2行有问题，未导入。" in page
    batch = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "import.assessments")).one()
    assert batch.summary == "从results.csv导入1条年度考核结果；2个无效行未导入"
    # Chinese headers, read by an English reader.
    web.login("case_officer")
    web.speak("en")
    data = csv_bytes(["干部编号,年度,考核结果", f"{a3.id},{year},优秀"])
    html = upload(web, "assessments", data, "考核.csv").get_data(as_text=True)
    assert list(report_rows(html, "table-valid")) == [2] and "Import the row" in html and "The one row is valid." in html
    assert "<th>Cadre ID</th>" in html and "<th>Result</th>" in html


def test_assessments_of_other_units_and_roles(web, org, people):
    year, (a1, *_), b = people
    data = csv_bytes(["干部编号,年度,考核结果", f"{a1.id},{year},称职", f"{b.id},{year},称职", f",{year},称职"])
    web.login("officer_b")
    html = upload(web, "assessments", data, "a.csv").get_data(as_text=True)
    errors = report_rows(html, "table-invalid")
    assert "not in your units" in errors[2][0]
    assert "cadre is missing" in errors[4][0]
    assert list(report_rows(html, "table-valid")) == [3]
    named = csv_bytes(["姓名,年度,考核结果", f"甲一,{year},称职"])  # a name outside one's units is not found
    assert "No cadre named 甲一 in your units" in upload(web, "assessments", named, "a.csv").get_data(as_text=True)
    web.speak("zh")
    assert "您所辖单位中没有名为甲一的干部。" in upload(web, "assessments", named, "a.csv").get_data(as_text=True)
    web.login("inspector")
    assert web.get("/imports").status_code == 403
    assert upload(web, "assessments", data, "a.csv").status_code == 403
    assert web.get("/imports/assessments/template.csv").status_code == 403
    assert count(AnnualAssessment, AnnualAssessment.year == year) == 0


def test_the_upload_is_tied_to_its_user_and_rechecked_at_confirmation(web, org, people):
    year, (a1, a2, _a3), _b = people
    data = csv_bytes(["干部编号,年度,考核结果", f"{a1.id},{year},称职", f"{a2.id},{year},称职"])
    web.login("case_officer")
    action, digest = confirm_form(upload(web, "assessments", data, "a.csv").get_data(as_text=True))
    # Meanwhile someone records a2's result: the confirmation shows the new report and writes nothing.
    db.session.add(AnnualAssessment(cadre_id=a2.id, year=year, result="excellent"))
    db.session.commit()
    changed = web.post(action, {"digest": digest, "only_valid": "0"})
    assert changed.status_code == 409
    html = changed.get_data(as_text=True)
    assert "already recorded" in report_rows(html, "table-invalid")[3][0]
    assert "The records changed since this file was checked" in html
    assert count(AnnualAssessment, AnnualAssessment.year == year) == 1
    # Another user cannot use the token; a made-up token finds nothing.
    web.login("officer_b")
    assert web.post(action, {"digest": digest, "only_valid": "1"}).status_code == 404
    assert web.post("/imports/assessments/notatoken", {"digest": digest}).status_code == 404
    assert web.post(action.replace("/assessments/", "/cadres/"), {"digest": digest}).status_code == 404


# --- cadres ------------------------------------------------------------------------------------------

def test_cadres_xlsx_report_and_only_valid(web, org, travel):
    org.cadre(name="老干部", birth_date=date(1970, 1, 1))
    header = ["姓名", "单位代码", "性别", "出生日期", "学历", "职级", "任现职级时间", "参加工作时间", "基层工作年限", "备注"]
    data = xlsx_bytes([
        header,
        ["新一", "A", "男", date(1988, 3, 4), "硕士研究生", "副科级", date(2020, 1, 1), date(2012, 7, 1), 2, "调入"],  # 2 valid
        ["新二", "B", "女", "1990-02-03", "", "科员", "2021/05/06", "2013.07.01", "", ""],                        # 3 valid
        ["新三", "ZZ", "男", "1990-02-03", "", "科员", "2021-05-06", "2013-07-01", "", ""],                        # 4 unknown unit
        ["新四", "A", "男", "1990-02-30", "", "科员", "2021-05-06", "2013-07-01", "", ""],                         # 5 bad date
        ["新一", "A", "男", date(1988, 3, 4), "", "科员", "2021-05-06", "2013-07-01", "", ""],                     # 6 duplicate of 2
        ["老干部", "A", "男", "1970-01-01", "", "科员", "2021-05-06", "2013-07-01", "", ""],                       # 7 already recorded
        ["新五", "A", "未知", "1990-02-03", "", "局长", "2021-05-06", "1980-07-01", "99", ""],                     # 8 gender, rank, years, work before birth
        ["", "A", "", "", "", "科员", "", "", "", ""],                                                             # 9 name, dates missing
    ])
    web.login("case_officer")
    before = count(Cadre)
    html = upload(web, "cadres", data, "干部名册.xlsx").get_data(as_text=True)
    errors = report_rows(html, "table-invalid")
    assert sorted(errors) == [4, 5, 6, 7, 8, 9]
    assert "Unknown unit code 'ZZ'" in errors[4][0]
    assert "is not a date" in errors[5][0]
    assert "Duplicate: row 2" in errors[6][0]
    assert "already recorded" in errors[7][0]
    assert len(errors[8]) == 4 and any("Rank '局长'" in e for e in errors[8]) and any("before birth" in e for e in errors[8])
    assert any("name is missing" in e for e in errors[9]) and any("Rank since is missing" in e for e in errors[9])
    assert count(Cadre) == before
    action, digest = confirm_form(html)
    page = web.post(action, {"digest": digest, "only_valid": "1"}).get_data(as_text=True)
    created = db.session.scalars(select(Cadre).where(Cadre.name.in_(("新一", "新二"))).order_by(Cadre.name)).all()
    assert [(c.name, c.unit.code, c.gender, c.education, c.rank, c.work_start) for c in created] == [
        ("新一", "A", "male", "master", "section_deputy", date(2012, 7, 1)),
        ("新二", "B", "female", "bachelor", "staff", date(2013, 7, 1))]
    assert count(Cadre) == before + 2
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "cadre.created").order_by(AuditEvent.id)).all()
    assert [e.cadre_id for e in events] == [c.id for c in sorted(created, key=lambda c: c.id)]
    assert events[0].after["name"] == "新一" and events[0].after["rank"] == "section_deputy"
    assert f'href="/cadres/{created[0].id}"' in page and "Cadres created (2)" in page
    assert events[0].summary == "Cadre 新一 created (import, row 2)"
    assert verify(db.session).intact
    # The new cadres are ordinary records: their pages open, in either language.
    profile = web.get(f"/cadres/{created[0].id}")
    assert profile.status_code == 200 and "Profile" in profile.get_data(as_text=True)
    assert "Master" in profile.get_data(as_text=True) and "Male" in profile.get_data(as_text=True)
    web.speak("zh")
    profile = web.get(f"/cadres/{created[0].id}").get_data(as_text=True)
    assert "基本情况" in profile and "硕士研究生" in profile and "副科级" in profile and "<dd>男</dd>" in profile
    assert "2020年1月1日" in profile  # rank since, as a Chinese date


def test_cadres_only_in_ones_units(web, org, travel):
    data = csv_bytes(["姓名,单位代码,职级,任现职级时间,参加工作时间", "新一,A,科员,2021-05-06,2013-07-01", "新二,B,科员,2021-05-06,2013-07-01"])
    web.login("officer_b")
    html = upload(web, "cadres", data, "a.csv").get_data(as_text=True)
    assert "is not one of your units" in report_rows(html, "table-invalid")[2][0]
    assert list(report_rows(html, "table-valid")) == [3]
    web.speak("zh")
    html = upload(web, "cadres", data, "a.csv").get_data(as_text=True)
    assert report_rows(html, "table-invalid")[2] == ["单位“A”不在您所辖范围内。"]
    assert "导入干部信息：逐行核对" in html


# --- bad uploads in the browser: 4xx with words, never 500 -----------------------------------------

@pytest.mark.parametrize("data, filename, status, words", [
    (b"", "a.csv", 400, "empty"),
    ("干部编号,年度,考核结果\r\n1,2025,称职\r\n".encode("gbk"), "a.csv", 400, "UTF-8"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.xls", 400, ".xls"),
    (b"PK\x03\x04garbage", "a.xlsx", 400, "cannot be opened"),
    (b"%PDF-1.4", "a.pdf", 400, ".xlsx"),
    ("姓名,年度\r\n张三,2025\r\n".encode(), "a.csv", 422, "考核结果 result"),
])
def test_bad_uploads_get_a_clear_4xx(web, org, data, filename, status, words):
    web.login("case_officer")
    response = upload(web, "assessments", data, filename)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)


def test_bad_uploads_are_explained_in_chinese(web, org):
    web.login("case_officer")
    web.speak("zh")
    response = upload(web, "assessments", "干部编号,年度,考核结果\r\n1,2025,称职\r\n".encode("gbk"), "a.csv")
    assert response.status_code == 400 and "文件不是UTF-8编码（第1行有无法识别的字节" in response.get_data(as_text=True)
    response = upload(web, "assessments", "姓名,年度\r\n张三,2025\r\n".encode(), "a.csv")
    assert response.status_code == 422 and "文件缺少以下列：考核结果 result。" in response.get_data(as_text=True)


def test_no_file_too_large_and_no_token(web, org, app):
    web.login("case_officer")
    assert web.post("/imports/assessments", {}).status_code == 400
    app.config["IMPORT_MAX_BYTES"] = 2000
    try:
        response = upload(web, "assessments", b"year,result\r\n" + b"2025,competent\r\n" * 500, "big.csv")
        assert response.status_code == 413
    finally:
        app.config.pop("IMPORT_MAX_BYTES")
    response = web.client.post("/imports/assessments", data={"file": (io.BytesIO(b"year"), "a.csv")},
                               content_type="multipart/form-data")
    assert response.status_code == 400  # no CSRF token
    assert web.post("/imports/unknown", {}).status_code == 404


def test_templates_download(web, org):
    web.login("case_officer")
    response = web.get("/imports/assessments/template.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff干部编号 cadre_id,姓名 name,年度 year,考核结果 result".encode())
    response = web.get("/imports/cadres/template.xlsx")
    assert response.status_code == 200
    rows = read_table(response.data, "template.xlsx")
    assert set(rows[0]) - {"_row"} == set(imports.CADRE_COLUMNS)
    assert web.get("/imports/cadres/template.pdf").status_code == 404
    page = web.get("/imports").get_data(as_text=True)
    assert "/imports/assessments/template.xlsx" in page and 'enctype="multipart/form-data"' in page
    assert "Import annual assessment results" in page and "What it takes" in page
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert [next(sheet.iter_rows(values_only=True)) for sheet in book.worksheets][1] == ("Column", "Required", "What it takes")
    # In Chinese the explanations change; the headers (read in either language) stay as they are.
    english_csv = web.get("/imports/assessments/template.csv").data
    web.speak("zh")
    assert web.get("/imports/assessments/template.csv").data == english_csv
    book = load_workbook(io.BytesIO(web.get("/imports/cadres/template.xlsx").data), read_only=True)
    assert book.sheetnames == ["cadres", "填写说明"]
    notes = list(book.worksheets[1].iter_rows(values_only=True))
    assert notes[0] == ("列", "必填", "填写要求") and ("职级 rank", "是") == notes[6][:2] and "正厅级" in notes[6][2]


# --- speed ----------------------------------------------------------------------------------------------

def test_assessment_import_queries_in_bulk(org, travel):
    """20,000 rows in one file: read, checked and written at well over 5,000 rows a second, with a
    number of queries that does not grow per row."""
    from sqlalchemy import event

    n = 20_000
    unit = org.unit_a
    db.session.execute(insert(Cadre), [dict(name=f"c{i}", unit_id=unit.id, rank="section_chief", rank_since=date(2019, 1, 1),
                                            work_start=date(2008, 7, 1), education="bachelor", gender="", grassroots_years=0,
                                            notes="", version=1, political_discipline_problem=False, canvassing_found=False,
                                            family_emigrated=False) for i in range(n // 4)])
    db.session.commit()
    first = db.session.scalar(select(func.min(Cadre.id)).where(Cadre.name == "c0"))
    year = travel.today.year
    lines = ["干部编号,年度,考核结果"] + [f"{first + i // 4},{year - 1 - i % 4},{('优秀', '称职', '基本称职', '称职')[i % 4]}"
                                         for i in range(n)]
    data = csv_bytes(lines)
    statements = []
    listener = lambda *a, **k: statements.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        report = check_assessments(db.session, org.users["case_officer"], read_table(data, "big.csv"))
        result = import_assessments(db.session, org.users["case_officer"], report)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert report.error_count == 0 and result.written == n
    assert count(AnnualAssessment, AnnualAssessment.cadre_id >= first) == n
    assert len(statements) < 60, len(statements)  # bulk lookups and inserts; the speed itself is in `make bench`
    assert verify(db.session).intact
