"""A promotion case from nomination to appointment, clicked and typed through Chromium.

Each role signs in with its own account, as the people would; the frozen clock (``travel``)
moves between the steps, so the 5-working-day publicity passes without a real wait.
"""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from models import Cadre, Case, db

from .person import action, case_facts, expect_recorded, expect_state, open_case, sign_in, sign_out, submit

pytestmark = pytest.mark.browser

CHECKS = {
    "personnel_file": "干部人事档案审核 Personnel file reviewed",
    "personal_matters": "个人有关事项报告核查 Personal-matters report verified",
    "complaints": "信访举报核查 Specific complaints investigated",
    "integrity_opinion": "党风廉政意见回复 Integrity opinion received",
}


# --- what a person does -------------------------------------------------------------------

def record_check(page, check, outcome):
    panel = action(page, "record_check")
    panel.locator("#record_check-check").select_option(label=CHECKS[check])
    panel.locator("#record_check-outcome").fill(outcome)
    submit(panel)
    expect_recorded(page, "录入必查事项 Record a mandatory check")
    expect_state(page, "考察 Inspection")
    expect(page.locator(".timeline")).to_contain_text(outcome)


def fill_conclusion(panel, findings):
    for name, value in (("interviews", "28"), ("rating_excellent", "21"), ("rating_competent", "6"),
                        ("rating_basic", "1"), ("rating_incompetent", "0")):
        panel.locator(f"#conclude_inspection-{name}").fill(value)
    panel.locator("#conclude_inspection-findings").fill(findings)
    panel.locator("#conclude_inspection-integrity_conclusion").fill("廉洁自律，未发现问题。")


# --- the test -----------------------------------------------------------------------------

