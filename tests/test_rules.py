"""The Track 1 promotion rules of domain.md, each tried through the one door.

Every refusal is checked for its exact sentence and for having written nothing. The clock
starts on 2026-03-02 (``travel``); the scripted demo path (demo/paths.py) holds the decision
meeting on 2026-03-22 and starts publicity on 2026-03-24, which ends on 2026-03-30.
"""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Case, Position, RuleSet, Sanction, StepRecord, db
from workflow import clock, door
from workflow.errors import GuardFailed, InvalidData, Refused, WrongState
from workflow.rules import default_data

from .reading import in_chinese

# --- sentences (English, the tests' language; the Chinese where a test reads in Chinese) -----
EXCEPTION_HINT = "Record an approved exception for an outstanding performer, or choose another cadre."
EXCEPTION_HINT_ZH = "请录入经批准的破格提拔情况，或另选干部人选。"
TWO_LEVELS = "From Deputy section chief to Deputy division / county head is two levels at once, which is never allowed."
TWO_LEVELS_ZH = "由副科级提拔为副处级属于越两级提拔，一律不允许。"
RECOMMENDATION_FIRST = "Record the democratic recommendation (method, participants, tallies) first."
RECOMMENDATION_FIRST_ZH = "请先录入民主推荐情况（推荐方式、参加人数、得票情况）。"
SHORTLIST = "When interviews come first, the shortlist must have more names than posts."
SHORTLIST_ZH = "先进行谈话调研推荐的，初步人选应差额提出，人数须多于职数。"
TEAM_OF_TWO = "An inspection team needs at least 2 people."
TEAM_OF_TWO_ZH = "考察组成员不得少于2人。"
ONLY_LIAISON = "Only the discipline liaison may record the integrity opinion."
LIAISON_ONLY_INTEGRITY = "The discipline liaison records only the integrity opinion."
LIAISON_ONLY_INTEGRITY_ZH = "纪检联络人只录入党风廉政意见。"
NOT_PROPOSER = "The person who proposed this case may not record its decision."
NOT_PROPOSER_ZH = "动议人不得记录本案的讨论决定。"
ONE_UNANSWERED = "1 objection(s) are not answered yet."
DISQUALIFYING = "An objection was found disqualifying: cancel the case instead."
DISQUALIFYING_ZH = "反映的问题已查实影响任用，应取消任用。"
CANCEL_NEEDS_FINDING = "Cancel only after an objection was found disqualifying; otherwise withdraw the case."
CANCEL_NEEDS_FINDING_ZH = "只有在反映的问题查实影响任用后才能取消任用；否则请撤回本案。"


def quorum_sentence(present, should):
    return f"No quorum: {present} of {should} members who should attend were present; at least 2/3 must be."


def quorum_sentence_zh(present, should):
    return f"到会人数不足：应到会成员{should}人，实到{present}人，到会成员须达到应到会成员的2/3，不能讨论决定。"


def checks_missing(*names):
    return "These mandatory checks are not recorded yet: " + "; ".join(names) + "."


def checks_missing_zh(*names):
    return "以下必查事项尚未录入：" + "；".join(names) + "。"


PERSONNEL_FILE = "Personnel file reviewed"
PERSONAL_MATTERS = "Personal-matters report verified"
INTEGRITY = "Integrity opinion received"
COMPLAINTS = "Specific complaints investigated"


# --- helpers -----------------------------------------------------------------------------

def _state(case_id):
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    steps = db.session.scalar(select(func.count()).select_from(StepRecord).where(StepRecord.case_id == case_id))
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    return case.state, case.version, steps, events


def _actor(org, who):
    return org.users[who] if isinstance(who, str) else who


def act(org, case, trigger, who, data):
    """Advance; returns the case as reloaded afterwards."""
    outcome = door.advance(case.id, trigger, _actor(org, who), data, session=db.session)
    db.session.expire_all()
    return db.session.get(Case, outcome.case.id)


def refused(org, case, trigger, who, data, kind=GuardFailed):
    """Advance, expecting a refusal of ``kind`` that wrote nothing; returns the exception."""
    before = _state(case.id)
    with pytest.raises(Refused) as info:
        door.advance(case.id, trigger, _actor(org, who), data, session=db.session)
    assert type(info.value) is kind, info.value
    assert _state(case.id) == before
    return info.value


def today(org):
    return org.travel.today.isoformat()


def select_data(org, team=("李建国", "赵敏")):
    return {"team": list(team), "notice_on": today(org), "plan": "考察方案"}


