"""An adjustment case from a public clue to the follow-up reviews, clicked and typed through Chromium,
in Chinese and in English (``[zh]`` / ``[en]``: the browser's language).

A member of the public reports a cadre without signing in and keeps the receipt code; a case
officer accepts the clue in the intake inbox; the discipline liaison verifies it; the case officer
proposes a transfer from post and hears the cadre; the discipline liaison gives the integrity
opinion (no decision without it); the committee secretary records the decision;
the case officer carries it out, names the helper and records a return visit. The frozen clock
(``travel``) moves between the steps, so no date is faked and nothing sleeps.
"""
import re
from datetime import date, datetime

import pytest
from playwright.sync_api import expect

from models import Cadre, Case, Position, Sanction, Submission, db
from workflow import intake, terms
from workflow.clock import LOCAL_TZ

from .person import action, card, case_facts, expect_recorded, expect_state, main_menu, open_case, sign_in, sign_out, submit

pytestmark = pytest.mark.browser
TRACK = "adjustment"

CADRE = "王建华"
CLUE = "王建华在窗口办理营业执照变更时多次推诿，让群众往返五次仍未办结。"


# --- what a person does -------------------------------------------------------------------

def cadre_facts(page, r):
    return card(page, r.t("Cadre"))


def public_status(page, r):
    facts = page.locator("dl.facts")
    return facts.locator("dt", has_text=r.t("Status")).locator("xpath=following-sibling::dd[1]")


def check_progress(page, r, code, status):
    """The public status page, reached from the public menu, with the code typed in."""
    page.get_by_role("navigation", name=r.t("Public"), exact=True).get_by_role("link", name=r.t("Check progress")).click()
    expect(page.get_by_role("heading", name=r.t("Check progress"))).to_be_visible()
    page.get_by_label(r.t("Receipt code")).fill(code)
    page.get_by_role("button", name=r.t("Look up"), exact=True).click()
    expect(public_status(page, r)).to_have_text(r.term(intake.STATUS, status))


def fill_visit(panel, r, visitors, notes):
    panel.locator("#record_return_visit-visitors").fill(visitors)
    panel.locator("#record_return_visit-rating").select_option(label=r.term(terms.VISIT_RATINGS, "good"))
    panel.locator("#record_return_visit-notes").fill(notes)


# --- the test -----------------------------------------------------------------------------

