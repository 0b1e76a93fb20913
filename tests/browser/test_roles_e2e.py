"""What the two track tests leave out, in Chromium, in Chinese and in English (``[zh]`` / ``[en]``):
the auditor, the administrator, the case officer's intake inbox and import, the public's
self-recommendation, the language switcher, the keyboard, and the tablet width.
"""
import csv
import hashlib
import io
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from models import AnnualAssessment, AuditEvent, CalendarOverride, Case, Submission, Unit, db
from workflow import accounts, terms

from .person import (
    PASSWORD,
    Reader,
    action,
    card,
    case_facts,
    expect_state,
    main_menu,
    no_horizontal_scroll,
    open_case,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.browser


def heading(page, text):
    return page.get_by_role("heading", name=text, exact=True)


def public_menu(page, r):
    return page.get_by_role("navigation", name=r.t("Public"), exact=True)


# --- auditor ---------------------------------------------------------------------------------

def test_auditor_reads_a_case_its_record_the_filtered_log_an_export_and_the_chain(page, reader, org, travel, snap):
    r = reader
    case = org.case_in("decision")  # nomination → inspection → decision, by three people
    reference = case.reference

    sign_in(page, r, "auditor")
    if r.zh:
        expect(page.locator("header .who")).to_contain_text("审计员")
    open_case(page, r, reference)
    expect_state(page, r, "promotion", "decision")
    expect(page.locator("#actions")).to_contain_text(r.t("Your role has no action at this step."))
    expect(page.locator("#actions details.action")).to_have_count(0)
    steps = page.locator(".timeline > li")
    expect(steps.locator(".what strong")).to_have_text([r.step("promotion", t) for t in (
        "open", "select_for_inspection", "record_check", "record_check", "record_check", "record_check",
        "conclude_inspection")])

    # The printable full-process record, and back.
    page.get_by_role("link", name=r.t("Full-process record (print)"), exact=True).click()
    expect(heading(page, r.t("Full-process record of cadre selection and appointment"))).to_be_visible()
    if r.zh:
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    record = page.locator("section.step")
    expect(record).to_have_count(7)
    expect(record.first.locator("h2")).to_have_text(f"1. {r.step('promotion', 'open')}")
    expect(record.last.locator("h2")).to_have_text(f"7. {r.step('promotion', 'conclude_inspection')}")
    expect(record.last).to_contain_text(r.transition("promotion", "inspection", "decision"))
    snap(page, "1-record")
    page.get_by_role("link", name=re.compile(re.escape(r.t("Back to the case")))).click()
    expect(page.locator(".case-head h1")).to_contain_text(reference)

    # The audit log, filtered to the inspector's steps.
    main_menu(page, r).get_by_role("link", name=r.t("Audit"), exact=True).click()
    expect(heading(page, r.t("Audit trail"))).to_be_visible()
    page.locator("#actor").fill("inspector")
    page.locator("#kind").select_option(label=r.term(_event_kinds(), "case.transition"))
    page.get_by_role("search").get_by_role("button", name=r.t("Filter"), exact=True).click()
    rows = page.locator("table.list tbody tr")
    expected = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.kind == "case.transition", AuditEvent.actor_id == org.users["inspector"].id))
    assert expected == 4  # three checks and the conclusion
    expect(rows).to_have_count(expected)
    for i in range(expected):
        expect(rows.nth(i).locator("td").nth(2)).to_have_text("inspector")
        expect(rows.nth(i).locator("td").nth(3)).to_contain_text(r.term(_event_kinds(), "case.transition"))
    snap(page, "2-audit-filtered")

    # Export exactly those rows as CSV, download it, and check it against the page.
    export = page.get_by_role("button", name=r.t("Export with these filters (%(total)s events)", total=expected))
    export.click()
    expect(heading(page, r.t("Export ready"))).to_be_visible()
    checksum = page.locator("dt", has_text=r.t("SHA-256 checksum")).locator("xpath=following-sibling::dd[1]").inner_text().strip()
    link = page.get_by_role("link", name=re.compile(re.escape(r.t("Download %(name)s", name="")) + r"audit-.*\.csv"))
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    data = open(path, "rb").read()
    assert hashlib.sha256(data).hexdigest() == checksum
    lines = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(lines) == expected
    assert {(row["actor"], row["kind"]) for row in lines} == {("inspector", "case.transition")}
    assert all(row["case_id"] == str(case.id) for row in lines)

    # The hash chain: intact, every event counted (the export itself is one).
    main_menu(page, r).get_by_role("link", name=r.t("Audit"), exact=True).click()
    page.get_by_role("link", name=r.t("Verify the chain"), exact=True).click()
    expect(heading(page, r.t("Chain verification"))).to_be_visible()
    db.session.rollback()
    total = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))
    expect(page.locator(".flash.success")).to_have_text(r.t("Intact: all %(count)s events verified.", count=total))
    if r.zh:
        expect(page.locator(".flash.success")).to_contain_text("完整")
    snap(page, "3-chain")