def exception_data(org):
    return {"grounds": "crisis", "reason": "抗洪抢险中实绩突出。", "approved_by": "上级组织部",
            "approval_ref": "组干〔2026〕3号", "approved_on": today(org)}


def decision_data(org, agree=0, disagree=0, defer=0, absent=0, recused=0, meeting_on=None):
    kinds = ["agree"] * agree + ["disagree"] * disagree + ["defer"] * defer + ["absent"] * absent + ["recused"] * recused
    return {"meeting_on": meeting_on or today(org),
            "votes": [{"name": f"委员{i + 1}", "vote": kind} for i, kind in enumerate(kinds)]}


def check_data(check):
    return {"check": check, "outcome": "已核查。"}


def objection_data(org, substantive):
    return {"received_on": today(org), "channel": "来信", "content": "反映问题。", "substantive": substantive}


def answer_data(case, disqualifying=False):
    return {"objection": case.objections[-1].id, "finding": "核查情况。", "answer": "已答复。",
            "disqualifying": disqualifying}


def appoint_data(org):
    return {"document_no": "任〔2026〕9号", "effective_on": today(org), "talk_by": "王晓梅", "talk_on": today(org)}


def assess_data(org):
    return {"assessed_on": today(org), "assessment": "考核意见。"}


def publicity_data(org, start_on=None):
    return {"start_on": (start_on or org.travel.today).isoformat(), "channel": "公示栏", "text": "拟任职公示。"}


# --- collective decision: quorum and majority of those who should attend --------------------

@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        # 9 members should attend: quorum is 6 present (2/3), majority is 5 agree (> 4.5)
        (dict(agree=5, absent=4), quorum_sentence(5, 9)),
        (dict(agree=3, disagree=1, defer=1, absent=4), quorum_sentence(5, 9)),
        (dict(agree=6, absent=3), "approved"),
        (dict(agree=4, disagree=2, absent=3), "rejected"),  # wins among the 6 present, not among the 9
        (dict(agree=4, defer=2, absent=3), "rejected"),
        (dict(agree=5, disagree=1, absent=3), "approved"),
        (dict(agree=5, disagree=4), "approved"),
        (dict(agree=4, disagree=5), "rejected"),
        # recused members do not count among those who should attend
        (dict(agree=4, absent=2, recused=3), "approved"),  # 6 should attend: 4 present, 4 > 3
        (dict(agree=3, absent=3, recused=3), quorum_sentence(3, 6)),
        (dict(agree=4, disagree=2, absent=2, recused=1), "rejected"),  # 8 should attend: 4 is not > 4
        (dict(agree=5, disagree=1, absent=2, recused=1), "approved"),
        (dict(agree=5, absent=3, recused=1), quorum_sentence(5, 8)),  # 5 < 2/3 of 8
    ],
    ids=lambda v: str(v) if isinstance(v, dict) else v[:12],
)
def test_decision_quorum_and_majority(org, travel, votes, expected):
    case = org.case_in("decision")
    travel.days(1)
    data = decision_data(org, **votes)
    if expected in ("approved", "rejected"):
        case = act(org, case, "record_decision", "committee_secretary", data)
        assert case.state == expected
        assert (case.closed_at is not None) == (expected == "rejected")
    else:
        error = refused(org, case, "record_decision", "committee_secretary", data)
        assert error.reasons[0] == expected


MEMBERS_MISSING = "List the members who should attend the meeting."
MEMBERS_MISSING_ZH = "请填写应到会成员。"


def test_decision_needs_members_listed(org, travel):
    case = org.case_in("decision")
    travel.days(1)
    error = refused(org, case, "record_decision", "committee_secretary", decision_data(org, recused=2))
    assert error.reasons[0] == MEMBERS_MISSING


@pytest.mark.parametrize(("votes", "expected", "expected_zh"), [
    (dict(agree=5, absent=4), quorum_sentence(5, 9), quorum_sentence_zh(5, 9)),
    (dict(agree=3, absent=3, recused=3), quorum_sentence(3, 6), quorum_sentence_zh(3, 6)),
    (dict(recused=2), MEMBERS_MISSING, MEMBERS_MISSING_ZH),
], ids=["no_quorum_majority_agreed", "no_quorum_few_agreed", "no_members"])
def test_refused_decision_gives_only_the_reasons_that_apply(app, org, travel, votes, expected, expected_zh):
    case = org.case_in("decision")
    travel.days(1)
    error = refused(org, case, "record_decision", "committee_secretary", decision_data(org, **votes))
    assert error.reasons == [expected]
    with in_chinese(app):
        error = refused(org, case, "record_decision", "committee_secretary", decision_data(org, **votes))
    assert error.reasons == [expected_zh]


