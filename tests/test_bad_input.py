"""Bad input everywhere (issue #8 item 7). For every form — opening a case (both tracks), every
step of both tracks, the cadre form and assessments, the administrator's calendar and units, the
public report / apply / status pages and the intake inbox, the account page and notifications,
the audit filters and export — and for the query strings of the lists:

- oversized text (100,000 characters), wrong types (letters in numbers, numbers out of range,
  negative counts, a superscript digit), dates out of range (0001, 9999, 2026-02-30, garbage),
  invalid Unicode (the raw bytes %ED%A0%80 of a lone surrogate, %FF), NUL and other control
  characters: each answered with 400 or 422 and a message (or, on the pages that answer a post
  with a redirect and a flashed message, that), nothing written (every table's row count, the
  audit events among them), never a 5xx;
- HTML and script typed into every text field are stored as text and shown escaped on every page
  that shows them (case page, record, cadre page, lists, notifications, inbox, audit trail,
  calendar, status page);
- text a spreadsheet would run as a formula is neutralized in CSV and XLSX audit exports.
"""
import csv
import io
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import AuditEvent, Cadre, Case, Submission, db
from workflow import accounts
from workflow.audit_export import FORMULA_START, safe_cell
from workflow.registry import open_fields, workflow_for

from .factories import PASSWORD
from .test_fuzz_door import DEMO_DATA, resolve
from .test_fuzz_views import form_fields, fresh_g


class Raw(str):
    """A value sent exactly as written (already percent-encoded): bytes no valid text encodes to."""