def _event_kinds():
    from workflow.audit import EVENT_KINDS

    return EVENT_KINDS


# --- administrator ---------------------------------------------------------------------------

def test_administrator_calendar_units_permissions_and_bulk_assign(page, reader, org, travel, snap):
    r = reader
    first = org.open_case(cadre=org.cadre(name="周国强"))
    second = org.open_case(cadre=org.cadre(name="吴丽华"), post=org.post_a_plain)
    officer_c = accounts.create_user(db.session, "officer_c", PASSWORD, "case_officer", ["R"], display_name="officer c")
    db.session.commit()
    officer_c_id, unit_a_id, case_officer_id = officer_c.id, org.unit_a.id, org.users["case_officer"].id

    sign_in(page, r, "administrator", landing=None)
    expect(page.locator("header .who")).to_contain_text(r.term(terms.ROLES, "administrator"))

    # Calendar: a make-up workday on a Saturday.
    main_menu(page, r).get_by_role("link", name=r.t("Calendar"), exact=True).click()
    expect(heading(page, r.t("Working-day calendar"))).to_be_visible()
    adding = card(page, r.t("Add an override"))
    adding.get_by_label(r.t("Date"), exact=True).fill("2026-10-10")
    adding.get_by_label(r.t("Kind"), exact=True).select_option(label=r.t("Make-up workday"))
    adding.get_by_label(r.t("Name"), exact=True).fill("国庆节调休上班")
    adding.get_by_role("button", name=r.t("Save"), exact=True).click()
    expect(page.locator(".flash.success")).to_have_text(r.t("Saved."))
    override = card(page, r.t("Overrides")).locator("tbody tr").filter(has_text="国庆节调休上班")
    expect(override).to_contain_text(r.date(date(2026, 10, 10)))
    expect(override).to_contain_text(r.t("Make-up workday"))
    if r.zh:
        expect(override).to_contain_text("2026年10月10日")
    expect(override.get_by_role("button", name=r.t("Remove the override on %(day)s", day=r.date(date(2026, 10, 10))))).to_be_visible()
    snap(page, "1-calendar")

    # Units: Bureau A's supervising officer.
    main_menu(page, r).get_by_role("link", name=r.t("Units"), exact=True).click()
    expect(heading(page, r.t("Units and supervising officers"))).to_be_visible()
    supervisor = page.get_by_label(r.t("Supervising officer of %(unit)s", unit="Bureau A 甲局"), exact=True)
    supervisor.select_option(label="officer c (officer_c)")
    page.locator("tr", has=supervisor).get_by_role("button", name=r.t("Save"), exact=True).click()
    expect(page.locator(".flash.success")).to_have_text(
        r.t("Saved the supervising officer of %(unit)s.", unit="Bureau A 甲局"))
    expect(page.get_by_label(r.t("Supervising officer of %(unit)s", unit="Bureau A 甲局"), exact=True)).to_have_value(str(officer_c_id))

    # Permissions: the matrix names every role in the reader's language.
    main_menu(page, r).get_by_role("link", name=r.t("Permissions"), exact=True).click()
    expect(heading(page, r.t("Permission matrix"))).to_be_visible()
    header = page.locator("#pages table thead")
    for role in ("case_officer", "inspector", "discipline_liaison", "committee_secretary", "auditor", "administrator"):
        expect(header).to_contain_text(r.term(terms.ROLES, role))
    expect(page.locator('[id="ep-audit.events"]')).to_contain_text("audit.events")
    if r.zh:
        expect(header).to_contain_text("系统管理员")

    # Bulk work from the case list: both cases to officer c.
    main_menu(page, r).get_by_role("link", name=r.t("Cases"), exact=True).click()
    expect(heading(page, r.t("Cases"))).to_be_visible()
    for reference in (first.reference, second.reference):
        page.get_by_label(r.t("Choose %(reference)s", reference=reference), exact=True).check()
    page.locator("#bulk select[name=action]").select_option(label=r.t("Assign an officer"))
    page.locator("#bulk").get_by_role("button", name=r.t("Continue"), exact=True).click()
    expect(heading(page, r.t("Bulk work: %(action)s", action=r.t("Assign an officer")))).to_be_visible()
    expect(page.locator("#chosen tbody tr")).to_have_count(2)
    page.get_by_label(r.t("Responsible officer"), exact=True).select_option(label="officer c (officer_c)")
    snap(page, "2-bulk-confirm")
    page.get_by_role("button", name=r.t("Assign"), exact=True).click()
    expect(heading(page, r.t("Bulk results: %(action)s", action=r.t("Assign an officer")))).to_be_visible()
    expect(page.locator("#bulk-summary")).to_have_text(r.t("%(done)s done, %(refused)s refused.", done=2, refused=0))
    results = page.locator("#bulk-results tbody tr")
    expect(results).to_have_count(2)
    for i in range(2):
        expect(results.nth(i)).to_have_attribute("data-done", "yes")
        expect(results.nth(i)).to_contain_text(r.t("Responsible officer: %(officer)s", officer="officer c"))
    open_case(page, r, first.reference)
    expect(page.locator("#case-officer")).to_have_text("officer c")

    db.session.rollback()
    assert [db.session.get(Case, c.id).officer_id for c in (first, second)] == [officer_c_id, officer_c_id]
    assert db.session.get(Unit, unit_a_id).supervisor_id == officer_c_id
    day = db.session.scalars(db.select(CalendarOverride).filter_by(day=date(2026, 10, 10))).one()
    assert (day.is_workday, day.name) == (True, "国庆节调休上班")
    assert db.session.get(Case, first.id).opened_by_id == case_officer_id  # the opener stays the opener