def test_adjustment_from_public_clue_to_return_visit(page, reader, org, travel, snap):
    r = reader
    travel.to(date(2026, 3, 2))  # a Monday
    # A section chief holding a section post in Bureau A; the adjustment moves him to another one.
    current_post = Position(unit=org.unit_a, title="Licensing section chief 审批科科长", rank="section_chief",
                            probation_applies=False)
    db.session.add(current_post)
    db.session.flush()
    cadre = org.cadre(name=CADRE, position_id=current_post.id, post_since=date(2021, 6, 1))  # committed
    cadre_id, old_post_id, new_post_id = cadre.id, current_post.id, org.post_a_section.id

    # (1) The public, with no login: a clue about the cadre, anonymous.
    page.goto("/")
    expect(page.get_by_role("heading", name=r.t("Sign in"), exact=True)).to_be_visible()
    if r.zh:
        expect(page.get_by_role("heading", name="登录", exact=True)).to_be_visible()
    page.get_by_role("navigation", name=r.t("Public"), exact=True).get_by_role(
        "link", name=r.t("Report a problem"), exact=True).click()
    expect(page.get_by_role("heading", name=r.t("Report a cadre's conduct"))).to_be_visible()
    page.get_by_label(r.t("Unit"), exact=True).select_option(label="Bureau A 甲局")
    page.get_by_label(r.t("Name of the cadre"), exact=True).fill(CADRE)
    page.get_by_label(r.t("Category of the problem"), exact=True).select_option(
        label=r.term(terms.CLUE_CATEGORIES, "passing_the_buck"))
    page.get_by_label(r.t("What happened"), exact=True).fill(CLUE)
    expect(page.get_by_label(r.t("Your name (optional; you may stay anonymous)"), exact=True)).to_have_value("")
    snap(page, "1-public-report")
    page.get_by_role("button", name=r.t("Submit"), exact=True).click()

    expect(page.get_by_role("heading", name=r.t("Submission received"))).to_be_visible()
    code = page.locator(".receipt strong").inner_text().strip()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{10}", code), code
    snap(page, "2-receipt")
    keep_it = r.t('Keep it safe: with it you can <a href="%(url)s">check progress</a>.', url="")
    page.get_by_role("main").get_by_role("link", name=re.search(r">(.+)</a>", keep_it).group(1), exact=True).click()
    expect(page.get_by_label(r.t("Receipt code"))).to_have_value(code)
    expect(page.locator("dl.facts")).to_contain_text(r.term(intake.STATUS, "new"))
    check_progress(page, r, code, "new")  # as someone coming back later would
    if r.zh:
        expect(public_status(page, r)).to_have_text("已收到，等待办理")
    expect(page.locator("dl.facts")).to_contain_text(r.datetime(datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)))

    # (2) Case officer: the intake inbox; the clue becomes an adjustment case for the cadre.
    travel.to(date(2026, 3, 3))
    sign_in(page, r, "case_officer")
    main_menu(page, r).get_by_role("link", name=r.t("Intake"), exact=True).click()
    expect(page.get_by_role("heading", name=r.t("Intake"), exact=True)).to_be_visible()
    clue = page.locator("section.card").filter(has_text=code)
    expect(clue.get_by_role("heading")).to_contain_text(r.t("Public clue"))
    expect(clue).to_contain_text(r.term(terms.CLUE_CATEGORIES, "passing_the_buck"))
    expect(clue).to_contain_text(CLUE)
    expect(clue).to_contain_text(r.t("anonymous"))
    if r.zh:
        expect(clue).to_contain_text("推诿扯皮")
    cadre_select = clue.get_by_label(r.t("The cadre"), exact=True)
    cadre_select.select_option(label=option_label(cadre_select, CADRE))
    snap(page, "3-intake-inbox")
    clue.get_by_role("button", name=r.t("Accept and open a case"), exact=True).click()

    flash = page.locator(".flash.success")
    expect(flash).to_have_text(re.compile(r"A-2026-\d{5}"))
    reference = re.search(r"A-2026-\d{5}", flash.inner_text()).group(0)
    expect(flash).to_have_text(r.t("Case %(reference)s opened.", reference=reference))
    expect(page.locator(".case-head h1")).to_contain_text(CADRE)
    expect(page.locator(".case-head h1")).to_contain_text(reference)
    expect_state(page, r, TRACK, "intake")
    expect(case_facts(page, r)).to_contain_text(r.t("Adjustment"))
    expect(case_facts(page, r)).to_contain_text(r.term(terms.TRIGGER_SOURCES, "public_clue"))
    opened = page.locator(".timeline > li").first
    expect(opened).to_contain_text(r.step(TRACK, "open"))
    expect(opened).to_contain_text(CLUE)
    expect(opened).to_contain_text("2026-03-02")  # received on the day of the report, not of the acceptance
    sign_out(page, r)

    # (3) Discipline liaison: verification, found to be true.
    travel.to(date(2026, 3, 4))
    sign_in(page, r, "discipline_liaison")
    open_case(page, r, reference)
    panel = action(page, "start_verification")
    panel.locator("#start_verification-verifiers").fill("陈纪明\n李建国")
    panel.locator("#start_verification-plan").fill("调阅窗口办件记录，走访办事群众。")
    submit(panel)
    expect_recorded(page, r, TRACK, "start_verification")
    expect_state(page, r, TRACK, "verification")
    expect(page.locator(".timeline")).to_contain_text(r.join(["陈纪明", "李建国"]))

    travel.to(date(2026, 3, 13))
    open_case(page, r, reference)
    panel = action(page, "record_verification")
    panel.locator("#record_verification-findings").fill("经核查，该同志多次推诿群众办件，反映属实。")
    panel.locator("#record_verification-evidence").fill("窗口办件记录\n办事群众走访记录\n本人情况说明")
    panel.locator("#record_verification-conclusion").select_option(label=r.term(terms.VERIFICATION_CONCLUSIONS, "founded"))
    submit(panel)
    expect_recorded(page, r, TRACK, "record_verification")
    expect_state(page, r, TRACK, "handling")
    last = page.locator(".timeline > li").last
    expect(last).to_contain_text(r.transition(TRACK, "verification", "handling"))
    expect(last).to_contain_text(r.join(["窗口办件记录", "办事群众走访记录", "本人情况说明"]))
    expect(last).to_contain_text(r.term(terms.VERIFICATION_CONCLUSIONS, "founded"))
    if r.zh:
        expect(last).to_contain_text("核查 → 研究处理")
    sign_out(page, r)

    # (4) Case officer: propose a transfer from post, then the talk and the cadre's statement.
    travel.to(date(2026, 3, 16))
    sign_in(page, r, "case_officer")
    open_case(page, r, reference)
    panel = action(page, "propose_adjustment")
    panel.locator("#propose_adjustment-method").select_option(label=r.term(terms.ADJUSTMENT_METHODS, "transfer_from_post"))
    panel.locator("#propose_adjustment-reasons").fill("推诿扯皮问题属实，不适宜继续在窗口岗位工作。")
    submit(panel)
    expect_recorded(page, r, TRACK, "propose_adjustment")
    expect_state(page, r, TRACK, "proposal")

    travel.to(date(2026, 3, 18))
    open_case(page, r, reference)
    panel = action(page, "hold_talk")
    expect(panel.locator("#hold_talk-talk_on")).to_have_value("2026-03-18")  # today, by the frozen clock
    panel.locator("#hold_talk-talk_by").fill("王晓梅")
    panel.locator("#hold_talk-statement").fill("本人认识到问题，表示接受组织安排。")
    submit(panel)
    expect_recorded(page, r, TRACK, "hold_talk")
    expect_state(page, r, TRACK, "decision")
    sign_out(page, r)

    # (4b) Discipline liaison: the integrity opinion of the discipline inspection organ.
    travel.to(date(2026, 3, 19))
    sign_in(page, r, "discipline_liaison")
    open_case(page, r, reference)
    panel = action(page, "record_integrity_opinion")
    expect(panel.locator("#record_integrity_opinion-issued_on")).to_have_value("2026-03-19")
    panel.locator("#record_integrity_opinion-opinion").fill("经查，未发现该同志有其他违纪违法问题，对调整意见无异议。")
    submit(panel)
    expect_recorded(page, r, TRACK, "record_integrity_opinion")
    expect_state(page, r, TRACK, "decision")
    sign_out(page, r)

    # (5) Committee secretary: the collective decision (7 should attend, 6 present, 5 agree: passes).
    travel.to(date(2026, 3, 23))
    sign_in(page, r, "committee_secretary")
    open_case(page, r, reference)
    panel = action(page, "record_decision")
    expect(panel.locator("#record_decision-meeting_on")).to_have_value("2026-03-23")
    members = [("张伟", "agree"), ("王芳", "agree"), ("李强", "agree"), ("刘洋", "agree"),
               ("陈静", "agree"), ("杨帆", "disagree"), ("赵磊", "absent")]
    for row, (name, vote) in enumerate(members, start=1):
        panel.get_by_label(r.t("Member %(number)s", number=row), exact=True).fill(name)
        panel.get_by_label(r.t("Vote %(number)s", number=row), exact=True).select_option(label=r.term(terms.VOTES, vote))
    submit(panel)
    expect_recorded(page, r, TRACK, "record_decision")
    expect_state(page, r, TRACK, "reassignment")
    expect(case_facts(page, r)).to_contain_text(r.date(date(2026, 4, 23)))  # carried out within 1 month
    expect(page.locator(".timeline")).to_contain_text(r.join([r.vote("杨帆", "disagree"), r.vote("赵磊", "absent")]))
    sign_out(page, r)

    # (6) Case officer: the adjustment carried out, to another section-chief post, same rank.
    travel.to(date(2026, 3, 30))
    sign_in(page, r, "case_officer")
    open_case(page, r, reference)
    expect(cadre_facts(page, r)).to_contain_text("Bureau A 甲局 · Licensing section chief 审批科科长")
    panel = action(page, "carry_out")
    new_post = panel.locator("#carry_out-new_position")
    new_post.select_option(label=option_label(new_post, "Bureau A 甲局 · Section chief 科长"))
    panel.locator("#carry_out-new_rank").select_option(label=r.term(terms.RANKS, "section_chief"))
    expect(panel.locator("#carry_out-effective_on")).to_have_value("2026-03-30")
    panel.locator("#carry_out-document_no").fill("甲局干〔2026〕8号")
    snap(page, "4-carry-out")
    submit(panel)
    expect_recorded(page, r, TRACK, "carry_out")
    expect_state(page, r, TRACK, "follow_up")
    expect(cadre_facts(page, r)).to_contain_text("Bureau A 甲局 · Section chief 科长")
    # transfer from post: 12 months from the decision
    expect(case_facts(page, r)).to_contain_text(r.t("until %(date)s", date=r.date(date(2027, 3, 23))))
    expect(case_facts(page, r)).to_contain_text(r.t("in force"))
    last = page.locator(".timeline > li").last
    expect(last).to_contain_text(r.transition(TRACK, "reassignment", "follow_up"))
    expect(last).to_contain_text("甲局干〔2026〕8号")

    # (7) The helper, named within the month.
    travel.to(date(2026, 4, 8))
    open_case(page, r, reference)
    panel = action(page, "name_helper")
    panel.locator("#name_helper-helper").fill("李建国")
    expect(panel.locator("#name_helper-named_on")).to_have_value("2026-04-08")
    submit(panel)
    expect_recorded(page, r, TRACK, "name_helper")
    expect_state(page, r, TRACK, "follow_up")

    # Refused: a return visit by one person. The reason is a sentence; the typed input stays.
    travel.to(date(2026, 7, 15))
    open_case(page, r, reference)
    panel = action(page, "record_return_visit")
    fill_visit(panel, r, "李建国", "工作状态明显好转，群众评价较好。")
    submit(panel)
    panel = page.locator("#act-record_return_visit")
    refusal = r.t("A return visit is made by at least %(count)s people.", count=2)
    expect(panel.locator(".reasons li").filter(has_text=refusal)).to_have_text(refusal)
    if r.zh:
        expect(panel.locator(".reasons")).to_contain_text("跟踪回访须由至少2人进行。")
    expect(panel.locator("#record_return_visit-visitors")).to_have_value("李建国")
    expect(panel.locator("#record_return_visit-rating")).to_have_value("good")
    expect(panel.locator("#record_return_visit-notes")).to_have_value("工作状态明显好转，群众评价较好。")
    expect(panel.locator("#record_return_visit-visit_on")).to_have_value("2026-07-15")
    expect(page.locator(".flash.success")).to_have_count(0)
    expect_state(page, r, TRACK, "follow_up")
    snap(page, "5-refused-visit")

    # The second visitor added: the visit is recorded.
    panel.locator("#record_return_visit-visitors").fill("李建国\n陈纪明")
    submit(panel)
    expect_recorded(page, r, TRACK, "record_return_visit")
    expect_state(page, r, TRACK, "follow_up")
    visit = page.locator(".timeline > li").last
    expect(visit.locator(".what strong")).to_have_text(r.step(TRACK, "record_return_visit"))
    expect(visit).to_contain_text("2026-07-15")
    expect(visit).to_contain_text(r.join(["李建国", "陈纪明"]))
    expect(visit).to_contain_text(r.term(terms.VISIT_RATINGS, "good"))
    expect(visit).to_contain_text("工作状态明显好转，群众评价较好。")

    steps = page.locator(".timeline > li")
    expect(steps.locator(".what strong")).to_have_text([r.step(TRACK, trigger) for trigger in (
        "open", "start_verification", "record_verification", "propose_adjustment", "hold_talk",
        "record_integrity_opinion", "record_decision", "carry_out", "name_helper", "record_return_visit")])
    expect(steps.locator(".when")).to_contain_text([
        "case officer", "discipline liaison", "discipline liaison", "case officer", "case officer",
        "discipline liaison", "committee secretary", "case officer", "case officer", "case officer",
    ])
    snap(page, "6-follow-up")
    sign_out(page, r)

    # The public: the receipt code now says the clue is being handled.
    check_progress(page, r, code, "accepted")
    snap(page, "7-status")

    # What the browser did is in the database.
    db.session.rollback()
    case = db.session.scalars(db.select(Case).filter_by(cadre_id=cadre_id, track="adjustment")).one()
    assert (case.reference, case.state, case.source, case.closed_at) == (reference, "follow_up", "public_clue", None)
    assert [rec.trigger for rec in case.records] == [
        "open", "start_verification", "record_verification", "propose_adjustment", "hold_talk", "record_integrity_opinion",
        "record_decision", "carry_out", "name_helper", "record_return_visit"]
    opened_with = case.records[0].data
    assert (opened_with["category"], opened_with["content"], opened_with["received_on"]) == (
        "passing_the_buck", CLUE, "2026-03-02")
    assert not opened_with.get("reporter_name")
    assert case.records[-1].data["visitors"] == ["李建国", "陈纪明"]
    assert case.records[-1].data["rating"] == "good"
    submission = db.session.scalars(db.select(Submission).filter_by(receipt_code=code)).one()
    assert (submission.kind, submission.status, submission.case_id, submission.cadre_id, submission.reporter_name) == (
        "clue", "accepted", case.id, cadre_id, "")
    cadre = db.session.get(Cadre, cadre_id)
    assert (cadre.position_id, cadre.unit_id, cadre.rank, cadre.post_since) == (
        new_post_id, org.unit_a.id, "section_chief", date(2026, 3, 30))
    assert cadre.rank_since == date(2019, 1, 1)  # same rank: its date is kept
    assert case.records[-3].data["previous"]["position_id"] == old_post_id
    sanctions = db.session.scalars(db.select(Sanction).filter_by(cadre_id=cadre_id)).all()
    assert [(s.measure, s.decided_on, s.influence_ends_on, s.case_id) for s in sanctions] == [
        ("transfer_from_post", date(2026, 3, 23), date(2027, 3, 23), case.id)]


def option_label(select, starts_with):
    """The full text of the one option that starts with ``starts_with`` (the label adds the rank)."""
    texts = [t.strip() for t in select.locator("option").all_inner_texts() if t.strip().startswith(starts_with)]
    assert len(texts) == 1, texts
    return texts[0]
