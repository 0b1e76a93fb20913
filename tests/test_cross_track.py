"""The rules that join the two tracks, and the adjustment track's own rules, through the one door.

Promotion ↔ adjustment: an open adjustment case or a poor last assessment bars selection for
inspection; an objection referred for verification holds the promotion case and opens a linked
verification, whose clarification releases the hold (in the same transaction); a failed probation
opens a linked adjustment case; an assessment result proposes an adjustment in the intake inbox.

Adjustment: clarification needs consent and may record a malicious false accusation; tolerated
fault tolerance needs a factor and leaves no influence period; an admonishment is tracked for six
months; carrying out a decision moves the cadre and records the measure's influence period; return
visits; expiry evaluation; appeals within 15 days that do not stay the decision.

Every refusal is checked for its exact sentence and for having written nothing. The clock starts on
2026-03-02 (``travel``); the demo paths (demo/paths.py) hold the promotion decision meeting on
2026-03-22 and start publicity on 2026-03-24 (it ends on 2026-03-30); on the adjustment path the
admonishment or proposal is made on 2026-03-17 and the decision meeting is on 2026-03-25.
"""
from contextlib import contextmanager
from datetime import date

import flask_babel
import pytest
from flask import current_app
from sqlalchemy import func, select

from demo.paths import votes
from models import AnnualAssessment, AuditEvent, Case, Position, Sanction, StepRecord, Submission, db
from workflow import audit, cadres, door, intake
from workflow.errors import GuardFailed, InvalidData, Refused
from workflow.influence import combined
from workflow.rules import rules_of

OPEN_ADJUSTMENT = "An adjustment case ({}) is open for this cadre."
CONSENT = "A clarification needs the cadre's consent; without it, close the case instead."
FACTOR = "Tolerance needs at least one recorded factor of the three distinctions or other grounds."
ALREADY_DETERMINED = "Fault tolerance was already determined for this case."
LETTER_NEEDS_EXPLANATION = "A letter inquiry records the cadre's written explanation."
RAISES_RANK = "An adjustment cannot raise the cadre's rank."
DEMOTION_LOWER = "A demotion needs a lower rank."
CHOOSE_POSITION = "Choose the new position."
HELPER_FIRST = "Name the helper first."
TWO_VISITORS = "A return visit is made by at least 2 people."
VISIT_IN_FUTURE = "2026-04-05 is in the future."
APPEAL_OPEN = "An appeal is already open; record its decision first."
NO_OPEN_APPEAL = "There is no open appeal."
APPEAL_BEFORE_DECISION = "An appeal cannot be filed before the decision."
APPEAL_IN_FUTURE = "The filing date is in the future."
APPEAL_CLOSED = "The appeal window closed 2026-04-09 (15 days after the decision)."
# ... and some of the same sentences for a reader who reads Chinese.
IN_CHINESE = {
    CONSENT: "澄清正名须征得干部本人同意；本人不同意的，请改为办结本案。",
    FACTOR: "予以容错，须至少录入一项“三个区分开来”情形或其他认定依据。",
    ALREADY_DETERMINED: "本案已作出容错认定，不能再次申请容错。",
    LETTER_NEEDS_EXPLANATION: "函询须录入干部本人的书面说明。",
    RAISES_RANK: "调整不得提高干部的职级。",
    DEMOTION_LOWER: "降职须降低干部的职级。",
    CHOOSE_POSITION: "请选择新任职务。",
    HELPER_FIRST: "请先明确帮带责任人。",
    TWO_VISITORS: "跟踪回访须由至少2人进行。",
    APPEAL_OPEN: "已有一项申诉待决定，请先记录该申诉的决定。",
    APPEAL_BEFORE_DECISION: "申诉日期不能早于作出决定的日期。",
    APPEAL_IN_FUTURE: "申诉日期不能晚于今天。",
    APPEAL_CLOSED: "申诉期限已于2026-04-09届满（决定后15天内可以申诉）。",
}
MEETING_ON = date(2026, 3, 25)  # the adjustment decision meeting of the demo path


# --- helpers -------------------------------------------------------------------------------------

def _actor(org, who):
    return org.users[who] if isinstance(who, str) else who


def reload(case_id):
    db.session.expire_all()
    return db.session.get(Case, case_id)


def act(org, case, trigger, who, data):
    """Advance through the door; returns the case as reloaded afterwards."""
    outcome = door.advance(case.id, trigger, _actor(org, who), data, session=db.session)
    return reload(outcome.case.id)


def counts():
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Case, StepRecord, AuditEvent, Sanction, Submission))


def snapshot(case_id):
    case = reload(case_id)
    return case.state, case.version, case.held_from, case.linked_case_id, counts()


def refused(org, case, trigger, who, data, kind=GuardFailed):
    """Advance, expecting a refusal of ``kind`` that wrote nothing; returns the exception."""
    before = snapshot(case.id)
    with pytest.raises(Refused) as info:
        door.advance(case.id, trigger, _actor(org, who), data, session=db.session)
    assert type(info.value) is kind, info.value
    assert snapshot(case.id) == before
    return info.value


def today(org):
    return org.travel.today.isoformat()


@contextmanager
def reading_chinese():
    """What follows runs as if for a reader of Chinese (a request whose browser asks for Chinese)."""
    with current_app.test_request_context(headers={"Accept-Language": "zh-CN,zh;q=0.9"}):
        flask_babel.refresh()
        try:
            yield
        finally:
            flask_babel.refresh()