# --- case officer: intake inbox (a public self-recommendation) and import -----------------------

def test_public_self_recommendation_accepted_in_the_intake_inbox(page, reader, org, travel, snap):
    r = reader
    travel.to(date(2026, 3, 2))
    cadre = org.cadre(name="孙志刚")
    cadre_id, post_id = cadre.id, org.post_a_plain.id

    # The public: a written self-recommendation, without signing in.
    page.goto("/")
    public_menu(page, r).get_by_role("link", name=r.t("Self-recommendation"), exact=True).click()
    expect(heading(page, r.t("Written self-recommendation"))).to_be_visible()
    if r.zh:
        expect(page.locator("main")).to_contain_text("自我推荐")
    # Submitted empty first: the marked fields, and nothing stored.
    page.get_by_role("button", name=r.t("Submit"), exact=True).click()
    expect(page.locator(".has-error").first).to_be_visible()
    expect(page.locator(".error").first).to_contain_text(r.t("This field is required."))
    page.get_by_label(r.t("Your unit"), exact=True).select_option(label="Bureau A 甲局")
    page.get_by_label(r.t("Your name"), exact=True).fill("孙志刚")
    page.get_by_label(r.t("Why you recommend yourself, with evidence of results"), exact=True).fill(
        "主持完成全市政务服务“一网通办”改造，办件时长缩短一半。")
    page.get_by_label(r.t("Contact"), exact=True).fill("13800000000")
    snap(page, "1-apply")
    page.get_by_role("button", name=r.t("Submit"), exact=True).click()
    expect(heading(page, r.t("Submission received"))).to_be_visible()
    code = page.locator(".receipt strong").inner_text().strip()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{10}", code), code

    # The case officer: the inbox shows it; accepted with a post, it opens a nomination.
    travel.to(date(2026, 3, 3))
    sign_in(page, r, "case_officer")
    main_menu(page, r).get_by_role("link", name=r.t("Intake"), exact=True).click()
    expect(heading(page, r.t("Intake"))).to_be_visible()
    item = page.locator("section.card").filter(has_text=code)
    expect(item.get_by_role("heading")).to_contain_text(r.t("Self-recommendation"))
    expect(item.get_by_role("heading")).to_contain_text(r.t("New"))
    expect(item).to_contain_text("13800000000")
    who = item.get_by_label(r.t("The cadre"), exact=True)
    who.select_option(label=f"孙志刚 · — · {r.term(terms.RANKS, 'section_chief')}")
    item.get_by_label(r.t("Post (self-recommendation)"), exact=True).select_option(label="Bureau A 甲局 · Deputy head 副主任")
    snap(page, "2-inbox")
    item.get_by_role("button", name=r.t("Accept and open a case"), exact=True).click()

    flash = page.locator(".flash.success")
    expect(flash).to_have_text(re.compile(r"P-2026-\d{5}"))
    reference = re.search(r"P-2026-\d{5}", flash.inner_text()).group(0)
    expect(flash).to_have_text(r.t("Case %(reference)s opened.", reference=reference))
    expect_state(page, r, "promotion", "nomination")
    expect(case_facts(page, r)).to_contain_text(r.term(terms.NOMINATION_SOURCES, "self"))
    expect(page.locator(".timeline > li").first).to_contain_text(r.t("Written self-recommendation %(code)s.", code=code))

    # The inbox: no longer new; under "Accepted" with its case.
    main_menu(page, r).get_by_role("link", name=r.t("Intake"), exact=True).click()
    expect(page.locator("section.card").filter(has_text=code)).to_have_count(0)
    page.locator("nav.filters").get_by_role("link", name=r.t("Accepted"), exact=True).click()
    accepted = page.locator("section.card").filter(has_text=code)
    expect(accepted.get_by_role("link", name=reference, exact=True)).to_be_visible()

    db.session.rollback()
    submission = db.session.scalars(db.select(Submission).filter_by(receipt_code=code)).one()
    case = db.session.scalars(db.select(Case).filter_by(reference=reference)).one()
    assert (submission.kind, submission.status, submission.case_id, submission.cadre_id) == (
        "self_recommendation", "accepted", case.id, cadre_id)
    assert (case.track, case.source, case.state, case.target_position_id) == ("promotion", "self", "nomination", post_id)