HUGE = "x" * 100_000
NUL = "a\x00b"
BELL = "a\x07b"
SURROGATE = Raw("%ED%A0%80")
NOT_UTF8 = Raw("%FF%FEab")
SCRIPT = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert("
ANY = [HUGE, NUL, BELL, SURROGATE, NOT_UTF8]
BY_KIND = {
    "text": [],
    "int": ["abc", "-5", "99999999999999999999", "1.5", "²", SCRIPT],
    "date": ["0001-01-01", "9999-12-31", "2026-02-30", "garbage", "²"],
    "select": [SCRIPT, "no_such_choice", "²"],
    "bool": [],
    "id": ["abc", "-1", "99999999999999999999", "²", SCRIPT],
}
QUERY_VALUES = ["abc", "-1", "0", "99999999999999999999", "²", "1e9", SCRIPT, "%00", "%ED%A0%80", "%FF", "0001-01-01",
                "9999-12-31", "2026-02-30", "x" * 5000]


# --- the browser -----------------------------------------------------------------------------------

class Browser:
    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.statuses = []

    def _token(self):
        fresh_g()
        page = self.client.get("/login").get_data(as_text=True)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def login(self, user):
        fresh_g()
        response = self.client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": self._token()})
        assert response.status_code == 302, response.status_code
        return self

    def get(self, url):
        fresh_g()
        response = self.client.get(url)
        self.statuses.append((url, response.status_code))
        assert response.status_code < 500, (url, response.status_code)
        return response

    def post(self, url, fields, prefix=None):
        fields = dict(fields)
        fields.setdefault(f"{prefix}-csrf_token" if prefix else "csrf_token", self._token())
        body = "&".join(f"{quote(k)}={v if isinstance(v, Raw) else quote(v, safe='')}" for k, v in fields.items())
        fresh_g()
        response = self.client.post(url, data=body, content_type="application/x-www-form-urlencoded")
        self.statuses.append((url, response.status_code))
        assert response.status_code < 500, (url, response.status_code, response.get_data(as_text=True)[:500])
        return response


@pytest.fixture
def browser(app, org, travel):
    crashes = []
    from flask import got_request_exception

    def crashed(sender, exception, **_):
        crashes.append(repr(exception))

    got_request_exception.connect(crashed, app)
    yield lambda role="case_officer": Browser(app).login(org.users[role])
    got_request_exception.disconnect(crashed, app)
    assert crashes == []


def totals():
    """Rows in every table: nothing may change on a refusal."""
    db.session.rollback()
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def text(response):
    return response.get_data(as_text=True)


def assert_refused(browser, url, fields, prefix=None, flashed=False, what="", stale_ok=False):
    """Answered 400/422 with a message (or a redirect and a flashed error, for the pages that answer
    a post that way), nothing written, and nothing typed reflected unescaped."""
    before = totals()
    response = browser.post(url, fields, prefix)
    page = text(response)
    if flashed and response.status_code in (302, 303):
        page = text(browser.get(response.headers["Location"]))
        assert 'class="flash error"' in page, (url, fields)
    else:
        assert response.status_code in ((400, 409, 422) if stale_ok else (400, 422)), (url, what, response.status_code)
        assert 'class="error"' in page or 'role="alert"' in page or "<h1" in page, page[:500]
    assert SCRIPT not in page
    assert totals() == before, (url, what)
    return response


def attacks(kind):
    return ANY + BY_KIND.get(kind, [])


def attack_form(browser, url, base, kinds, prefix=None, flashed=False, skip=()):
    """Every bad value in every field, the rest of the form valid."""
    for name, kind in kinds.items():
        for value in attacks(kind):
            if (name, value) in skip:
                continue
            key = f"{prefix}-{name}" if prefix else name
            assert_refused(browser, url, {**base, key: value}, prefix, flashed, what=f"{name}={value[:40]!r}")


# --- opening cases ----------------------------------------------------------------------------------

def test_opening_a_promotion_case(org, browser):
    web = browser()
    cadre = org.cadre(name="开案")
    base = {"cadre_id": str(cadre.id), "target_position_id": str(org.post_a.id), "source": "organization",
            "work_plan": "动议。", "evidence": ""}
    attack_form(web, "/cases/new?track=promotion", base, {
        "work_plan": "text", "evidence": "text", "source": "select", "cadre_id": "id", "target_position_id": "id"})
    assert web.post("/cases/new?track=promotion", {**base, "work_plan": SCRIPT}).status_code == 302  # the valid form works


def test_opening_an_adjustment_case(org, travel, browser):
    web = browser()
    cadre = org.cadre(name="开案")
    base = {"cadre_id": str(cadre.id), "trigger_source": "public_clue", "category": "", "content": "推诿扯皮。",
            "reporter_name": "", "reporter_contact": "", "received_on": travel.today.isoformat()}
    kinds = {f.name: ("text" if f.kind in ("text", "textarea") else f.kind) for f in open_fields("adjustment")}
    attack_form(web, "/cases/new?track=adjustment", base, {**kinds, "cadre_id": "id"})
    assert web.post("/cases/new?track=adjustment", base).status_code == 302


# --- every step of both tracks --------------------------------------------------------------------

def _kinds(fields):
    out = {}
    for f in fields:
        kind = {"textarea": "text", "lines": "text", "objection": "id", "position": "id", "votes": "votes"}.get(f.kind, f.kind)
        if kind != "votes":
            out[f.name] = kind
    return out


def _steps():
    """(track, trigger, a state the trigger starts from that the demo paths reach)."""
    from demo.paths import ADJUSTMENT_PATHS, PATHS

    out = []
    for track, paths in (("promotion", PATHS), ("adjustment", ADJUSTMENT_PATHS)):
        workflow = workflow_for(track)
        for trigger in workflow.triggers():
            sources = [s for s in paths if workflow.candidates(s, trigger)]
            out.append(pytest.param(track, trigger, sources[0] if sources else None, id=f"{track}-{trigger}"))
    return out


def _role(track, trigger):
    roles = {r for t in workflow_for(track).transitions if t.trigger == trigger for r in t.roles}
    return "case_officer" if "case_officer" in roles else sorted(roles)[0]


@pytest.mark.parametrize(("track", "trigger", "state"), _steps())
def test_every_step_refuses_bad_values(org, travel, browser, track, trigger, state):
    if state is None:
        pytest.skip(f"no demo path reaches a state where {trigger} starts")
    case = org.case_in(state) if track == "promotion" else org.adjustment_in(state)
    role = "discipline_liaison" if (trigger, state) == ("record_check", "inspection") else _role(track, trigger)
    web = browser(role)
    fields = workflow_for(track).fields_for(trigger)
    data = resolve(DEMO_DATA[trigger][0](travel.today), case, {"positions": [org.post_a_section.id], "objections": []})
    if trigger == "record_check":
        data = {"check": "integrity_opinion", "outcome": "未发现问题。"}
    body = form_fields(trigger, fields, data, trigger)
    db.session.expire_all()
    body[f"{trigger}-version"] = str(db.session.get(Case, case.id).version)
    url = f"/cases/{case.id}/act/{trigger}"
    kinds = _kinds(fields)
    # Vote rows too: a member's name and a vote.
    if any(f.kind == "votes" for f in fields):
        kinds.update({"votes-0-name": "text", "votes-0-vote": "select"})
    for name, kind in kinds.items():
        for value in attacks(kind):
            assert_refused(web, url, {**body, f"{trigger}-{name}": value}, trigger, what=f"{name}={value[:40]!r}")
    for value in ["abc", "99999999999999999999", SCRIPT, NUL, HUGE]:
        assert_refused(web, url, {**body, f"{trigger}-version": value}, trigger, stale_ok=True, what=f"version={value[:20]!r}")


# --- cadres ---------------------------------------------------------------------------------------

CADRE_KINDS = {"name": "text", "gender": "select", "birth_date": "date", "education": "select", "unit_id": "id",
               "position_id": "id", "rank": "select", "rank_since": "date", "post_since": "date", "work_start": "date",
               "grassroots_years": "int", "last_promotion_on": "date", "probation_until": "date", "notes": "text"}


def cadre_form(org, **changes):
    return {"name": "王小明", "gender": "male", "birth_date": "1980-05-01", "education": "bachelor", "unit_id": str(org.unit_a.id),
            "position_id": "", "rank": "section_chief", "rank_since": "2019-01-01", "post_since": "", "work_start": "2003-07-01",
            "grassroots_years": "3", "last_promotion_on": "", "probation_until": "", "notes": "", **changes}


def test_creating_and_editing_a_cadre(org, browser):
    web = browser()
    attack_form(web, "/cadres/new", cadre_form(org), CADRE_KINDS)
    cadre = org.cadre(name="编辑")
    db.session.expire_all()
    base = cadre_form(org, version=str(db.session.get(Cadre, cadre.id).version))
    attack_form(web, f"/cadres/{cadre.id}/edit", base, CADRE_KINDS)
    for value in ["abc", SCRIPT, NUL, HUGE]:
        assert_refused(web, f"/cadres/{cadre.id}/edit", {**base, "version": value}, stale_ok=True, what=f"version={value[:20]!r}")
    assert web.post("/cadres/new", cadre_form(org, name="合法")).status_code == 302


def test_recording_an_assessment(org, browser):
    web = browser()
    cadre = org.cadre(name="考核")
    attack_form(web, f"/cadres/{cadre.id}/assessments", {"year": "2025", "result": "competent"},
                {"year": "int", "result": "select"}, flashed=True)


# --- administrator pages ----------------------------------------------------------------------------

def test_calendar_and_units(org, browser):
    web = browser("administrator")
    attack_form(web, "/admin/calendar", {"day-day": "2027-01-02", "day-kind": "holiday", "day-name": "元旦"},
                {"day": "date", "kind": "select", "name": "text"}, prefix="day")
    attack_form(web, "/admin/calendar", {"year-year": "2027", "year-note": "已录入"}, {"year": "int", "note": "text"}, prefix="year")
    for day in ["0001-01-01", "9999-12-31", "2026-02-30", "garbage", "²", Raw("%00"), Raw("%ED%A0%80")]:
        before = totals()
        response = web.post(f"/admin/calendar/{day}/delete", {})
        assert response.status_code in (302, 400, 404), (day, response.status_code)
        assert totals() == before
    base = {"unit_id": str(org.unit_a.id), "supervisor_id": str(org.users["case_officer"].id)}
    for name in ("unit_id", "supervisor_id"):
        for value in attacks("id"):
            before = totals()
            response = web.post("/admin/units", {**base, name: value})
            assert response.status_code in (302, 400, 404, 422), (name, value[:40], response.status_code)
            assert totals() == before, (name, value[:40])


# --- outside the office: report, apply, status; the inbox ---------------------------------------------

def test_public_report_and_apply(org, app, travel):
    web = Browser(app)
    report = {"unit_id": str(org.unit_a.id), "cadre_name": "张三", "category": "no_initiative", "content": "长期不在岗。",
              "reporter_name": "", "reporter_contact": ""}
    attack_form(web, "/report", report, {"unit_id": "id", "cadre_name": "text", "category": "select", "content": "text",
                                         "reporter_name": "text", "reporter_contact": "text"})
    apply = {"unit_id": str(org.unit_a.id), "cadre_name": "张三", "content": "自荐。", "reporter_contact": "13800000000"}
    attack_form(web, "/apply", apply, {"unit_id": "id", "cadre_name": "text", "content": "text", "reporter_contact": "text"})
    for value in QUERY_VALUES:
        for page in ("/report/status?code=", "/report/received?code="):
            before = totals()
            response = web.get(page + (value if value.startswith("%") else quote(value)))
            assert response.status_code in (200, 400, 404), (page, value[:40])
            assert SCRIPT not in text(response)
            assert totals() == before


def test_the_intake_inbox(org, app, travel, browser):
    outside = Browser(app)
    assert outside.post("/report", {"unit_id": str(org.unit_a.id), "cadre_name": "张三", "category": "no_initiative",
                                    "content": "反映。", "reporter_name": "李四", "reporter_contact": "13900000000"}).status_code == 303
    submission = db.session.scalars(select(Submission)).one()
    web = browser()
    sid = submission.id
    for name, action in ((f"s{sid}-cadre_id", "accept"), (f"s{sid}-position_id", "accept")):
        for value in attacks("id"):
            assert_refused(web, f"/intake/{sid}/{action}", {name: value}, flashed=True)
    for name, action in ((f"d{sid}-reason", "dismiss"), (f"f{sid}-feedback", "feedback")):
        for value in ANY:
            assert_refused(web, f"/intake/{sid}/{action}", {name: value}, flashed=True)
    for value in ["²", "abc", Raw("%00")]:
        before = totals()
        assert web.post(f"/intake/{value}/accept", {}).status_code in (400, 404)
        assert totals() == before


# --- the account, notifications --------------------------------------------------------------------

def test_account_and_notifications(org, browser):
    web = browser()
    for value in [*ANY, "not-an-address", "a b@c.d"]:
        assert_refused(web, "/account", {"email": value, "email_reminders": "on"})
    assert "That is not an e-mail address." in text(assert_refused(web, "/account", {"email": "a b@c.d"}))
    web.client.set_cookie("lang", "zh")
    assert "这不是有效的电子邮箱地址。" in text(assert_refused(web, "/account", {"email": "a b@c.d"}))
    web.client.set_cookie("lang", "en")
    for name, value in [("id", "²"), ("id", "99999999999999999999"), ("id", NUL), ("next", NUL), ("next", SURROGATE)]:
        before = totals()
        response = web.post("/notifications/read", {name: value})
        assert response.status_code in (302, 400), (name, value[:40], response.status_code)
        assert totals() == before
    response = web.post("/notifications/read", {"next": "https://evil.example/"})
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]


