"""A promotion case from nomination to appointment, clicked and typed through Chromium, in Chinese
and in English (``[zh]`` / ``[en]``: the browser's language).

Each role signs in with its own account, as the people would; the frozen clock (``travel``)
moves between the steps, so the 5-working-day publicity passes without a real wait.
"""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from models import Cadre, Case, db
from workflow import terms

from .person import action, case_facts, expect_recorded, expect_state, main_menu, open_case, sign_in, sign_out, submit

pytestmark = pytest.mark.browser
TRACK = "promotion"


# --- what a person does -------------------------------------------------------------------

def record_check(page, r, check, outcome):
    panel = action(page, "record_check")
    panel.locator("#record_check-check").select_option(label=r.term(terms.INSPECTION_CHECKS, check))
    panel.locator("#record_check-outcome").fill(outcome)
    submit(panel)
    expect_recorded(page, r, TRACK, "record_check")
    expect_state(page, r, TRACK, "inspection")
    expect(page.locator(".timeline")).to_contain_text(outcome)


def fill_conclusion(panel, findings):
    for name, value in (("interviews", "28"), ("rating_excellent", "21"), ("rating_competent", "6"),
                        ("rating_basic", "1"), ("rating_incompetent", "0")):
        panel.locator(f"#conclude_inspection-{name}").fill(value)
    panel.locator("#conclude_inspection-findings").fill(findings)
    panel.locator("#conclude_inspection-integrity_conclusion").fill("廉洁自律，未发现问题。")


# --- the test -----------------------------------------------------------------------------