def test_case_officer_imports_assessments_from_a_csv_file(page, reader, org, travel, snap):
    r = reader
    travel.to(date(2026, 3, 2))
    zhou = org.cadre(name="周国强")  # assessed 2023–2025 already
    wu = org.cadre(name="吴丽华")
    zhou_id, wu_id = zhou.id, wu.id
    headers = "干部编号,姓名,年度,考核结果" if r.zh else "Cadre ID,Name,Year,Result"  # either language is read
    rows = [f"{zhou_id},周国强,2022,优秀", f",吴丽华,2022,{'称职' if r.zh else 'Competent'}", f"{zhou_id},周国强,2025,称职"]
    upload = ("\n".join([headers, *rows]) + "\n").encode("utf-8")

    sign_in(page, r, "case_officer")
    main_menu(page, r).get_by_role("link", name=r.t("Import"), exact=True).click()
    expect(heading(page, r.t("Import"))).to_be_visible()
    page.locator("#file-assessments").set_input_files(
        files=[{"name": "assessments.csv", "mimeType": "text/csv", "buffer": upload}])
    page.locator("#import-assessments").get_by_role("button", name=r.t("Upload and check"), exact=True).click()

    # The row report, before anything is written.
    expect(page.locator("#rows-total")).to_have_text("3")
    expect(page.locator("#rows-valid")).to_have_text("2")
    expect(page.locator("#rows-invalid")).to_have_text("1")
    expect(page.locator("#nothing-written")).to_have_text(r.t("Nothing has been written yet."))
    expect(heading(page, r.t("Rows with problems (%(count)s)", count=1))).to_be_visible()
    problem = page.locator("#table-invalid tbody tr")
    expect(problem).to_have_count(1)
    expect(problem).to_have_attribute("data-row", "4")
    expect(problem.locator(".row-errors")).to_have_text(r.t(
        "The %(year)s assessment of %(name)s is already recorded (%(result)s).",
        year=2025, name="周国强", result=r.term(terms.ASSESSMENT, "competent")))
    if r.zh:
        expect(problem.locator(".row-errors")).to_contain_text("称职")
    expect(page.locator("#table-valid tbody tr")).to_have_count(2)
    expect(page.locator("#table-valid thead")).to_contain_text(r.pick("Year", "年度"))
    snap(page, "1-report")
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(AnnualAssessment).filter_by(year=2022)) == 0

    page.get_by_role("button", name=r.t("Import only the %(count)s valid rows", count=2), exact=True).click()
    expect(page.locator("#import-result")).to_have_text(
        r.t("%(written)s row(s) written; %(skipped)s row(s) with problems left out.", written=2, skipped=1))
    expect(page.locator("#rows-left-out")).to_have_text("4")
    snap(page, "2-result")

    db.session.rollback()
    got = db.session.execute(db.select(AnnualAssessment.cadre_id, AnnualAssessment.result).filter_by(year=2022)
                             .order_by(AnnualAssessment.cadre_id)).all()
    assert [tuple(g) for g in got] == sorted([(zhou_id, "excellent"), (wu_id, "competent")])
    assert db.session.scalars(db.select(AnnualAssessment.result).filter_by(cadre_id=zhou_id, year=2025)).one() == "competent"