def refused_in_chinese(org, case, trigger, who, data):
    """``refused`` for a reader of Chinese: the reasons come in Chinese (and nothing is written)."""
    with reading_chinese():
        return refused(org, case, trigger, who, data)


def select_data(org):
    return {"team": ["李建国", "赵敏"], "notice_on": today(org), "plan": "考察方案"}


def objection_data(org, refer=True):
    return {"received_on": today(org), "channel": "来信", "content": "反映其分管项目验收存在问题。",
            "substantive": True, "refer": refer}


def verification_data(conclusion="unfounded", **extra):
    return {"findings": "经核查，反映问题不属实。", "evidence": ["工作台账"], "conclusion": conclusion, **extra}


def clarify_data(consent=True, malicious=False):
    return {"method": "letter", "consent": consent, "text": "经核查反映不实，予以澄清正名。", "malicious": malicious}


def last_record(case_id):
    return db.session.scalars(select(StepRecord).where(StepRecord.case_id == case_id).order_by(StepRecord.id.desc())).first()


def sanctions_of(cadre_id):
    db.session.expire_all()
    return db.session.scalars(select(Sanction).where(Sanction.cadre_id == cadre_id).order_by(Sanction.id)).all()


def adjustment_cases_of(cadre_id):
    return db.session.scalars(select(Case).where(Case.cadre_id == cadre_id, Case.track == "adjustment")).all()


# --- promotion barred by the adjustment track --------------------------------------------------------

def test_an_open_adjustment_case_blocks_selection_for_inspection_until_it_closes(org, travel):
    cadre = org.cadre(name="王五")
    promotion = org.open_case(cadre=cadre)
    adjustment = org.open_adjustment(cadre=cadre)
    travel.days(1)
    error = refused(org, promotion, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == [OPEN_ADJUSTMENT.format(adjustment.reference)]
    assert adjustment.reference in error.reasons[0]

    act(org, adjustment, "dismiss_intake", "case_officer", {"reason": "反映内容不具体。"})
    assert act(org, promotion, "select_for_inspection", "case_officer", select_data(org)).state == "inspection"


def test_an_adjustment_case_of_another_cadre_does_not_block(org, travel):
    promotion = org.open_case(cadre=org.cadre(name="王五"))
    org.open_adjustment(cadre=org.cadre(name="李四"))
    travel.days(1)
    assert act(org, promotion, "select_for_inspection", "case_officer", select_data(org)).state == "inspection"


@pytest.mark.parametrize(("result", "words"), [("basically_competent", "Basically competent"),
                                               ("incompetent", "Incompetent")])
def test_last_annual_assessment_basically_competent_or_worse_blocks_selection(org, travel, result, words):
    cadre = org.cadre(name="王五")
    last_year = db.session.scalars(select(AnnualAssessment).where(AnnualAssessment.cadre_id == cadre.id,
                                                                  AnnualAssessment.year == 2025)).one()
    last_year.result = result
    db.session.commit()
    promotion = org.open_case(cadre=cadre)
    travel.days(1)
    error = refused(org, promotion, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == [f"Annual assessment for 2025 was '{words}'."]


def test_only_the_last_years_assessment_counts(org, travel):
    cadre = org.cadre(name="王五")
    older = db.session.scalars(select(AnnualAssessment).where(AnnualAssessment.cadre_id == cadre.id,
                                                              AnnualAssessment.year == 2024)).one()
    older.result = "basically_competent"
    db.session.commit()
    promotion = org.open_case(cadre=cadre)
    travel.days(1)
    assert act(org, promotion, "select_for_inspection", "case_officer", select_data(org)).state == "inspection"


# --- an objection referred for verification ------------------------------------------------------------

@pytest.mark.parametrize("origin", ["publicity", "publicity_suspended"])
def test_a_referred_objection_holds_the_promotion_and_opens_a_linked_verification(org, travel, origin):
    promotion = org.case_in(origin)
    travel.days(1)
    before = counts()
    promotion = act(org, promotion, "record_objection", "case_officer", objection_data(org))

    assert promotion.state == "on_hold" and promotion.held_from == origin
    verification = promotion.linked_case
    assert verification is not None
    assert (verification.track, verification.state, verification.source) == ("adjustment", "verification", "publicity_objection")
    assert verification.cadre_id == promotion.cadre_id
    assert verification.linked_case_id == promotion.id  # linked both ways
    opening = verification.records[0]
    assert (opening.trigger, opening.from_state, opening.to_state) == ("open", None, "verification")
    assert opening.data["content"] == "反映其分管项目验收存在问题。"
    record = last_record(promotion.id)
    assert (record.trigger, record.from_state, record.to_state) == ("record_objection", origin, "on_hold")
    assert record.data["verification_case"] == verification.reference
    cases, steps, events, sanctions, submissions = counts()
    assert (cases, steps, events) == (before[0] + 1, before[1] + 2, before[2] + 2)
    kinds = db.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id.desc()).limit(2)).all()
    assert sorted(kinds) == ["case.opened", "case.transition"]


def _referred(org, travel, origin="publicity"):
    promotion = org.case_in(origin)  # publicity 2026-03-24 .. 2026-03-30 (suspended on 2026-03-26)
    travel.days(1)
    promotion = act(org, promotion, "record_objection", "case_officer", objection_data(org))
    return promotion, promotion.linked_case