# --- the audit pages -------------------------------------------------------------------------------

AUDIT_FILTERS = {"since": "date", "until": "date", "unit": "select", "case": "int", "cadre": "int", "actor": "text", "kind": "select"}


def test_audit_filters_and_export(org, browser):
    web = browser("auditor")
    for name, kind in AUDIT_FILTERS.items():
        for value in attacks(kind):
            before = totals()
            shown = value if isinstance(value, Raw) else quote(value)
            response = web.get(f"/audit?{name}={shown}")
            assert response.status_code in (400, 422), (name, value[:40], response.status_code)
            assert 'class="error"' in text(response) or response.status_code == 400
            assert SCRIPT not in text(response)
            assert totals() == before, (name, value[:40])
            assert_refused(web, "/audit/export", {"format": "csv", name: value})
    assert_refused(web, "/audit/export", {"format": "exe"})
    for name in ["../../etc/passwd", "audit-x.csv", Raw("audit-%00.csv"), "²"]:
        assert web.get(f"/audit/exports/{name}").status_code in (400, 404)


# --- query strings of the lists ----------------------------------------------------------------------

LISTS = ["/cases", "/cadres", "/intake", "/notifications", "/deadlines", "/dashboard", "/cases/new"]
PARAMS = ["page", "sort", "q", "track", "state", "unit", "status", "unread", "cadre", "reuse"]