# --- the language switcher -------------------------------------------------------------------

def test_language_switcher_changes_the_page_and_the_choice_stays_across_sign_in_and_out(page, reader, org):
    r = reader
    other = Reader("en" if r.zh else "zh")
    page.goto("/login")
    expect(heading(page, r.t("Sign in"))).to_be_visible()  # the browser's language
    switcher = page.get_by_role("form", name=r.t("Language"))
    expect(switcher.get_by_role("button", name="中文" if r.zh else "English", exact=True)).to_have_attribute("aria-current", "true")

    switcher.get_by_role("button", name="English" if r.zh else "中文", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(heading(page, other.t("Sign in"))).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if other.zh else "en")
    expect(page.get_by_role("form", name=other.t("Language")).get_by_role(
        "button", name="中文" if other.zh else "English", exact=True)).to_have_attribute("aria-current", "true")

    # Still the chosen language after signing in, on every page, and after signing out.
    sign_in(page, other, "committee_secretary")
    main_menu(page, other).get_by_role("link", name=other.t("Dashboard"), exact=True).click()
    expect(heading(page, other.t("Dashboard"))).to_be_visible()
    sign_out(page, other)
    page.goto("/report")
    expect(heading(page, other.t("Report a cadre's conduct"))).to_be_visible()
    if other.zh:
        expect(heading(page, "反映干部问题")).to_be_visible()

    # And back to the browser's language, on the page it was chosen on.
    page.get_by_role("form", name=other.t("Language")).get_by_role(
        "button", name="中文" if r.zh else "English", exact=True).click()
    expect(page).to_have_url(re.compile(r"/report$"))
    expect(heading(page, r.t("Report a cadre's conduct"))).to_be_visible()


# --- keyboard ----------------------------------------------------------------------------------

def test_keyboard_skip_link_first_and_sign_in_with_keys_only(page, reader, org):
    r = reader
    page.goto("/login")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text(r.t("Skip to content"))
    expect(focused).to_have_attribute("href", "#main")
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    # From <main>, Tab moves on to the form: username, password, then Enter submits.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "username":
            break
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type("inspector")
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("header .who")).to_contain_text(r.term(terms.ROLES, "inspector"))
    expect(heading(page, r.t("Cases"))).to_be_visible()

    # A wrong password, by keyboard too: the message, and the username kept.
    sign_out(page, r)
    page.locator("#username").focus()
    page.keyboard.type("inspector")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong-password")
    page.keyboard.press("Enter")
    expect(heading(page, r.t("Sign in"))).to_be_visible()
    expect(page.locator("#username")).to_have_value("inspector")
    expect(page.locator("header .who")).not_to_contain_text(r.term(terms.ROLES, "inspector"))


# --- tablet width ------------------------------------------------------------------------------

def test_tablet_width_has_no_sideways_scroll(page, reader, org, travel, snap):
    r = reader
    case = org.case_in("publicity")
    org.adjustment_in("handling")
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, r, "case_officer")
    no_horizontal_scroll(page)
    snap(page, "1-cases")
    expect(page.get_by_role("link", name=case.reference, exact=True)).to_be_visible()
    open_case(page, r, case.reference)
    action(page, "record_objection")
    no_horizontal_scroll(page)
    snap(page, "2-case")
    main_menu(page, r).get_by_role("link", name=r.t("Dashboard"), exact=True).click()
    expect(heading(page, r.t("Dashboard"))).to_be_visible()
    no_horizontal_scroll(page)
    snap(page, "3-dashboard")