@pytest.mark.parametrize("origin", ["publicity", "publicity_suspended"])
def test_clarifying_the_verification_releases_the_hold_in_the_same_step(org, travel, origin):
    promotion, verification = _referred(org, travel, origin)
    liaison = org.users["discipline_liaison"]
    travel.days(3)
    verification = act(org, verification, "record_verification", liaison, verification_data("unfounded"))
    assert verification.state == "clarification"
    assert reload(promotion.id).state == "on_hold"  # unproven is not yet cleared

    travel.days(2)
    before = counts()
    verification = act(org, verification, "clarify", liaison, clarify_data())
    promotion = reload(promotion.id)
    assert verification.state == "cleared"
    assert promotion.state == origin and promotion.held_from is None  # back where it was held
    release = last_record(promotion.id)
    assert (release.trigger, release.from_state, release.to_state) == ("release_hold", "on_hold", origin)
    assert release.actor_id == liaison.id
    assert release.data["clarification"].startswith(verification.reference)
    clarify = last_record(verification.id)
    assert clarify.data["released_case"] == promotion.reference
    assert release.recorded_at == clarify.recorded_at
    # one step record and one audit event for each case, written together
    assert counts()[1:3] == (before[1] + 2, before[2] + 2)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(2)).all()
    assert {(e.case_id, e.kind) for e in events} == {(promotion.id, "case.transition"), (verification.id, "case.transition")}


def test_a_clarification_that_fails_to_save_leaves_the_promotion_on_hold(org, travel, monkeypatch):
    promotion, verification = _referred(org, travel)
    liaison = org.users["discipline_liaison"]
    travel.days(3)
    act(org, verification, "record_verification", liaison, verification_data("unfounded"))
    travel.days(2)
    real_append = audit.append

    def failing_append(session, **kwargs):
        case = kwargs.get("case")
        if case is not None and case.track == "adjustment" and kwargs.get("kind") == "case.transition":
            raise RuntimeError("the disk is full")
        return real_append(session, **kwargs)

    monkeypatch.setattr(audit, "append", failing_append)
    before_promotion, before_verification = snapshot(promotion.id), snapshot(verification.id)
    with pytest.raises(RuntimeError):
        door.advance(verification.id, "clarify", liaison, clarify_data(), session=db.session)
    assert snapshot(promotion.id) == before_promotion  # the release went with the failed step
    assert snapshot(verification.id) == before_verification


def test_a_founded_verification_keeps_the_promotion_on_hold(org, travel):
    promotion, verification = _referred(org, travel)
    travel.days(3)
    verification = act(org, verification, "record_verification", "discipline_liaison", verification_data("founded"))
    assert verification.state == "handling"
    assert reload(promotion.id).state == "on_hold"


def test_publicity_held_for_a_verification_still_runs_its_remaining_days_after_release(org, travel):
    promotion, verification = _referred(org, travel)  # held on 2026-03-25, the 2nd of 5 working days
    travel.to(date(2026, 4, 8))
    act(org, verification, "record_verification", "discipline_liaison", verification_data("unfounded"))
    act(org, verification, "clarify", "discipline_liaison", clarify_data())
    promotion = reload(promotion.id)
    assert promotion.state == "publicity"
    assert promotion.publicity_end > date(2026, 4, 8)


# --- clarification and false accusations ---------------------------------------------------------------

def test_clarification_needs_the_cadres_consent(org, travel):
    case = org.adjustment_in("clarification")
    travel.days(1)
    error = refused(org, case, "clarify", "discipline_liaison", clarify_data(consent=False))
    assert error.reasons == [CONSENT]
    error = refused_in_chinese(org, case, "clarify", "discipline_liaison", clarify_data(consent=False))
    assert error.reasons == [IN_CHINESE[CONSENT]]
    case = act(org, case, "close_without_clarification", "discipline_liaison", {"reason": "本人不同意公开澄清。"})
    assert case.state == "closed"


def _clue_case(org, travel, reporter="张某"):
    cadre = org.cadre(name="李四")
    submission = intake.receive(db.session, "clue", org.unit_a.id, "李四", "该干部长期不在岗。", category="unreachable",
                                reporter_name=reporter, reporter_contact="13800000000", address="203.0.113.7", secret="s")
    case = intake.accept(db.session, org.users["case_officer"], submission.id, cadre.id)
    return org.drive(case, "clarification"), submission.id


def test_a_malicious_false_accusation_is_recorded_against_the_reporter(org, travel):
    case, submission_id = _clue_case(org, travel)
    travel.days(1)
    case = act(org, case, "clarify", "discipline_liaison", clarify_data(malicious=True))
    assert case.state == "cleared"
    submission = db.session.get(Submission, submission_id)
    assert submission.false_accusation is True
    assert last_record(case.id).data["false_accusation_recorded"] == submission.receipt_code


def test_a_clarification_without_malice_records_nothing_against_the_reporter(org, travel):
    case, submission_id = _clue_case(org, travel)
    travel.days(1)
    act(org, case, "clarify", "discipline_liaison", clarify_data(malicious=False))
    assert db.session.get(Submission, submission_id).false_accusation is False
    assert "false_accusation_recorded" not in last_record(case.id).data