@pytest.mark.parametrize("role", ["case_officer", "auditor"])
def test_query_strings_of_the_lists(org, browser, role):
    web = browser(role)
    org.case_in("inspection")
    before = totals()
    for url in LISTS:
        for param in PARAMS:
            for value in QUERY_VALUES:
                shown = value if value.startswith("%") else quote(value)
                response = web.get(f"{url}?{param}={shown}")
                assert response.status_code in (200, 400, 403, 404, 422), (url, param, value[:40], response.status_code)
                assert SCRIPT not in text(response), (url, param)
    assert totals() == before


# --- markup is escaped wherever it is shown ---------------------------------------------------------

def test_markup_typed_anywhere_is_shown_escaped_everywhere(org, app, travel, browser):
    web = browser()
    # A cadre named and described with markup, through the cadre form.
    assert web.post("/cadres/new", cadre_form(org, name=SCRIPT[:60], notes=SCRIPT)).status_code == 302
    cadre = db.session.scalars(select(Cadre).where(Cadre.name == SCRIPT[:60])).one()
    # A case with markup in its opening and in a step; an objection with markup.
    assert web.post("/cases/new?track=promotion", {"cadre_id": str(cadre.id), "target_position_id": str(org.post_a.id),
                                                   "source": "organization", "work_plan": SCRIPT, "evidence": ""}).status_code == 302
    case = db.session.scalars(select(Case).where(Case.cadre_id == cadre.id)).one()
    body = {"put_on_hold-reason": SCRIPT, "put_on_hold-clue_ref": SCRIPT[:60], "put_on_hold-version": str(case.version)}
    assert web.post(f"/cases/{case.id}/act/put_on_hold", body, "put_on_hold").status_code == 302
    # A public report with markup everywhere; an officer's dismissal reason with markup.
    outside = Browser(app)
    assert outside.post("/report", {"unit_id": str(org.unit_a.id), "cadre_name": SCRIPT[:60], "category": "no_initiative",
                                    "content": SCRIPT, "reporter_name": SCRIPT[:60], "reporter_contact": SCRIPT[:60]}).status_code == 303
    code = db.session.scalars(select(Submission.receipt_code)).one()
    # A stale case of this cadre reminds its opener: the reminder's message carries the cadre's name.
    travel.days(70)  # beyond the hold's step limit
    from workflow.reminders import run_once

    assert run_once(db.session).sent > 0
    # The administrator's calendar with markup in a holiday's name.
    admin = browser("administrator")
    assert admin.post("/admin/calendar", {"day-day": "2027-01-02", "day-kind": "holiday", "day-name": SCRIPT[:60]},
                      "day").status_code == 302
    pages = [(web, f"/cases/{case.id}"), (web, f"/cases/{case.id}/record"), (web, f"/cadres/{cadre.id}"),
             (web, "/cases"), (web, "/cases?q=" + quote(SCRIPT[:20])), (web, "/cadres"), (web, "/cadres?q=" + quote("<script>")),
             (web, "/notifications"), (web, "/deadlines"), (web, "/intake"), (web, f"/report/status?code={code}"),
             (web, f"/cadres/{cadre.id}/edit"), (web, "/dashboard"),
             (admin, "/admin/calendar"), (browser("auditor"), "/audit"), (browser("auditor"), "/audit?actor=" + quote(SCRIPT[:50]))]
    for client, url in pages:
        page = text(client.get(url))
        assert "<script>alert" not in page and "<img src=x" not in page, url
    for client, url in pages[:4] + [pages[7], pages[9], pages[13], pages[14]]:
        assert ESCAPED in text(client.get(url)), url