def test_the_proposer_may_not_record_the_decision(app, org, travel):
    case = org.case_in("decision")
    proposer = org.users["case_officer"]
    assert case.opened_by_id == proposer.id
    proposer.role = "committee_secretary"  # the person moved to the committee office meanwhile
    db.session.commit()
    travel.days(1)
    for votes in (dict(agree=7, absent=2), dict(agree=2, disagree=5, absent=2)):
        error = refused(org, case, "record_decision", proposer, decision_data(org, **votes))
        assert error.reasons == [NOT_PROPOSER]
    with in_chinese(app):
        error = refused(org, case, "record_decision", proposer, decision_data(org, agree=7, absent=2))
    assert error.reasons == [NOT_PROPOSER_ZH]
    case = act(org, case, "record_decision", "committee_secretary", decision_data(org, agree=7, absent=2))
    assert case.state == "approved"


# --- exclusions ----------------------------------------------------------------------------

def _political(org, cadre):
    cadre.political_discipline_problem = True


def _rating(percent):
    def change(org, cadre):
        cadre.ratings[0].approval_percent = percent
    return change


def _assessment(year, result):
    def change(org, cadre):
        next(a for a in cadre.assessments if a.year == year).result = result
    return change


def _canvassing(org, cadre):
    cadre.canvassing_found = True


def _emigrated(org, cadre):
    cadre.family_emigrated = True


def _sanction(ends_on, measure="gov_demerit"):
    def change(org, cadre):
        db.session.add(Sanction(cadre_id=cadre.id, measure=measure, decided_on=date(2025, 3, 1), influence_ends_on=ends_on))
    return change


EXCLUSIONS = [
    ("political", _political, "A serious political-discipline problem is on record.",
     "有严重违反政治纪律问题的记录，不得列为考察对象。"),
    ("low_rating", _rating(40), "Low recognition in the 2025 democratic rating: 40% (below 50%).",
     "2025年度民主测评认可度低：40%（低于50%），不得列为考察对象。"),
    ("low_rating_fraction", _rating(49.5), "Low recognition in the 2025 democratic rating: 49.5% (below 50%).",
     "2025年度民主测评认可度低：49.5%（低于50%），不得列为考察对象。"),
    ("basically_competent", _assessment(2025, "basically_competent"),
     "Annual assessment for 2025 was 'Basically competent'.",
     "2025年度考核结果为“基本称职”，上一年度考核为基本称职及以下的，不得列为考察对象。"),
    ("incompetent", _assessment(2025, "incompetent"),
     "Annual assessment for 2025 was 'Incompetent'.",
     "2025年度考核结果为“不称职”，上一年度考核为基本称职及以下的，不得列为考察对象。"),
    ("canvassing", _canvassing, "Seeking office or canvassing was found.", "经查有跑官要官、拉票贿选行为，不得列为考察对象。"),
    ("emigrated", _emigrated, "Spouse and all children have emigrated.",
     "配偶已移居国（境）外且子女均已移居国（境）外，不得列为考察对象。"),
    ("influence_period", _sanction(date(2026, 6, 1)),
     "Inside the influence period until 2026-06-01 (Government sanction: demerit).",
     "处于影响期内，影响期至2026-06-01（政务记过）。"),
    ("influence_period_last_day", _sanction(date(2026, 3, 4), "admonishment"),  # the test acts on 2026-03-03
     "Inside the influence period until 2026-03-04 (Admonishment).", "处于影响期内，影响期至2026-03-04（诫勉）。"),
]