def test_promotion_from_nomination_to_appointment(page, reader, org, travel, snap):
    r = reader
    travel.to(date(2026, 3, 2))  # a Monday
    cadre = org.cadre(name="李明远")  # committed: the server thread sees it
    cadre_id, post_id = cadre.id, org.post_a_plain.id

    # Case officer: a new nomination from the menu.
    sign_in(page, r, "case_officer")
    if r.zh:  # the Chinese itself, not only the catalogue compared with itself
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.get_by_role("heading", name="案件", exact=True)).to_be_visible()
        expect(page.locator("header .who")).to_contain_text("干部工作人员")
    else:
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("header .who")).to_contain_text("Case officer")
    main_menu(page, r).get_by_role("link", name=r.t("New nomination"), exact=True).click()
    expect(page.get_by_role("heading", name=r.t("New nomination (promotion)"))).to_be_visible()
    page.locator("#cadre_id").select_option(label="李明远 · Bureau A 甲局")
    page.locator("#target_position_id").select_option(
        label=f"Bureau A 甲局 · Deputy head 副主任 · {r.term(terms.RANKS, 'division_deputy')}")
    page.locator("#source").select_option(label=r.term(terms.NOMINATION_SOURCES, "organization"))
    page.locator("#work_plan").fill("拟提任甲局副主任，按干部任用条例组织推荐。")
    snap(page, "1-new-nomination")
    page.get_by_role("button", name=r.t("Open case"), exact=True).click()

    flash = page.locator(".flash.success")
    expect(flash).to_have_text(re.compile(r"P-2026-\d{5}"))
    reference = re.search(r"P-2026-\d{5}", flash.inner_text()).group(0)
    expect(flash).to_have_text(r.t("Case %(reference)s opened.", reference=reference))
    expect(page.locator(".case-head h1")).to_contain_text("李明远")
    expect(page.locator(".case-head h1")).to_contain_text(reference)
    expect_state(page, r, TRACK, "nomination")
    if r.zh:
        expect(page.locator(".case-head .state")).to_have_text("推荐提名")
    expect(case_facts(page, r)).to_contain_text("Bureau A 甲局 · Deputy head 副主任")

    # Select for inspection, with a team of two.
    panel = action(page, "select_for_inspection")
    expect(panel.locator("#select_for_inspection-notice_on")).to_have_value("2026-03-02")  # today, by the frozen clock
    panel.locator("#select_for_inspection-team").fill("李建国\n赵敏")
    panel.locator("#select_for_inspection-plan").fill("按干部任用条例开展考察。")
    submit(panel)
    expect_recorded(page, r, TRACK, "select_for_inspection")
    expect_state(page, r, TRACK, "inspection")
    expect(page.locator(".timeline")).to_contain_text(r.join(["李建国", "赵敏"]))
    sign_out(page, r)

    # Inspector: three of the four mandatory checks.
    travel.to(date(2026, 3, 3))
    sign_in(page, r, "inspector")
    open_case(page, r, reference)
    record_check(page, r, "personnel_file", "档案“三龄两历”审核无误。")
    record_check(page, r, "personal_matters", "个人有关事项报告核查一致。")
    record_check(page, r, "complaints", "无信访举报。")

    # Not possible yet: concluding before the integrity opinion. The reason is a sentence shown
    # before anything is typed, and the button is disabled.
    panel = action(page, "conclude_inspection")
    expect(panel.locator("summary")).to_contain_text(r.t("not possible yet"))
    expect(panel.locator(".reasons")).to_contain_text(r.t(
        "These mandatory checks are not recorded yet: %(checks)s.",
        checks=r.term(terms.INSPECTION_CHECKS, "integrity_opinion")))
    if r.zh:
        expect(panel.locator(".reasons")).to_contain_text("党风廉政意见回复")
    expect(panel.locator("form").get_by_role("button")).to_be_disabled()
    expect_state(page, r, TRACK, "inspection")
    snap(page, "2-refused-conclusion")
    sign_out(page, r)

    # Discipline liaison: the integrity opinion.
    travel.to(date(2026, 3, 4))
    sign_in(page, r, "discipline_liaison")
    open_case(page, r, reference)
    record_check(page, r, "integrity_opinion", "未发现违纪违法问题。")
    sign_out(page, r)

    # Inspector: now the inspection can be concluded.
    travel.to(date(2026, 3, 5))
    sign_in(page, r, "inspector")
    open_case(page, r, reference)
    panel = action(page, "conclude_inspection")
    expect(panel.locator(".reasons")).to_have_count(0)
    fill_conclusion(panel, "政治素质好，工作实绩突出，群众公认度高。")
    submit(panel)
    expect_recorded(page, r, TRACK, "conclude_inspection")
    expect_state(page, r, TRACK, "decision")
    sign_out(page, r)

    # Committee secretary: the collective decision (5 should attend, 4 present, 3 agree: passes).
    travel.to(date(2026, 3, 10))
    sign_in(page, r, "committee_secretary")
    open_case(page, r, reference)
    panel = action(page, "record_decision")
    expect(panel.locator("#record_decision-meeting_on")).to_have_value("2026-03-10")
    members = [("张伟", "agree"), ("王芳", "agree"), ("李强", "agree"), ("刘洋", "absent"), ("陈静", "absent")]
    for row, (name, vote) in enumerate(members, start=1):
        panel.get_by_label(r.t("Member %(number)s", number=row), exact=True).fill(name)
        panel.get_by_label(r.t("Vote %(number)s", number=row), exact=True).select_option(label=r.term(terms.VOTES, vote))
    # Refused: 3 of 5 present is no quorum. The sentence appears and every typed row stays.
    submit(panel)
    panel = page.locator("#act-record_decision")
    expect(panel.locator(".reasons")).to_contain_text(r.t(
        "No quorum: %(present)s of %(should_attend)s members who should attend were present; at least %(fraction)s must be.",
        present=3, should_attend=5, fraction="2/3"))
    expect(panel.get_by_label(r.t("Member %(number)s", number=5), exact=True)).to_have_value("陈静")
    expect(page.locator(".flash.success")).to_have_count(0)
    expect_state(page, r, TRACK, "decision")
    panel.get_by_label(r.t("Vote %(number)s", number=4), exact=True).select_option(label=r.term(terms.VOTES, "disagree"))
    submit(panel)
    expect_recorded(page, r, TRACK, "record_decision")
    expect_state(page, r, TRACK, "approved")
    members[3] = ("刘洋", "disagree")
    expect(page.locator(".timeline")).to_contain_text(r.join([r.vote(name, vote) for name, vote in members]))
    sign_out(page, r)

    # Case officer: publicity from Monday 16 March; 5 working days, the first counting, end on Friday 20 March.
    travel.to(date(2026, 3, 16))
    sign_in(page, r, "case_officer")
    open_case(page, r, reference)
    panel = action(page, "start_publicity")
    expect(panel.locator("#start_publicity-start_on")).to_have_value("2026-03-16")
    panel.locator("#start_publicity-text").fill("李明远同志拟任甲局副主任，公示期五个工作日。")
    submit(panel)
    expect_recorded(page, r, TRACK, "start_publicity")
    expect_state(page, r, TRACK, "publicity")
    if r.zh:
        expect(page.locator(".case-head .state")).to_have_text("任前公示")
        expect(case_facts(page, r)).to_contain_text("任前公示2026年3月16日至2026年3月20日")
    expect(case_facts(page, r)).to_contain_text(
        r.t("%(start)s – %(end)s", start=r.date(date(2026, 3, 16)), end=r.date(date(2026, 3, 20))))

    # Not possible yet: appointing on the last day of publicity; the sentence says why.
    travel.to(date(2026, 3, 20))
    open_case(page, r, reference)
    panel = action(page, "appoint")
    expect(panel.locator(".reasons")).to_contain_text(
        r.t("Publicity runs until %(end)s; appointment is possible from the next day.", end="2026-03-20"))
    expect(panel.locator("form").get_by_role("button")).to_be_disabled()
    expect_state(page, r, TRACK, "publicity")
    snap(page, "3-refused-appointment")

    # After the publicity: the appointment (no probation for this post).
    travel.to(date(2026, 3, 23))  # the Monday after
    open_case(page, r, reference)
    panel = action(page, "appoint")
    expect(panel.locator(".reasons")).to_have_count(0)
    panel.locator("#appoint-document_no").fill("市委任〔2026〕12号")
    panel.locator("#appoint-effective_on").fill("2026-03-23")
    panel.locator("#appoint-talk_by").fill("王晓梅")
    panel.locator("#appoint-talk_on").fill("2026-03-23")
    submit(panel)
    expect_recorded(page, r, TRACK, "appoint")
    expect_state(page, r, TRACK, "appointed")
    expect(page.locator("#actions")).to_contain_text(r.t("This case is closed."))

    # The timeline lists every step, in order, each by its own person.
    steps = page.locator(".timeline > li")
    expect(steps.locator(".what strong")).to_have_text([r.step(TRACK, trigger) for trigger in (
        "open", "select_for_inspection", "record_check", "record_check", "record_check", "record_check",
        "conclude_inspection", "record_decision", "start_publicity", "appoint")])
    expect(steps.locator(".when")).to_contain_text([
        "case officer", "case officer", "inspector", "inspector", "inspector", "discipline liaison", "inspector",
        "committee secretary", "case officer", "case officer",
    ])
    expect(steps.last).to_contain_text(r.transition(TRACK, "publicity", "appointed"))
    expect(steps.last).to_contain_text("市委任〔2026〕12号")
    snap(page, "4-appointed")

    # What the browser did is in the database.
    db.session.rollback()
    case = db.session.get(Case, db.session.query(Case.id).filter_by(cadre_id=cadre_id).scalar())
    assert (case.reference, case.state, case.closed_at is not None) == (reference, "appointed", True)
    cadre = db.session.get(Cadre, cadre_id)
    assert (cadre.position_id, cadre.rank, cadre.rank_since) == (post_id, "division_deputy", date(2026, 3, 23))