# --- exports neutralize spreadsheet formulas ----------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def test_safe_cell_neutralizes_every_formula_start():
    for value in FORMULAS:
        assert safe_cell(value).startswith("'") and safe_cell(value)[1:] == value
    assert safe_cell("plain") == "plain" and safe_cell(5) == 5 and safe_cell(None) is None
    assert set(FORMULA_START) == {"=", "+", "-", "@", "\t", "\r"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_neutralize_formulas_typed_into_forms(org, app, travel, browser, fmt, tmp_path):
    """Text typed into forms lands in exported cells; a user whose name starts with '=' changes
    their e-mail through the account form, so the event's summary (and actor) cells start with it."""
    evil = accounts.create_user(db.session, '=cmd|"/C calc"!A0', PASSWORD, "case_officer", ["R"])
    db.session.commit()
    web = Browser(app).login(evil)
    assert web.post("/account", {"email": "evil@example.org", "email_reminders": "on"}).status_code == 302
    officer = browser()
    for formula in FORMULAS[:4]:
        assert officer.post("/cadres/new", cadre_form(org, name=formula, notes=formula)).status_code == 302
    auditor = browser("auditor")
    response = auditor.post("/audit/export", {"format": fmt})
    assert response.status_code == 200, text(response)[:500]
    name = re.search(r"/audit/exports/([^\"']+\." + fmt + ")", text(response)).group(1)
    data = auditor.get(f"/audit/exports/{name}").data
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        cells = [c for row in rows[1:] for c in row]
    else:
        path = tmp_path / "export.xlsx"
        path.write_bytes(data)
        sheet = load_workbook(path).active
        cells = []
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", cell.value  # never a formula
                cells.append(cell.value if isinstance(cell.value, str) else "")
    assert any(c.lstrip("'").startswith("=cmd") for c in cells), "the test did put a formula at the start of a cell"
    risky = [c for c in cells if c and c.startswith(FORMULA_START)]
    assert risky == [], risky[:5]
    assert all(c.startswith("'=") or c.startswith("'+") or c.startswith("'-") or c.startswith("'@") or c.startswith("'\t")
               or c.startswith("'\r") or not c.startswith("'") for c in cells)


def test_an_xlsx_export_survives_control_characters_stored_by_other_means(org, tmp_path):
    """Pages refuse control characters, but an event may carry one from elsewhere (a command, an
    import): the XLSX export shows it as U+FFFD instead of failing; CSV and JSON Lines keep it."""
    from workflow import audit, audit_export, clock

    audit.append(db.session, kind="cadre.updated", actor=None, at=clock.now(), summary="=bell\x07 and \x1b[31m",
                 after={"name": "a\x07b"})
    db.session.commit()
    path = tmp_path / "x.xlsx"
    rows, _ = audit_export.write(db.session, "xlsx", str(path), audit_export.Filters())
    cells = [c.value for row in load_workbook(path).active.iter_rows(min_row=2) for c in row]
    assert "'=bell\ufffd and \ufffd[31m" in cells
    assert rows == db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_bulk_actions_with_junk(org, browser):
    """The bulk pages (case list actions, assessments table): junk ids, counts and texts change nothing."""
    web = browser()
    case = org.case_in("nomination")
    cadre = org.cadre(name="批量")
    before = totals()
    posts = [("/bulk/cases", {"pick": value, "action": "assign"}) for value in ["²", "1:²", "99999999999999999999", SCRIPT]]
    posts += [("/bulk/assign", {"pick": f"{case.id}:{case.version}", "officer_id": value}) for value in attacks("id")]
    posts += [("/bulk/assign", {"pick": value, "officer_id": str(org.users["case_officer"].id)}) for value in attacks("id")]
    posts += [("/bulk/assessments", {"rows-0-cadre": value, "rows-0-year": "2025", "rows-0-result": "competent"}) for value in attacks("id")]
    posts += [("/bulk/assessments", {"rows-0-cadre": str(cadre.id), "rows-0-year": value, "rows-0-result": "competent"})
              for value in attacks("int")]
    posts += [("/bulk/assessments", {"rows-0-cadre": str(cadre.id), "rows-0-year": "2025", "rows-0-result": value})
              for value in attacks("select")]
    for url, fields in posts:
        response = web.post(url, fields)
        assert response.status_code in (200, 303, 400, 404, 422), (url, response.status_code)
        assert SCRIPT not in text(response)
        assert totals() == before, (url, {k: v[:40] for k, v in fields.items()})
    for value in ["²", "-1", "99999999999999999999", SCRIPT]:
        assert web.get(f"/bulk/assessments?rows={quote(value)}").status_code == 200


@pytest.mark.parametrize("bad", ["坏\x00名", "坏\x07名", "备注\x1b[31m"])
def test_an_import_with_unstorable_characters_is_refused_whole(org, app, browser, bad):
    """A NUL past the first 4 KB (it reached PostgreSQL and failed there) or a control character in
    any cell: the upload is refused with the row and column named, nothing written."""
    import io

    web = browser()
    header = ",".join(["姓名 name", "单位代码 unit_code", "性别 gender", "出生日期 birth_date", "学历 education", "职级 rank",
                       "任现职级时间 rank_since", "任现职时间 post_since", "参加工作时间 work_start",
                       "基层工作年限 grassroots_years", "备注 notes"]) + "\n"
    filler = "".join(f"填充{i},A,male,1980-01-01,bachelor,section_chief,2019-01-01,,2003-07-01,3,{'n' * 40}\n" for i in range(80))
    body = (header + filler + f"{bad},A,male,1980-01-01,bachelor,section_chief,2019-01-01,,2003-07-01,3,备注\n").encode()
    assert body.index(bad.encode()) > 4096
    before = totals()
    token = web._token()
    fresh_g()
    response = web.client.post("/imports/cadres", data={"csrf_token": token, "file": (io.BytesIO(body), "cadres.csv")},
                               content_type="multipart/form-data")
    assert response.status_code in (400, 422), response.status_code
    assert "Row 82" in text(response)
    web.client.set_cookie("lang", "zh")  # the same refusal for a Chinese reader names the row in Chinese
    token = web._token()
    fresh_g()
    response = web.client.post("/imports/cadres", data={"csrf_token": token, "file": (io.BytesIO(body), "cadres.csv")},
                               content_type="multipart/form-data")
    assert response.status_code in (400, 422) and re.search(r"第\s*82\s*行", text(response)), response.status_code
    assert totals() == before


# --- the request guard: unstorable characters, in the reader's language ---------------------------

GUARD_EN = ("The request contains a character that cannot be stored (a NUL byte, another control character or text "
            "that is not valid UTF-8)")
GUARD_ZH = "含有无法保存的字符（空字符、其他控制字符或不是有效 UTF-8 编码的文本），本次未保存任何内容。请删除该字符后重试。"


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", {"/cases?q=%00": " in the address, field 'q'. Nothing was saved. Remove it and try again.",
            "/cases?q=%FF": " in the address. Nothing was saved.",
            "/cadres/new": " in the form, field 'notes'. Nothing was saved. Remove it and try again.",
            "/cadres/new bytes": " in the form. Nothing was saved."}),
    ("zh", {"/cases?q=%00": "请求的网址中，参数“q”" + GUARD_ZH,
            "/cases?q=%FF": "请求的网址中" + GUARD_ZH,
            "/cadres/new": "提交的表单中，字段“notes”" + GUARD_ZH,
            "/cadres/new bytes": "提交的表单中" + GUARD_ZH}),
])
def test_the_guard_says_where_the_character_is_in_the_readers_language(org, app, browser, lang, expected):
    web = browser()
    web.client.set_cookie("lang", lang)
    before = totals()
    pages = {"/cases?q=%00": web.get("/cases?q=%00"), "/cases?q=%FF": web.get("/cases?q=%FF"),
             "/cadres/new": web.post("/cadres/new", cadre_form(org, notes=NUL)),
             "/cadres/new bytes": web.post("/cadres/new", cadre_form(org, notes=NOT_UTF8))}
    for what, response in pages.items():
        page = text(response).replace("&#39;", "'")
        assert response.status_code == 400, what
        assert expected[what] in page, (what, page[:2000])
        if lang == "en":
            assert GUARD_EN in page and "<h1>The request could not be understood</h1>" in page
        else:
            assert '<html lang="zh-CN">' in page and "<h1>请求无法处理</h1>" in page and "cannot be stored" not in page
    assert totals() == before