def test_promotion_from_nomination_to_appointment(page, org, travel, snap):
    travel.to(date(2026, 3, 2))  # a Monday
    cadre = org.cadre(name="李明远")  # committed: the server thread sees it
    cadre_id, post_id = cadre.id, org.post_a_plain.id

    # Case officer: a new nomination from the menu.
    sign_in(page, "case_officer")
    page.get_by_role("link", name="新建推荐 New nomination").click()
    expect(page.get_by_role("heading", name="新建干部推荐（晋升） New nomination (promotion)")).to_be_visible()
    page.locator("#cadre_id").select_option(label="李明远 · Bureau A 甲局")
    page.locator("#target_position_id").select_option(label="Bureau A 甲局 · Deputy head 副主任 · 副处级 Deputy division / county head")
    page.locator("#source").select_option(label="组织推荐 Organization nomination")
    page.locator("#work_plan").fill("拟提任甲局副主任，按干部任用条例组织推荐。")
    snap(page, "1-new-nomination")
    page.get_by_role("button", name="创建 Open case").click()

    expect(page.locator(".flash.success")).to_have_text(re.compile(r"^Case P-2026-\d{5} opened\. 案件已创建。$"))
    expect(page.locator(".case-head h1")).to_contain_text("李明远")
    expect_state(page, "推荐提名 Nomination")
    reference = re.search(r"P-2026-\d{5}", page.locator(".case-head h1").inner_text()).group(0)
    expect(case_facts(page)).to_contain_text("Bureau A 甲局 · Deputy head 副主任")

    # Select for inspection, with a team of two.
    panel = action(page, "select_for_inspection")
    expect(panel.locator("#select_for_inspection-notice_on")).to_have_value("2026-03-02")  # today, by the frozen clock
    panel.locator("#select_for_inspection-team").fill("李建国\n赵敏")
    panel.locator("#select_for_inspection-plan").fill("按干部任用条例开展考察。")
    submit(panel)
    expect_recorded(page, "确定考察对象 Select for inspection")
    expect_state(page, "考察 Inspection")
    expect(page.locator(".timeline")).to_contain_text("李建国; 赵敏")
    sign_out(page)

    # Inspector: three of the four mandatory checks.
    travel.to(date(2026, 3, 3))
    sign_in(page, "inspector")
    open_case(page, reference)
    record_check(page, "personnel_file", "档案“三龄两历”审核无误。")
    record_check(page, "personal_matters", "个人有关事项报告核查一致。")
    record_check(page, "complaints", "无信访举报。")

    # Not possible yet: concluding before the integrity opinion. The reason is a sentence shown
    # before anything is typed, and the button is disabled.
    panel = action(page, "conclude_inspection")
    expect(panel.locator("summary")).to_contain_text("暂不可办理 not possible yet")
    expect(panel.locator(".reasons")).to_contain_text(
        "These mandatory checks are not recorded yet: 党风廉政意见回复 Integrity opinion received.")
    expect(panel.locator("form").get_by_role("button")).to_be_disabled()
    expect_state(page, "考察 Inspection")
    snap(page, "2-refused-conclusion")
    sign_out(page)

    # Discipline liaison: the integrity opinion.
    travel.to(date(2026, 3, 4))
    sign_in(page, "discipline_liaison")
    open_case(page, reference)
    record_check(page, "integrity_opinion", "未发现违纪违法问题。")
    sign_out(page)

    # Inspector: now the inspection can be concluded.
    travel.to(date(2026, 3, 5))
    sign_in(page, "inspector")
    open_case(page, reference)
    panel = action(page, "conclude_inspection")
    expect(panel.locator(".reasons")).to_have_count(0)
    fill_conclusion(panel, "政治素质好，工作实绩突出，群众公认度高。")
    submit(panel)
    expect_recorded(page, "完成考察 Conclude inspection")
    expect_state(page, "待讨论决定 Awaiting collective decision")
    sign_out(page)

    # Committee secretary: the collective decision (5 should attend, 4 present, 3 agree: passes).
    travel.to(date(2026, 3, 10))
    sign_in(page, "committee_secretary")
    open_case(page, reference)
    panel = action(page, "record_decision")
    expect(panel.locator("#record_decision-meeting_on")).to_have_value("2026-03-10")
    members = [("张伟", "同意 Agree"), ("王芳", "同意 Agree"), ("李强", "同意 Agree"),
               ("刘洋", "缺席 Absent"), ("陈静", "缺席 Absent")]
    for row, (name, vote) in enumerate(members, start=1):
        panel.get_by_label(f"Member {row}", exact=True).fill(name)
        panel.get_by_label(f"Vote {row}", exact=True).select_option(label=vote)
    # Refused: 3 of 5 present is no quorum. The sentence appears and every typed row stays.
    submit(panel)
    panel = page.locator("#act-record_decision")
    expect(panel.locator(".reasons")).to_contain_text("No quorum: 3 of 5 members who should attend were present")
    expect(panel.get_by_label("Member 5", exact=True)).to_have_value("陈静")
    expect(page.locator(".flash.success")).to_have_count(0)
    expect_state(page, "待讨论决定 Awaiting collective decision")
    panel.get_by_label("Vote 4", exact=True).select_option(label="不同意 Disagree")
    submit(panel)
    expect_recorded(page, "记录集体讨论决定 Record collective decision")
    expect_state(page, "决定通过待公示 Approved, awaiting publicity")
    expect(page.locator(".timeline")).to_contain_text("张伟: 同意 Agree; 王芳: 同意 Agree; 李强: 同意 Agree; "
                                                      "刘洋: 不同意 Disagree; 陈静: 缺席 Absent")
    sign_out(page)

    # Case officer: publicity from Monday 16 March; 5 working days, the first counting, end on Friday 20 March.
    travel.to(date(2026, 3, 16))
    sign_in(page, "case_officer")
    open_case(page, reference)
    panel = action(page, "start_publicity")
    expect(panel.locator("#start_publicity-start_on")).to_have_value("2026-03-16")
    panel.locator("#start_publicity-text").fill("李明远同志拟任甲局副主任，公示期五个工作日。")
    submit(panel)
    expect_recorded(page, "开始任前公示 Start publicity")
    expect_state(page, "任前公示 Publicity")
    expect(case_facts(page)).to_contain_text("2026-03-16 – 2026-03-20")

    # Not possible yet: appointing on the last day of publicity; the sentence says why.
    travel.to(date(2026, 3, 20))
    open_case(page, reference)
    panel = action(page, "appoint")
    expect(panel.locator(".reasons")).to_contain_text(
        "Publicity runs until 2026-03-20; appointment is possible from the next day. 公示期未满。")
    expect(panel.locator("form").get_by_role("button")).to_be_disabled()
    expect_state(page, "任前公示 Publicity")
    snap(page, "3-refused-appointment")

    # After the publicity: the appointment (no probation for this post).
    travel.to(date(2026, 3, 23))  # the Monday after
    open_case(page, reference)
    panel = action(page, "appoint")
    expect(panel.locator(".reasons")).to_have_count(0)
    panel.locator("#appoint-document_no").fill("市委任〔2026〕12号")
    panel.locator("#appoint-effective_on").fill("2026-03-23")
    panel.locator("#appoint-talk_by").fill("王晓梅")
    panel.locator("#appoint-talk_on").fill("2026-03-23")
    submit(panel)
    expect_recorded(page, "任职 Appoint")
    expect_state(page, "已任职 Appointed")
    expect(page.locator("#actions")).to_contain_text("案件已办结。This case is closed.")

    # The timeline lists every step, in order, each by its own person.
    steps = page.locator(".timeline > li")
    expect(steps.locator(".what strong")).to_have_text([
        "发起案件 Case opened",
        "确定考察对象 Select for inspection",
        "录入必查事项 Record a mandatory check",
        "录入必查事项 Record a mandatory check",
        "录入必查事项 Record a mandatory check",
        "录入必查事项 Record a mandatory check",
        "完成考察 Conclude inspection",
        "记录集体讨论决定 Record collective decision",
        "开始任前公示 Start publicity",
        "任职 Appoint",
    ])
    expect(steps.locator(".when")).to_contain_text([
        "case officer", "case officer", "inspector", "inspector", "inspector", "discipline liaison", "inspector",
        "committee secretary", "case officer", "case officer",
    ])
    expect(steps.last).to_contain_text("任前公示 Publicity → 已任职 Appointed")
    expect(steps.last).to_contain_text("市委任〔2026〕12号")
    snap(page, "4-appointed")

    # What the browser did is in the database.
    db.session.rollback()
    case = db.session.get(Case, db.session.query(Case.id).filter_by(cadre_id=cadre_id).scalar())
    assert (case.reference, case.state, case.closed_at is not None) == (reference, "appointed", True)
    cadre = db.session.get(Cadre, cadre_id)
    assert (cadre.position_id, cadre.rank, cadre.rank_since) == (post_id, "division_deputy", date(2026, 3, 23))