@pytest.mark.parametrize(("change", "sentence", "sentence_zh"), [e[1:] for e in EXCLUSIONS], ids=[e[0] for e in EXCLUSIONS])
def test_each_exclusion_blocks_selection_for_inspection(app, org, travel, change, sentence, sentence_zh):
    case = org.open_case()
    change(org, case.cadre)
    db.session.commit()
    travel.days(1)
    error = refused(org, case, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == [sentence]
    with in_chinese(app):
        error = refused(org, case, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == [sentence_zh]


def test_an_exception_does_not_waive_an_exclusion(org, travel):
    case = org.open_case(cadre=org.cadre(rank_since=date(2024, 6, 1)))
    act(org, case, "record_exception", "case_officer", exception_data(org))
    case.cadre.canvassing_found = True
    db.session.commit()
    error = refused(org, case, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == ["Seeking office or canvassing was found."]


NOT_EXCLUDED = [
    ("rating_at_threshold", _rating(50)),
    ("assessment_two_years_ago", _assessment(2024, "incompetent")),
    ("influence_period_ended_today", _sanction(date(2026, 3, 3))),  # the test acts on 2026-03-03
]


@pytest.mark.parametrize("change", [n[1] for n in NOT_EXCLUDED], ids=[n[0] for n in NOT_EXCLUDED])
def test_near_misses_are_not_exclusions(org, travel, change):
    case = org.open_case()
    change(org, case.cadre)
    db.session.commit()
    travel.days(1)
    assert act(org, case, "select_for_inspection", "case_officer", select_data(org)).state == "inspection"


def test_emigration_exempt_post_lets_the_cadre_through(org, travel):
    special = Position(unit=org.unit_a, title="Special post 特殊岗位", rank="division_deputy", emigration_exempt=True)
    db.session.add(special)
    db.session.commit()
    case = org.open_case(cadre=org.cadre(family_emigrated=True), post=special)
    travel.days(1)
    assert act(org, case, "select_for_inspection", "case_officer", select_data(org)).state == "inspection"


# --- qualifications and exceptions ---------------------------------------------------------

GAPS = [
    ("years_in_rank", dict(rank_since=date(2024, 6, 1)),
     "3 years as Section chief are required; the cadre has 1.", "任职年限不足：须任正科级满3年，该干部已任1年。"),
    ("years_in_rank_one_day_short", dict(rank_since=date(2023, 3, 4)),  # the test acts on 2026-03-03
     "3 years as Section chief are required; the cadre has 2.", "任职年限不足：须任正科级满3年，该干部已任2年。"),
    ("work_years", dict(work_start=date(2022, 9, 1)), "5 years of work are required; the cadre has 3.",
     "工作年限不足：须工作满5年，该干部工作3年。"),
    ("grassroots", dict(grassroots_years=1), "2 years at grassroots are required; the cadre has 1.",
     "基层工作经历不足：须有2年基层工作经历，该干部有1年。"),
    ("education", dict(education="high_school"),
     "Education of at least 'College (3-year)' is required for this level.",
     "学历不符合要求：该层级职务须具有“大学专科”及以上学历。"),
]


@pytest.mark.parametrize(("overrides", "gap", "gap_zh"), [g[1:] for g in GAPS], ids=[g[0] for g in GAPS])
def test_qualification_gap_refuses_without_an_exception(app, org, travel, overrides, gap, gap_zh):
    case = org.open_case(cadre=org.cadre(**overrides))
    travel.days(1)
    error = refused(org, case, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == [gap, EXCEPTION_HINT]
    with in_chinese(app):
        error = refused(org, case, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == [gap_zh, EXCEPTION_HINT_ZH]


@pytest.mark.parametrize("overrides", [g[1] for g in GAPS], ids=[g[0] for g in GAPS])
def test_qualification_gap_is_waived_by_a_recorded_exception(org, travel, overrides):
    case = org.open_case(cadre=org.cadre(**overrides))
    travel.days(1)
    act(org, case, "record_exception", "case_officer", exception_data(org))
    travel.days(1)
    assert act(org, case, "select_for_inspection", "case_officer", select_data(org)).state == "inspection"


def test_exactly_the_required_years_in_rank_is_enough(org, travel):
    case = org.open_case(cadre=org.cadre(rank_since=date(2023, 3, 2)))  # 3 years today
    assert act(org, case, "select_for_inspection", "case_officer", select_data(org)).state == "inspection"


WINDOWS = [
    ("on_probation_until_today", dict(probation_until=date(2026, 3, 2)),
     "Still on probation until 2026-03-02: no exception is allowed.", "试用期至2026-03-02，试用期内不得破格提拔。"),
    ("on_probation", dict(probation_until=date(2026, 9, 1)),
     "Still on probation until 2026-09-01: no exception is allowed.", "试用期至2026-09-01，试用期内不得破格提拔。"),
    ("promoted_less_than_12_months_ago", dict(last_promotion_on=date(2025, 3, 3)),
     "Last promoted on 2025-03-03, less than 12 months ago: no exception is allowed.",
     "上次提拔于2025-03-03，提任现职不满12个月，不得破格提拔。"),
]


@pytest.mark.parametrize(("overrides", "sentence", "sentence_zh"), [w[1:] for w in WINDOWS], ids=[w[0] for w in WINDOWS])
def test_no_exception_inside_its_windows(app, org, travel, overrides, sentence, sentence_zh):
    case = org.open_case(cadre=org.cadre(rank_since=date(2024, 6, 1), **overrides))
    error = refused(org, case, "record_exception", "case_officer", exception_data(org))
    assert error.reasons == [sentence]
    with in_chinese(app):
        error = refused(org, case, "record_exception", "case_officer", exception_data(org))
    assert error.reasons == [sentence_zh]


@pytest.mark.parametrize("overrides", [dict(probation_until=date(2026, 3, 1)), dict(last_promotion_on=date(2025, 3, 2))],
                         ids=["probation_ended_yesterday", "promoted_exactly_12_months_ago"])
def test_exception_allowed_just_outside_its_windows(org, travel, overrides):
    case = org.open_case(cadre=org.cadre(rank_since=date(2024, 6, 1), **overrides))
    assert act(org, case, "record_exception", "case_officer", exception_data(org)).state == "nomination"


def test_exception_window_is_checked_again_at_selection(org, travel):
    case = org.open_case(cadre=org.cadre(rank_since=date(2024, 6, 1)))
    act(org, case, "record_exception", "case_officer", exception_data(org))
    case.cadre.probation_until = date(2026, 5, 1)  # a correction of the cadre's record
    db.session.commit()
    travel.days(1)
    error = refused(org, case, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == ["Still on probation until 2026-05-01: no exception is allowed."]


def test_two_levels_at_once_is_never_allowed(app, org, travel):
    case = org.open_case(cadre=org.cadre(rank="section_deputy"))
    error = refused(org, case, "record_exception", "case_officer", exception_data(org))
    assert error.reasons == [TWO_LEVELS]
    error = refused(org, case, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == [TWO_LEVELS]
    with in_chinese(app):
        error = refused(org, case, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == [TWO_LEVELS_ZH]


def test_two_levels_at_once_refused_even_with_a_recorded_exception(org, travel):
    case = org.open_case(cadre=org.cadre(rank_since=date(2024, 6, 1)))
    act(org, case, "record_exception", "case_officer", exception_data(org))
    case.cadre.rank = "section_deputy"  # the record is corrected: the cadre is a deputy section chief
    db.session.commit()
    travel.days(1)
    error = refused(org, case, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == [TWO_LEVELS]


EXCEPTION_NOT_STATED = ("This is an exception for an outstanding performer: state it and its reason in the publicity "
                        "text.")
EXCEPTION_NOT_STATED_ZH = "本案为破格提拔：请在公示内容中说明破格情况及理由。"


def test_publicity_of_an_exception_must_state_it(app, org, travel):
    case = org.open_case(cadre=org.cadre(rank_since=date(2024, 6, 1)))
    act(org, case, "record_exception", "case_officer", exception_data(org))
    org.drive(case, "approved")
    travel.days(1)
    error = refused(org, case, "start_publicity", "case_officer", publicity_data(org))
    assert error.reasons == [EXCEPTION_NOT_STATED]
    with in_chinese(app):
        error = refused(org, case, "start_publicity", "case_officer", publicity_data(org))
    assert error.reasons == [EXCEPTION_NOT_STATED_ZH]
    case = act(org, case, "start_publicity", "case_officer", {**publicity_data(org), "exception_stated": True})
    assert case.state == "publicity"


def test_publicity_without_an_exception_need_not_state_one(org, travel):
    case = org.case_in("approved")
    travel.days(1)
    assert act(org, case, "start_publicity", "case_officer", publicity_data(org)).state == "publicity"


# --- nomination and inspection ----------------------------------------------------------------

def test_democratic_source_needs_the_recommendation_first(app, org, travel):
    case = org.open_case(source="democratic")
    error = refused(org, case, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == [RECOMMENDATION_FIRST]
    with in_chinese(app):
        error = refused(org, case, "select_for_inspection", "case_officer", select_data(org))
    assert error.reasons == [RECOMMENDATION_FIRST_ZH]
    act(org, case, "record_recommendation", "case_officer", {
        "method": "meeting", "posts": 1, "participants": 40, "tallies": ["张三 31"], "shortlist": ["张三"]})
    travel.days(1)
    assert act(org, case, "select_for_inspection", "case_officer", select_data(org)).state == "inspection"


def test_organization_source_needs_no_recommendation(org, travel):
    case = org.open_case(source="organization")
    assert act(org, case, "select_for_inspection", "case_officer", select_data(org)).state == "inspection"


def test_interviews_first_need_more_names_than_posts(app, org, travel):
    case = org.open_case(source="democratic")
    data = {"method": "interview", "posts": 1, "participants": 40, "tallies": ["张三 31"], "shortlist": ["张三"]}
    error = refused(org, case, "record_recommendation", "case_officer", data)
    assert error.reasons == [SHORTLIST]
    with in_chinese(app):
        error = refused(org, case, "record_recommendation", "case_officer", data)
    assert error.reasons == [SHORTLIST_ZH]
    data["shortlist"] = ["张三", "李四"]
    assert act(org, case, "record_recommendation", "case_officer", data).state == "nomination"


@pytest.mark.parametrize("team", [["李建国"], ["李建国", "   "], []], ids=["one", "one_and_blank", "none"])
def test_inspection_team_of_fewer_than_two_is_refused(app, org, travel, team):
    case = org.open_case()
    if team:
        error = refused(org, case, "select_for_inspection", "case_officer", select_data(org, team))
        assert error.reasons == [TEAM_OF_TWO]
        with in_chinese(app):
            error = refused(org, case, "select_for_inspection", "case_officer", select_data(org, team))
        assert error.reasons == [TEAM_OF_TWO_ZH]
    else:  # an empty team is missing data
        error = refused(org, case, "select_for_inspection", "case_officer", select_data(org, team), kind=InvalidData)
        assert set(error.field_errors) == {"team"}


def test_conclude_inspection_needs_all_four_checks(app, org, travel):
    case = org.case_in("inspection")
    conclude = {"interviews": 20, "rating_excellent": 15, "rating_competent": 5, "rating_basic": 0,
                "rating_incompetent": 0, "findings": "好。", "integrity_conclusion": "廉洁。"}
    travel.days(1)
    error = refused(org, case, "conclude_inspection", "inspector", conclude)
    assert error.reasons == [checks_missing(PERSONNEL_FILE, PERSONAL_MATTERS, INTEGRITY, COMPLAINTS)]
    with in_chinese(app):
        error = refused(org, case, "conclude_inspection", "inspector", conclude)
    assert error.reasons == [checks_missing_zh("干部人事档案审核", "个人有关事项报告核查", "党风廉政意见回复", "信访举报核查")]
    for check in ("personnel_file", "personal_matters", "complaints"):
        travel.days(1)
        act(org, case, "record_check", "inspector", check_data(check))
    error = refused(org, case, "conclude_inspection", "case_officer", conclude)
    assert error.reasons == [checks_missing(INTEGRITY)]
    travel.days(1)
    act(org, case, "record_check", "discipline_liaison", check_data("integrity_opinion"))
    travel.days(1)
    assert act(org, case, "conclude_inspection", "inspector", conclude).state == "decision"


@pytest.mark.parametrize(("role", "check", "sentence", "sentence_zh"), [
    ("inspector", "integrity_opinion", ONLY_LIAISON, "党风廉政意见只能由纪检联络人录入。"),
    ("case_officer", "integrity_opinion", ONLY_LIAISON, "党风廉政意见只能由纪检联络人录入。"),
    ("discipline_liaison", "personnel_file", LIAISON_ONLY_INTEGRITY, LIAISON_ONLY_INTEGRITY_ZH),
])
def test_only_the_discipline_liaison_records_the_integrity_opinion(app, org, travel, role, check, sentence, sentence_zh):
    case = org.case_in("inspection")
    travel.days(1)
    error = refused(org, case, "record_check", role, check_data(check))
    assert error.reasons == [sentence]
    with in_chinese(app):
        error = refused(org, case, "record_check", role, check_data(check))
    assert error.reasons == [sentence_zh]


def test_discipline_liaison_records_the_integrity_opinion(org, travel):
    case = org.case_in("inspection")
    travel.days(1)
    case = act(org, case, "record_check", "discipline_liaison", check_data("integrity_opinion"))
    assert case.state == "inspection"
    assert case.last_record("record_check").data["check"] == "integrity_opinion"


# --- publicity and appointment ------------------------------------------------------------

def test_appointment_refused_until_publicity_is_over(app, org, travel):
    case = org.case_in("publicity")
    assert (case.publicity_start, case.publicity_end) == (date(2026, 3, 24), date(2026, 3, 30))
    travel.to(date(2026, 3, 30))
    error = refused(org, case, "appoint", "case_officer", {**appoint_data(org), "effective_on": "2026-03-31"})
    assert error.reasons == ["Publicity runs until 2026-03-30; appointment is possible from the next day."]
    with in_chinese(app):
        error = refused(org, case, "appoint", "case_officer", {**appoint_data(org), "effective_on": "2026-03-31"})
    assert error.reasons == ["任前公示期至2026-03-30，次日起方可任职。"]
    travel.to(date(2026, 3, 31))
    assert act(org, case, "appoint", "case_officer", appoint_data(org)).state == "probation"


def test_appointment_refused_while_an_objection_is_open(org, travel):
    case = org.case_in("publicity", post=org.post_a_plain)
    travel.days(1)
    case = act(org, case, "record_objection", "case_officer", objection_data(org, substantive=False))
    assert case.state == "publicity"  # not substantive: publicity goes on
    travel.to(date(2026, 3, 31))
    error = refused(org, case, "appoint", "case_officer", appoint_data(org))
    assert error.reasons == [ONE_UNANSWERED]
    case = act(org, case, "answer_objection", "discipline_liaison", answer_data(case))
    case = act(org, case, "appoint", "case_officer", appoint_data(org))
    assert case.state == "appointed"
    assert case.cadre.rank == "division_deputy" and case.cadre.probation_until is None


def test_substantive_objection_suspends_and_resume_needs_every_answer(app, org, travel):
    case = org.case_in("publicity")
    travel.to(date(2026, 3, 25))
    case = act(org, case, "record_objection", "case_officer", objection_data(org, substantive=True))
    assert case.state == "publicity_suspended"
    travel.days(1)
    case = act(org, case, "record_objection", "case_officer", objection_data(org, substantive=False))
    assert case.state == "publicity_suspended"
    travel.days(1)
    error = refused(org, case, "resume_publicity", "case_officer", {"resumed_on": today(org)})
    assert error.reasons == ["2 objection(s) are not answered yet."]
    with in_chinese(app):
        error = refused(org, case, "resume_publicity", "case_officer", {"resumed_on": today(org)})
    assert error.reasons == ["尚有2件反映未核查答复。"]
    error = refused(org, case, "appoint", "case_officer", appoint_data(org), kind=WrongState)
    case = act(org, case, "answer_objection", "discipline_liaison", answer_data(case))
    error = refused(org, case, "resume_publicity", "case_officer", {"resumed_on": today(org)})
    assert error.reasons == [ONE_UNANSWERED]
    error = refused(org, case, "cancel", "case_officer", {"reason": "取消。"})
    assert error.reasons == [CANCEL_NEEDS_FINDING]
    first = case.objections[0]
    act(org, case, "answer_objection", "discipline_liaison", {**answer_data(case), "objection": first.id})
    travel.to(date(2026, 4, 1))
    case = act(org, case, "resume_publicity", "case_officer", {"resumed_on": today(org)})
    assert case.state == "publicity"
    # suspended on 03-25 with 3 working days left (26, 27, 30); resumed on 04-01: 1, 2, 3 April
    assert case.publicity_end == date(2026, 4, 3)
    assert case.due_on == date(2026, 4, 3) and case.due_kind == "publicity_end"


def test_cancel_needs_a_disqualifying_finding(app, org, travel):
    case = org.case_in("publicity_suspended")
    travel.days(1)
    error = refused(org, case, "cancel", "case_officer", {"reason": "取消。"})
    assert error.reasons == [CANCEL_NEEDS_FINDING]
    with in_chinese(app):
        error = refused(org, case, "cancel", "case_officer", {"reason": "取消。"})
    assert error.reasons == [CANCEL_NEEDS_FINDING_ZH]
    case = act(org, case, "answer_objection", "discipline_liaison", answer_data(case, disqualifying=True))
    error = refused(org, case, "resume_publicity", "case_officer", {"resumed_on": today(org)})
    assert error.reasons == [DISQUALIFYING]
    with in_chinese(app):
        error = refused(org, case, "resume_publicity", "case_officer", {"resumed_on": today(org)})
    assert error.reasons == [DISQUALIFYING_ZH]
    case = act(org, case, "cancel", "case_officer", {"reason": "查实问题，取消任用。"})
    assert case.state == "cancelled" and case.closed_at is not None


# --- probation ---------------------------------------------------------------------------

def test_probation_cannot_be_assessed_before_it_ends(app, org, travel):
    case = org.case_in("probation")
    assert case.probation_end == date(2027, 3, 22)  # 12 months from the meeting on 2026-03-22
    travel.to(date(2027, 3, 21))
    for trigger in ("confirm_probation", "fail_probation"):
        error = refused(org, case, trigger, "case_officer", assess_data(org))
        assert error.reasons == ["Probation ends on 2027-03-22; assess it then."]
        with in_chinese(app):
            error = refused(org, case, trigger, "case_officer", assess_data(org))
        assert error.reasons == ["试用期至2027-03-22届满，届时再进行考核。"]
    travel.to(date(2027, 3, 22))
    case = act(org, case, "confirm_probation", "case_officer", assess_data(org))
    assert case.state == "confirmed"
    assert case.cadre.probation_until is None and case.cadre.rank == "division_deputy"


def _to_approved_with_meeting_on(org, travel, meeting_on):
    case = org.case_in("decision")
    travel.days(1)
    act(org, case, "record_decision", "committee_secretary", decision_data(org, agree=7, absent=2, meeting_on=meeting_on))
    return case


def test_probation_end_is_twelve_months_after_the_decision_meeting(org, travel):
    # inspection concluded on 03-17; the meeting that day is recorded on 03-18
    case = _to_approved_with_meeting_on(org, travel, "2026-03-17")
    travel.days(2)
    act(org, case, "start_publicity", "case_officer", publicity_data(org))
    travel.to(date(2026, 4, 10))
    case = act(org, case, "appoint", "case_officer", appoint_data(org))
    assert case.state == "probation"
    assert case.probation_end == date(2027, 3, 17)
    assert case.cadre.probation_until == date(2027, 3, 17)
    assert (case.due_on, case.due_kind) == (date(2027, 3, 17), "probation_end")
    assert case.last_record("appoint").data["probation_end"] == "2027-03-17"


def test_probation_start_rule_notice_counts_from_the_appointment(org, travel):
    old = db.session.scalars(select(RuleSet).where(RuleSet.active.is_(True))).one()
    old.active = False
    db.session.add(RuleSet(version=old.version + 1, note="probation from the notice", active=True,
                           data={**default_data(), "probation_start": "notice"}, created_at=clock.now()))
    db.session.commit()
    case = org.case_in("probation")  # appointed on 2026-04-13, meeting 2026-03-22
    assert case.rule_set.version == old.version + 1
    assert case.probation_end == date(2027, 4, 13)


def _cadre_with_post(org, unit, **overrides):
    post = Position(unit=unit, title="Section chief 科长", rank="section_chief")
    db.session.add(post)
    db.session.flush()
    return org.cadre(unit=unit, position_id=post.id, post_since=date(2020, 5, 1), **overrides), post


def test_fail_probation_restores_the_previous_rank_and_post(org, travel):
    cadre, old_post = _cadre_with_post(org, org.unit_a)
    case = org.open_case(cadre=cadre)
    org.drive(case, "probation")
    db.session.expire_all()
    assert (cadre.rank, cadre.position_id, cadre.probation_until) == ("division_deputy", org.post_a.id, date(2027, 3, 22))
    travel.to(date(2027, 3, 22))
    case = act(org, case, "fail_probation", "case_officer", assess_data(org))
    assert case.state == "removed"
    cadre = case.cadre
    assert cadre.rank == "section_chief"
    assert cadre.rank_since == date(2019, 1, 1)
    assert cadre.position_id == old_post.id
    assert cadre.probation_until is None


def test_fail_probation_returns_the_cadre_to_the_unit_of_the_previous_post(org, travel):
    cadre, old_post = _cadre_with_post(org, org.unit_b)  # promoted across units: from B to a post in A
    case = org.open_case(cadre=cadre, post=org.post_a)
    org.drive(case, "removed")
    db.session.expire_all()
    cadre = db.session.get(type(cadre), cadre.id)
    assert cadre.position_id == old_post.id
    assert cadre.unit_id == old_post.unit_id == org.unit_b.id


def test_fail_probation_restores_since_when_the_previous_post_was_held(org, travel):
    cadre, old_post = _cadre_with_post(org, org.unit_a)
    case = org.open_case(cadre=cadre)
    org.drive(case, "removed")
    db.session.expire_all()
    cadre = db.session.get(type(cadre), cadre.id)
    assert cadre.position_id == old_post.id
    assert cadre.post_since == date(2020, 5, 1)


def test_travel_fixture_starts_where_the_dates_above_assume(travel):
    assert travel.today == date(2026, 3, 2)
    assert clock.today_local() - timedelta(days=1) == date(2026, 3, 1)