def test_a_malicious_accusation_is_recorded_even_when_the_cadre_declines_clarification(org, travel):
    cadre = org.cadre(name="李四")
    submission = intake.receive(db.session, "clue", org.unit_a.id, "李四", "捏造事实。", category="other",
                                reporter_name="张某", address="203.0.113.7", secret="s")
    case = intake.accept(db.session, org.users["case_officer"], submission.id, cadre.id)
    case = org.drive(case, "verification")
    travel.days(1)
    act(org, case, "record_verification", "discipline_liaison", verification_data("unfounded", malicious=True))
    act(org, case, "close_without_clarification", "discipline_liaison", {"reason": "本人不要求澄清。", "malicious": True})
    assert db.session.get(Submission, submission.id).false_accusation is True


def test_a_founded_report_cannot_be_called_a_false_accusation(org, travel):
    case = org.adjustment_in("verification")
    travel.days(1)
    error = refused(org, case, "record_verification", "discipline_liaison", verification_data("founded", malicious=True))
    assert error.reasons == ["Only an unfounded report can be a false accusation."]
    error = refused_in_chinese(org, case, "record_verification", "discipline_liaison",
                               verification_data("founded", malicious=True))
    assert error.reasons == ["只有经核查不属实的反映，才能认定为诬告。"]


# --- failed probation ------------------------------------------------------------------------------

def test_failing_probation_opens_a_linked_adjustment_case(org, travel):
    promotion = reload(org.case_in("removed").id)
    adjustment = promotion.linked_case
    assert adjustment is not None
    assert (adjustment.track, adjustment.state, adjustment.source) == ("adjustment", "intake", "probation_failed")
    assert adjustment.linked_case_id == promotion.id and adjustment.cadre_id == promotion.cadre_id
    assert adjustment.records[0].data["content"] == "试用期考核不合格。"
    assert last_record(promotion.id).data["adjustment_case"] == adjustment.reference
    assert [c.id for c in adjustment_cases_of(promotion.cadre_id)] == [adjustment.id]


def test_failing_probation_links_an_adjustment_case_already_open(org, travel):
    promotion = org.case_in("probation")
    existing = org.open_adjustment(cadre=promotion.cadre, source="petition")
    travel.to(date(2027, 3, 22))  # probation ends
    promotion = act(org, promotion, "fail_probation", "case_officer",
                    {"assessed_on": today(org), "assessment": "试用期考核不合格。"})
    assert promotion.state == "removed"
    assert [c.id for c in adjustment_cases_of(promotion.cadre_id)] == [existing.id]  # no second case
    existing = reload(existing.id)
    assert promotion.linked_case_id == existing.id and existing.linked_case_id == promotion.id
    assert existing.state == "intake" and existing.source == "petition"


# --- annual assessment results propose an adjustment -------------------------------------------------

def _assess(org, cadre, year, result):
    return cadres.record_assessment(db.session, org.users["case_officer"], cadre, year, result)


def test_incompetent_once_proposes_an_adjustment_in_the_inbox(org, travel):
    cadre = org.cadre(name="吴十")
    travel.to(date(2027, 1, 15))
    proposal = _assess(org, cadre, 2026, "incompetent")
    assert proposal is not None
    submission = db.session.get(Submission, proposal.id)
    assert (submission.kind, submission.status, submission.cadre_id, submission.unit_id) == (
        "assessment_trigger", "new", cadre.id, org.unit_a.id)
    assert submission.content == "Annual assessment 2026: incompetent."
    kinds = db.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id.desc()).limit(2)).all()
    assert kinds == ["intake.assessment_trigger", "cadre.assessment"]


def test_basically_competent_two_years_running_proposes_an_adjustment(org, travel):
    cadre = org.cadre(name="吴十")
    travel.to(date(2027, 1, 15))
    assert _assess(org, cadre, 2026, "basically_competent") is None  # once: 2025 was competent
    travel.to(date(2028, 1, 15))
    proposal = _assess(org, cadre, 2027, "basically_competent")
    assert proposal is not None and proposal.kind == "assessment_trigger"
    assert proposal.content == "Annual assessments 2026 and 2027: basically competent two years running."


@pytest.mark.parametrize(("earlier", "result"), [
    ("competent", "competent"), ("competent", "excellent"), ("competent", "basically_competent"),
    ("basically_competent", "competent"), ("basically_competent", "excellent"),
])
def test_other_results_propose_nothing(org, travel, earlier, result):
    cadre = org.cadre(name="吴十")
    travel.to(date(2027, 1, 15))
    assert _assess(org, cadre, 2026, earlier) is None
    travel.to(date(2028, 1, 15))
    assert _assess(org, cadre, 2027, result) is None
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def _proposal(org, travel):
    cadre = org.cadre(name="吴十")
    travel.to(date(2027, 1, 15))
    return cadre, _assess(org, cadre, 2026, "incompetent")


def test_an_officer_accepts_the_proposal_and_an_assessment_case_opens(org, travel):
    cadre, proposal = _proposal(org, travel)
    case = intake.accept(db.session, org.users["case_officer"], proposal.id, cadre.id)
    case = reload(case.id)
    assert (case.track, case.state, case.source, case.cadre_id) == ("adjustment", "intake", "assessment", cadre.id)
    assert case.records[0].data["content"] == "Annual assessment 2026: incompetent."
    submission = db.session.get(Submission, proposal.id)
    assert (submission.status, submission.case_id) == ("accepted", case.id)
    assert db.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id.desc()).limit(2)).all() == [
        "intake.accepted", "case.opened"]


def test_dismissing_the_proposal_needs_a_reason(org, travel):
    cadre, proposal = _proposal(org, travel)
    before = counts()
    for reason in ("", "   "):
        with pytest.raises(InvalidData) as error:
            intake.dismiss(db.session, org.users["case_officer"], proposal.id, reason)
        assert error.value.message == "Give the reason for dismissing."
    with reading_chinese(), pytest.raises(InvalidData) as error:
        intake.dismiss(db.session, org.users["case_officer"], proposal.id, "")
    assert error.value.message == "请填写不予受理的理由。"
    assert counts() == before
    assert db.session.get(Submission, proposal.id).status == "new"

    intake.dismiss(db.session, org.users["case_officer"], proposal.id, "考核结果已复核更正。")
    submission = db.session.get(Submission, proposal.id)
    assert (submission.status, submission.dismiss_reason) == ("dismissed", "考核结果已复核更正。")
    assert submission.handled_by_id == org.users["case_officer"].id
    assert adjustment_cases_of(cadre.id) == []
    with pytest.raises(InvalidData):  # handled once only
        intake.accept(db.session, org.users["case_officer"], proposal.id, cadre.id)


# --- fault tolerance ------------------------------------------------------------------------------

FACTORS = ["reform_trial", "not_prohibited", "public_interest", "recorded_opposition", "force_majeure"]


def ft_data(determination="tolerated", **factors):
    return {**factors, "determination": determination, "reasoning": "符合“三个区分开来”。"}


def test_tolerance_needs_at_least_one_factor(org, travel):
    case = org.adjustment_in("fault_tolerance")
    travel.days(1)
    error = refused(org, case, "determine_fault_tolerance", "discipline_liaison", ft_data())
    assert error.reasons == [FACTOR]
    error = refused_in_chinese(org, case, "determine_fault_tolerance", "discipline_liaison", ft_data())
    assert error.reasons == [IN_CHINESE[FACTOR]]


@pytest.mark.parametrize("factor", FACTORS)
def test_tolerated_with_a_factor_ends_the_case_with_no_influence_period(org, travel, factor):
    case = org.adjustment_in("fault_tolerance")
    travel.days(1)
    case = act(org, case, "determine_fault_tolerance", "discipline_liaison", ft_data(**{factor: True}))
    assert case.state == "tolerated" and case.closed_at is not None
    assert sanctions_of(case.cadre_id) == []
    assert combined(case.cadre.sanctions, rules_of(case.rule_set)).ends_on is None


def test_a_tolerated_cadre_can_be_selected_for_inspection_at_once(org, travel):
    case = org.adjustment_in("fault_tolerance")
    travel.days(1)
    act(org, case, "determine_fault_tolerance", "discipline_liaison", ft_data(reform_trial=True))
    promotion = org.open_case(cadre=case.cadre)
    assert act(org, promotion, "select_for_inspection", "case_officer", select_data(org)).state == "inspection"


@pytest.mark.parametrize("determination", ["mitigated", "rejected"])
def test_mitigated_or_rejected_returns_to_handling_and_is_not_claimed_twice(org, travel, determination):
    case = org.adjustment_in("fault_tolerance")
    travel.days(1)
    case = act(org, case, "determine_fault_tolerance", "discipline_liaison", ft_data(determination))  # no factor needed
    assert case.state == "handling"
    travel.days(1)
    error = refused(org, case, "claim_fault_tolerance", "case_officer", {"claim": "再次申请容错。"})
    assert error.reasons == [ALREADY_DETERMINED]
    error = refused_in_chinese(org, case, "claim_fault_tolerance", "case_officer", {"claim": "再次申请容错。"})
    assert error.reasons == [IN_CHINESE[ALREADY_DETERMINED]]


# --- warning measures ---------------------------------------------------------------------------------

def warning_data(org, measure, **extra):
    return {"measure": measure, "measure_on": today(org), "record": "谈话记录。", **extra}


def test_admonishment_is_tracked_for_six_months_before_tracking_ends(org, travel):
    case = org.adjustment_in("handling")  # reached on 2026-03-14
    travel.to(date(2026, 3, 18))
    case = act(org, case, "issue_warning", "case_officer", warning_data(org, "admonishment"))
    assert case.state == "admonishment_tracking"
    [sanction] = sanctions_of(case.cadre_id)
    assert (sanction.measure, sanction.decided_on, sanction.influence_ends_on, sanction.case_id) == (
        "admonishment", date(2026, 3, 18), date(2026, 9, 18), case.id)

    evaluation = {"evaluation": "跟踪期间表现良好。"}
    for day in (date(2026, 3, 19), date(2026, 9, 17)):
        travel.to(day)
        error = refused(org, case, "end_tracking", "case_officer", evaluation)
        assert error.reasons == ["The admonishment is tracked until 2026-09-18."]
    error = refused_in_chinese(org, case, "end_tracking", "case_officer", evaluation)
    assert error.reasons == ["诫勉跟踪期至2026-09-18届满，期满前不能结束跟踪。"]
    travel.to(date(2026, 9, 18))
    case = act(org, case, "end_tracking", "case_officer", evaluation)
    assert case.state == "closed"


def test_an_admonished_cadre_cannot_be_selected_for_inspection_until_the_tracking_ends(org, travel):
    case = org.adjustment_in("admonishment_tracking")  # admonished on 2026-03-17: to 2026-09-17
    promotion = org.open_case(cadre=case.cadre)
    travel.to(date(2026, 9, 16))
    error = refused(org, promotion, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == ["Inside the influence period until 2026-09-17 (Admonishment).",
                             OPEN_ADJUSTMENT.format(case.reference)]
    travel.to(date(2026, 9, 17))
    act(org, case, "end_tracking", "case_officer", {"evaluation": "跟踪期满，表现良好。"})
    assert act(org, promotion, "select_for_inspection", "case_officer", select_data(org)).state == "inspection"


def test_a_letter_inquiry_needs_the_written_explanation(org, travel):
    case = org.adjustment_in("handling")
    travel.days(1)
    error = refused(org, case, "issue_warning", "case_officer", warning_data(org, "letter_inquiry"))
    assert error.reasons == [LETTER_NEEDS_EXPLANATION]
    error = refused_in_chinese(org, case, "issue_warning", "case_officer", warning_data(org, "letter_inquiry"))
    assert error.reasons == [IN_CHINESE[LETTER_NEEDS_EXPLANATION]]
    case = act(org, case, "issue_warning", "case_officer", warning_data(org, "letter_inquiry", explanation="本人说明。"))
    assert case.state == "warned"
    assert sanctions_of(case.cadre_id) == []  # a reminder or a letter inquiry carries no influence period


# --- the decision carried out -------------------------------------------------------------------------

def _post(org, title, rank):
    post = Position(unit=org.unit_a, title=title, rank=rank, probation_applies=False)
    db.session.add(post)
    db.session.commit()
    return post


def _decided(org, travel, method):
    """A section chief holding the section post of unit A, with a decision for ``method`` taken on 2026-03-25."""
    case = org.adjustment_in("handling", position=org.post_a_section, post_since=date(2020, 1, 1))
    travel.to(date(2026, 3, 17))
    act(org, case, "propose_adjustment", "case_officer", {"method": method, "reasons": "不适宜担任现职。"})
    travel.to(date(2026, 3, 20))
    act(org, case, "hold_talk", "case_officer", {"talk_on": today(org), "talk_by": "王晓梅", "statement": "无异议。"})
    act(org, case, "record_integrity_opinion", "discipline_liaison", {"opinion": "无异议。", "issued_on": today(org)})
    travel.to(MEETING_ON)
    case = act(org, case, "record_decision", "committee_secretary", {"meeting_on": today(org), "votes": votes(7, 1, 1)})
    assert case.state == "reassignment"
    travel.to(date(2026, 4, 4))
    return case


def carry_data(org, post, rank):
    return {"new_position": post.id if post else None, "new_rank": rank, "effective_on": today(org),
            "document_no": "市委干〔2026〕12号"}


CARRY_OUT = [
    # method, new post (by name), rank after, the measure recorded and its end (from the meeting, 2026-03-25)
    ("transfer_from_post", "office", "section_chief", ("transfer_from_post", date(2027, 3, 25))),
    ("rank_only_post", "office", "section_chief", None),
    ("removal", None, "section_chief", ("removal", date(2028, 3, 25))),
    ("demotion", "deputy", "section_deputy", ("demotion", date(2028, 3, 25))),
]


@pytest.mark.parametrize(("method", "post_name", "rank", "measure"), CARRY_OUT, ids=[c[0] for c in CARRY_OUT])
def test_carry_out_applies_the_new_post_and_rank_and_records_the_measure(org, travel, method, post_name, rank, measure):
    posts = {"office": _post(org, "Office director 办公室主任", "section_chief"),
             "deputy": _post(org, "Deputy section chief 副科长", "section_deputy")}
    case = _decided(org, travel, method)
    new_post = posts.get(post_name)
    case = act(org, case, "carry_out", "case_officer", carry_data(org, new_post, rank))
    assert case.state == "follow_up"
    cadre = case.cadre
    assert cadre.position_id == (new_post.id if new_post else None)
    assert cadre.unit_id == org.unit_a.id
    assert cadre.rank == rank
    assert cadre.post_since == date(2026, 4, 4)
    assert cadre.rank_since == (date(2026, 4, 4) if rank != "section_chief" else date(2019, 1, 1))
    previous = last_record(case.id).data["previous"]
    assert previous["position_id"] == org.post_a_section.id and previous["rank"] == "section_chief"
    found = [(s.measure, s.decided_on, s.influence_ends_on, s.case_id) for s in sanctions_of(cadre.id)]
    assert found == ([(measure[0], MEETING_ON, measure[1], case.id)] if measure else [])


def test_a_demotion_must_lower_the_rank(org, travel):
    office = _post(org, "Office director 办公室主任", "section_chief")
    case = _decided(org, travel, "demotion")
    error = refused(org, case, "carry_out", "case_officer", carry_data(org, office, "section_chief"))
    assert error.reasons == [DEMOTION_LOWER]
    error = refused_in_chinese(org, case, "carry_out", "case_officer", carry_data(org, office, "section_chief"))
    assert error.reasons == [IN_CHINESE[DEMOTION_LOWER]]


def test_an_adjustment_cannot_raise_the_rank(org, travel):
    case = _decided(org, travel, "transfer_from_post")
    error = refused(org, case, "carry_out", "case_officer", carry_data(org, org.post_a_plain, "division_deputy"))
    assert error.reasons == [RAISES_RANK]
    error = refused_in_chinese(org, case, "carry_out", "case_officer", carry_data(org, org.post_a_plain, "division_deputy"))
    assert error.reasons == [IN_CHINESE[RAISES_RANK]]


def test_the_new_post_may_not_be_above_the_rank_after_adjustment(org, travel):
    office = _post(org, "Office director 办公室主任", "section_chief")
    case = _decided(org, travel, "demotion")
    error = refused(org, case, "carry_out", "case_officer", carry_data(org, office, "section_deputy"))
    assert error.reasons == ["The post Office director 办公室主任 is a Section chief post, above the rank after adjustment."]
    error = refused_in_chinese(org, case, "carry_out", "case_officer", carry_data(org, office, "section_deputy"))
    assert error.reasons == ["Office director 办公室主任为正科级职务，高于调整后的职级。"]


def test_only_a_removal_may_leave_the_cadre_without_a_post(org, travel):
    case = _decided(org, travel, "transfer_from_post")
    error = refused(org, case, "carry_out", "case_officer", carry_data(org, None, "section_chief"))
    assert error.reasons == [CHOOSE_POSITION]
    error = refused_in_chinese(org, case, "carry_out", "case_officer", carry_data(org, None, "section_chief"))
    assert error.reasons == [IN_CHINESE[CHOOSE_POSITION]]


# --- follow-up: helper and return visits ---------------------------------------------------------------

def visit_data(day, visitors=("李建国", "陈纪明")):
    return {"visit_on": day.isoformat(), "visitors": list(visitors), "rating": "good", "notes": "工作状态好转。"}


def _carried_out(org, travel):
    office = _post(org, "Office director 办公室主任", "section_chief")
    case = _decided(org, travel, "transfer_from_post")
    return act(org, case, "carry_out", "case_officer", carry_data(org, office, "section_chief"))  # 2026-04-04


def test_a_return_visit_needs_a_named_helper_first(org, travel):
    case = _carried_out(org, travel)
    travel.to(date(2026, 4, 20))
    error = refused(org, case, "record_return_visit", "case_officer", visit_data(date(2026, 4, 20)))
    assert error.reasons == [HELPER_FIRST]
    error = refused_in_chinese(org, case, "record_return_visit", "case_officer", visit_data(date(2026, 4, 20)))
    assert error.reasons == [IN_CHINESE[HELPER_FIRST]]
    act(org, case, "name_helper", "case_officer", {"helper": "李建国", "named_on": today(org)})
    assert act(org, case, "record_return_visit", "case_officer", visit_data(date(2026, 4, 20))).state == "follow_up"


def test_return_visits_by_at_least_two_people_at_most_twice_a_year(org, travel):
    case = _carried_out(org, travel)
    act(org, case, "name_helper", "case_officer", {"helper": "李建国", "named_on": today(org)})
    travel.to(date(2026, 4, 20))
    error = refused(org, case, "record_return_visit", "case_officer", visit_data(date(2026, 4, 20), visitors=["李建国"]))
    assert error.reasons == [TWO_VISITORS]
    error = refused_in_chinese(org, case, "record_return_visit", "case_officer", visit_data(date(2026, 4, 20), visitors=["李建国"]))
    assert error.reasons == [IN_CHINESE[TWO_VISITORS]]
    act(org, case, "record_return_visit", "case_officer", visit_data(date(2026, 4, 20)))
    travel.to(date(2026, 10, 20))
    act(org, case, "record_return_visit", "case_officer", visit_data(date(2026, 10, 20)))

    travel.to(date(2027, 4, 19))  # within a year of the first visit
    error = refused(org, case, "record_return_visit", "case_officer", visit_data(date(2027, 4, 19)))
    assert error.reasons == ["At most 2 return visits a year; the last were on 2026-04-20, 2026-10-20."]
    error = refused_in_chinese(org, case, "record_return_visit", "case_officer", visit_data(date(2027, 4, 19)))
    assert error.reasons == ["跟踪回访每年不超过2次；最近一年内已于2026-04-20、2026-10-20回访。"]
    travel.to(date(2027, 4, 20))  # a year after the first
    assert act(org, case, "record_return_visit", "case_officer", visit_data(date(2027, 4, 20))).state == "follow_up"


def test_a_return_visit_cannot_be_dated_in_the_future(org, travel):
    case = _carried_out(org, travel)
    act(org, case, "name_helper", "case_officer", {"helper": "李建国", "named_on": today(org)})
    error = refused(org, case, "record_return_visit", "case_officer", visit_data(date(2026, 4, 5)))
    assert error.reasons == [VISIT_IN_FUTURE]


# --- expiry evaluation ----------------------------------------------------------------------------------

def test_expiry_evaluation_is_refused_while_the_influence_period_runs_and_reusable_after(org, travel):
    case = org.adjustment_in("follow_up")  # transfer from post decided 2026-03-25: to 2027-03-25
    data = {"result": "reusable", "evaluation": "影响期内表现良好，可以使用。"}
    travel.to(date(2027, 3, 24))
    error = refused(org, case, "expiry_evaluation", "case_officer", data)
    assert error.reasons == ["The influence period runs until 2027-03-25; evaluate at its end."]
    error = refused_in_chinese(org, case, "expiry_evaluation", "case_officer", data)
    assert error.reasons == ["影响期至2027-03-25届满，请期满后再进行评估。"]
    travel.to(date(2027, 3, 25))
    case = act(org, case, "expiry_evaluation", "case_officer", data)
    assert case.state == "reusable" and case.closed_at is not None
    # reusable: a new promotion case for the cadre can go forward
    promotion = org.open_case(cadre=case.cadre)
    assert act(org, promotion, "select_for_inspection", "case_officer", select_data(org)).state == "inspection"


# --- appeals ----------------------------------------------------------------------------------------------

def appeal_data(filed_on):
    return {"filed_on": filed_on.isoformat(), "grounds": "处理过重。"}


def decide_data(org, outcome="upheld"):
    return {"decided_on": today(org), "outcome": outcome, "reasoning": "经复核。"}


@pytest.mark.parametrize(("day", "filed_on", "reasons"), [
    (date(2026, 3, 26), date(2026, 3, 25), None),  # on the day of the meeting
    (date(2026, 4, 9), date(2026, 4, 9), None),  # the 15th day
    (date(2026, 4, 12), date(2026, 4, 9), None),  # filed in time, recorded later
    (date(2026, 4, 10), date(2026, 4, 10), [APPEAL_CLOSED]),
    (date(2026, 3, 26), date(2026, 3, 24), [APPEAL_BEFORE_DECISION]),
    (date(2026, 3, 26), date(2026, 3, 27), [APPEAL_IN_FUTURE]),
])
def test_an_appeal_is_filed_within_15_days_of_the_decision_meeting(org, travel, day, filed_on, reasons):
    case = org.adjustment_in("reassignment")  # meeting on 2026-03-25
    travel.to(day)
    if reasons is None:
        case = act(org, case, "file_appeal", "case_officer", appeal_data(filed_on))
        assert case.state == "reassignment"
        assert last_record(case.id).data["filed_on"] == filed_on.isoformat()
    else:
        error = refused(org, case, "file_appeal", "case_officer", appeal_data(filed_on))
        assert error.reasons == reasons
        error = refused_in_chinese(org, case, "file_appeal", "case_officer", appeal_data(filed_on))
        assert error.reasons == [IN_CHINESE[reason] for reason in reasons]


def test_decide_appeal_only_with_an_open_appeal_and_one_at_a_time(org, travel):
    case = org.adjustment_in("reassignment")
    travel.to(date(2026, 3, 27))
    error = refused(org, case, "decide_appeal", "committee_secretary", decide_data(org))
    assert error.reasons == [NO_OPEN_APPEAL]
    act(org, case, "file_appeal", "case_officer", appeal_data(date(2026, 3, 27)))
    error = refused(org, case, "file_appeal", "case_officer", appeal_data(date(2026, 3, 27)))
    assert error.reasons == [APPEAL_OPEN]
    error = refused_in_chinese(org, case, "file_appeal", "case_officer", appeal_data(date(2026, 3, 27)))
    assert error.reasons == [IN_CHINESE[APPEAL_OPEN]]
    travel.to(date(2026, 4, 3))
    case = act(org, case, "decide_appeal", "committee_secretary", decide_data(org))
    assert case.state == "reassignment"
    error = refused(org, case, "decide_appeal", "committee_secretary", decide_data(org))
    assert error.reasons == [NO_OPEN_APPEAL]


def test_an_appeal_does_not_stay_the_decision(org, travel):
    office = _post(org, "Office director 办公室主任", "section_chief")
    case = _decided(org, travel, "transfer_from_post")  # 2026-04-04
    act(org, case, "file_appeal", "case_officer", appeal_data(date(2026, 4, 1)))
    case = act(org, case, "carry_out", "case_officer", carry_data(org, office, "section_chief"))
    assert case.state == "follow_up"
    assert [s.measure for s in sanctions_of(case.cadre_id)] == ["transfer_from_post"]
    travel.to(date(2026, 4, 10))
    act(org, case, "name_helper", "case_officer", {"helper": "李建国", "named_on": today(org)})
    travel.to(date(2026, 4, 24))
    case = act(org, case, "decide_appeal", "committee_secretary", decide_data(org))
    assert case.state == "follow_up"
    assert [r.trigger for r in case.records][-4:] == ["file_appeal", "carry_out", "name_helper", "decide_appeal"]


def test_the_decision_meeting_cannot_be_dated_in_the_future(org, travel):
    case = org.adjustment_in("decision")  # 2026-03-20
    travel.to(date(2026, 3, 25))
    before = snapshot(case.id)
    with pytest.raises(Refused):
        door.advance(case.id, "record_decision", org.users["committee_secretary"],
                     {"meeting_on": "2026-12-01", "votes": votes(7, 1, 1)}, session=db.session)
    assert snapshot(case.id) == before


def test_a_nomination_opened_from_a_reusable_case_is_linked_to_it(org, web):
    adjustment = org.adjustment_in("reusable")
    web.login("case_officer")
    page = web.get(f"/cases/{adjustment.id}").get_data(as_text=True)
    assert f"reuse={adjustment.id}" in page
    response = web.post(f"/cases/new?cadre={adjustment.cadre_id}&reuse={adjustment.id}",
                        {"cadre_id": str(adjustment.cadre_id), "target_position_id": str(org.post_a.id),
                         "source": "organization", "work_plan": "影响期满评估良好，推荐使用。"})
    assert response.status_code == 302
    db.session.expire_all()
    nomination = db.session.scalars(select(Case).where(Case.track == "promotion", Case.cadre_id == adjustment.cadre_id)).one()
    assert nomination.linked_case_id == adjustment.id
    assert db.session.get(Case, adjustment.id).linked_case_id == nomination.id
