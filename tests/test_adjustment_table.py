"""Every (state, trigger) pair of the adjustment workflow, through the one door.

The expected outcome of each pair is written out by hand in ``TABLE`` below (it is *not*
derived from ``workflow/adjustment.py``), so a change of the definition that is not also a
deliberate change of this table makes a test fail.

For each pair a case is built in the state with ``org.adjustment_in`` (the scripted demo path
of demo/paths.py, ADJUSTMENT_PATHS), the clock moves on one day, and the door is called by a
role that may use the trigger, with valid data. The outcome is one of:

* ``ok(dest)``          the step is taken and the case is now in ``dest``;
* ``WRONG``             the trigger is not offered in this state: ``WrongState``;
* ``guard(sentence)``   the trigger is offered but a guard refuses: ``GuardFailed`` whose
                        reasons are exactly ``[sentence]``.

A refused call must write nothing: the case's state and version, the number of its step
records, the number of audit events and of sanctions are the same afterwards.

Dates below follow from the frozen clock (2026-03-02, a Monday) and the waits of the demo
path: the admonishment is given on 2026-03-17 (tracked 6 months, to 2026-09-17); the decision
meeting is on 2026-03-25 (the appeal window of 15 days closes on 2026-04-09); the transfer from
post carried out on 2026-04-04 bars promotion for 12 months from the meeting, to 2027-03-25;
the follow-up state is reached on 2026-08-12 after the helper was named and one return visit made.
"""

from contextlib import contextmanager

import flask_babel
import pytest
from sqlalchemy import func, select

from demo.paths import votes
from models import AuditEvent, Case, Sanction, StepRecord, db
from workflow import door
from workflow.errors import GuardFailed, Refused, WrongState
from workflow.registry import workflow_for

from .expect import WRONG, guard, ok

# --- the sentences the guards are expected to give ----------------------------------------
ADMONISHMENT_RUNNING = "The admonishment is tracked until 2026-09-17."
NO_OPEN_APPEAL = "There is no open appeal."
APPEAL_WINDOW_CLOSED = "The appeal window closed 2026-04-09 (15 days after the decision)."
INFLUENCE_RUNNING = "The influence period runs until 2027-03-25; evaluate at its end."
OPINION_RECORDED = "The integrity opinion is already recorded; see the timeline."
# ... and the same sentences for a reader who reads Chinese.
IN_CHINESE = {
    ADMONISHMENT_RUNNING: "诫勉跟踪期至2026-09-17届满，期满前不能结束跟踪。",
    NO_OPEN_APPEAL: "没有待决定的申诉。",
    APPEAL_WINDOW_CLOSED: "申诉期限已于2026-04-09届满（决定后15天内可以申诉）。",
    INFLUENCE_RUNNING: "影响期至2027-03-25届满，请期满后再进行评估。",
    OPINION_RECORDED: "纪检监察机关的党风廉政意见已录入，请查看办理记录。",
}

TRIGGERS = (
    "start_verification", "dismiss_intake", "record_verification", "clarify", "close_without_clarification",
    "claim_fault_tolerance", "determine_fault_tolerance", "issue_warning", "end_tracking", "propose_adjustment",
    "close_case", "hold_talk", "record_integrity_opinion", "record_decision", "carry_out", "file_appeal", "decide_appeal", "name_helper",
    "record_return_visit", "expiry_evaluation",
)


def row(**allowed):
    """One state's row: the triggers named here as given, every other trigger WRONG."""
    unknown = set(allowed) - set(TRIGGERS)
    assert not unknown, unknown
    return {trigger: allowed.get(trigger, WRONG) for trigger in TRIGGERS}


# --- the table: every state, every trigger ---------------------------------------------------
TABLE = {
    "intake": row(
        start_verification=ok("verification"),
        dismiss_intake=ok("closed"),
    ),
    "verification": row(
        record_verification=ok("handling"),  # the data says "founded"
    ),
    "clarification": row(
        clarify=ok("cleared"),  # with the cadre's consent
        close_without_clarification=ok("closed"),
    ),
    "handling": row(
        claim_fault_tolerance=ok("fault_tolerance"),
        issue_warning=ok("warned"),  # a reminder talk; an admonishment goes to tracking (see BRANCHES)
        propose_adjustment=ok("proposal"),
        close_case=ok("closed"),
    ),
    "fault_tolerance": row(
        determine_fault_tolerance=ok("tolerated"),  # tolerated, with a factor
    ),
    "admonishment_tracking": row(
        end_tracking=guard(ADMONISHMENT_RUNNING),
    ),
    "proposal": row(
        hold_talk=ok("decision"),
        record_integrity_opinion=ok("proposal"),
    ),
    "decision": row(
        record_integrity_opinion=guard(OPINION_RECORDED),  # the demo path records it after the talk
        record_decision=ok("reassignment"),  # 7 agree of 9
    ),
    "reassignment": row(
        carry_out=ok("follow_up"),
        file_appeal=ok("reassignment"),  # the day after the meeting: inside the window
        decide_appeal=guard(NO_OPEN_APPEAL),
    ),
    "follow_up": row(
        file_appeal=guard(APPEAL_WINDOW_CLOSED),  # months after the meeting
        decide_appeal=guard(NO_OPEN_APPEAL),
        name_helper=ok("follow_up"),
        record_return_visit=ok("follow_up"),  # the second visit this year
        expiry_evaluation=guard(INFLUENCE_RUNNING),
    ),
    # Final states: nothing can be done any more.
    "cleared": row(),
    "tolerated": row(),
    "warned": row(),
    "not_adjusted": row(),
    "reusable": row(),
    "closed": row(),
}

# --- who acts, and with what (valid) data -------------------------------------------------
ROLE = {
    "start_verification": "discipline_liaison",
    "dismiss_intake": "case_officer",
    "record_verification": "discipline_liaison",
    "clarify": "discipline_liaison",
    "close_without_clarification": "discipline_liaison",
    "claim_fault_tolerance": "case_officer",
    "determine_fault_tolerance": "discipline_liaison",
    "issue_warning": "case_officer",
    "end_tracking": "case_officer",
    "propose_adjustment": "case_officer",
    "close_case": "case_officer",
    "hold_talk": "case_officer",
    "record_integrity_opinion": "discipline_liaison",
    "record_decision": "committee_secretary",
    "carry_out": "case_officer",
    "file_appeal": "case_officer",
    "decide_appeal": "committee_secretary",
    "name_helper": "case_officer",
    "record_return_visit": "case_officer",
    "expiry_evaluation": "case_officer",
}

DATA = {
    "start_verification": lambda t, c, org: {"verifiers": ["陈纪明", "李建国"], "plan": "调阅考勤记录。"},
    "dismiss_intake": lambda t, c, org: {"reason": "反映内容不具体，无法核查。"},
    "record_verification": lambda t, c, org: {
        "findings": "反映属实。", "evidence": ["考勤记录"], "conclusion": "founded"},
    "clarify": lambda t, c, org: {"method": "letter", "consent": True, "text": "反映不实，予以澄清。"},
    "close_without_clarification": lambda t, c, org: {"reason": "本人不要求澄清。"},
    "claim_fault_tolerance": lambda t, c, org: {"claim": "改革试点中先行先试。"},
    "determine_fault_tolerance": lambda t, c, org: {
        "reform_trial": True, "determination": "tolerated", "reasoning": "符合“三个区分开来”。"},
    "issue_warning": lambda t, c, org: {"measure": "reminder_talk", "measure_on": t.isoformat(), "record": "提醒谈话。"},
    "end_tracking": lambda t, c, org: {"evaluation": "跟踪期间表现良好。"},
    "propose_adjustment": lambda t, c, org: {"method": "transfer_from_post", "reasons": "不适宜担任现职。"},
    "close_case": lambda t, c, org: {"reason": "情节轻微，不予处理。"},
    "hold_talk": lambda t, c, org: {"talk_on": t.isoformat(), "talk_by": "王晓梅", "statement": "接受组织安排。"},
    "record_integrity_opinion": lambda t, c, org: {"opinion": "未发现其他违纪违法问题。", "issued_on": t.isoformat()},
    "record_decision": lambda t, c, org: {"meeting_on": t.isoformat(), "votes": votes(7, 1, 1)},
    "carry_out": lambda t, c, org: {
        "new_position": org.post_a_section.id, "new_rank": c.cadre.rank, "effective_on": t.isoformat(),
        "document_no": "市委干〔2026〕7号"},
    "file_appeal": lambda t, c, org: {"filed_on": t.isoformat(), "grounds": "处理过重。"},
    "decide_appeal": lambda t, c, org: {"decided_on": t.isoformat(), "outcome": "upheld", "reasoning": "维持。"},
    "name_helper": lambda t, c, org: {"helper": "李建国", "named_on": t.isoformat()},
    "record_return_visit": lambda t, c, org: {
        "visit_on": t.isoformat(), "visitors": ["李建国", "陈纪明"], "rating": "good", "notes": "状态好转。"},
    "expiry_evaluation": lambda t, c, org: {"result": "reusable", "evaluation": "表现良好，可以使用。"},
}

PAIRS = [(state, trigger, expected) for state, cells in TABLE.items() for trigger, expected in cells.items()]


def _snapshot(case_id):
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    steps = db.session.scalar(select(func.count()).select_from(StepRecord).where(StepRecord.case_id == case_id))
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    sanctions = db.session.scalar(select(func.count()).select_from(Sanction))
    return case.state, case.version, steps, events, sanctions


def test_table_covers_every_state_and_trigger_of_the_definition():
    workflow = workflow_for("adjustment")
    assert set(TABLE) == {s.name for s in workflow.states}
    assert set(TRIGGERS) == set(workflow.triggers())
    assert set(ROLE) == set(TRIGGERS) == set(DATA)


def test_final_states_of_the_table_are_the_final_states_of_the_definition():
    workflow = workflow_for("adjustment")
    finals = {"cleared", "tolerated", "warned", "not_adjusted", "reusable", "closed"}
    assert {s.name for s in workflow.states if s.final} == finals


def test_roles_of_the_table_are_allowed_by_the_definition():
    workflow = workflow_for("adjustment")
    for trigger, role in ROLE.items():
        assert any(t.trigger == trigger and role in t.roles for t in workflow.transitions), trigger


@pytest.mark.parametrize(("state", "trigger", "expected"), PAIRS, ids=[f"{s}-{t}" for s, t, _ in PAIRS])
def test_pair(org, travel, state, trigger, expected):
    case = org.adjustment_in(state)
    assert case.state == state
    case_id = case.id
    travel.days(1)
    before = _snapshot(case_id)
    case = db.session.get(Case, case_id)
    data = DATA[trigger](travel.today, case, org)
    actor = org.users[ROLE[trigger]]

    if expected.kind == "ok":
        outcome = door.advance(case_id, trigger, actor, data, expected_version=before[1], session=db.session)
        after = _snapshot(case_id)
        assert outcome.to_state == after[0] == expected.detail
        assert outcome.from_state == state
        assert after[1] > before[1]  # the version moved on
        assert after[2] == before[2] + 1  # one step record
        assert after[3] == before[3] + 1  # one audit event
        record = db.session.scalars(select(StepRecord).where(StepRecord.case_id == case_id)
                                    .order_by(StepRecord.id.desc())).first()
        assert (record.trigger, record.from_state, record.to_state) == (trigger, state, expected.detail)
        assert record.actor_id == actor.id
        return

    with pytest.raises(Refused) as refused:
        door.advance(case_id, trigger, actor, data, expected_version=before[1], session=db.session)
    if expected.kind == "wrong_state":
        assert type(refused.value) is WrongState, refused.value
        assert refused.value.status == 409
    else:
        assert type(refused.value) is GuardFailed, refused.value
        assert refused.value.status == 422
        assert refused.value.reasons == [expected.detail]
    assert _snapshot(case_id) == before  # nothing written


@contextmanager
def reading_chinese(app):
    """The door called while a Chinese reader's request is handled (the test's app context would
    otherwise keep the locale it has)."""
    with app.test_request_context(headers={"Accept-Language": "zh-CN,zh;q=0.9"}):
        flask_babel.refresh()
        try:
            yield
        finally:
            flask_babel.refresh()


GUARD_PAIRS = [(state, trigger, expected) for state, trigger, expected in PAIRS if expected.kind == "guard"]


@pytest.mark.parametrize(("state", "trigger", "expected"), GUARD_PAIRS, ids=[f"{s}-{t}" for s, t, _ in GUARD_PAIRS])
def test_a_guard_refuses_in_the_readers_language(app, org, travel, state, trigger, expected):
    case = org.adjustment_in(state)
    travel.days(1)
    before = _snapshot(case.id)
    data = DATA[trigger](travel.today, db.session.get(Case, case.id), org)
    with reading_chinese(app), pytest.raises(GuardFailed) as refused:
        door.advance(case.id, trigger, org.users[ROLE[trigger]], data, expected_version=before[1], session=db.session)
    assert refused.value.reasons == [IN_CHINESE[expected.detail]]
    assert _snapshot(case.id) == before


# --- triggers with several destinations: the data chooses the branch -------------------------
BRANCHES = [
    ("verification", "record_verification", {"conclusion": "unfounded"}, "clarification"),
    ("verification", "record_verification", {"conclusion": "partly"}, "handling"),
    ("fault_tolerance", "determine_fault_tolerance", {"determination": "mitigated"}, "handling"),
    ("fault_tolerance", "determine_fault_tolerance", {"determination": "rejected"}, "handling"),
    ("handling", "issue_warning", {"measure": "admonishment"}, "admonishment_tracking"),
    ("handling", "issue_warning", {"measure": "letter_inquiry", "explanation": "书面说明。"}, "warned"),
    ("decision", "record_decision", {"votes": votes(4, 3, 1)}, "not_adjusted"),  # 4 of 9 is not more than half
    ("follow_up", "expiry_evaluation", {"result": "not_reusable"}, "closed"),
]


@pytest.mark.parametrize(("state", "trigger", "change", "dest"), BRANCHES,
                         ids=[f"{s}-{t}-{d}" for s, t, _, d in BRANCHES])
def test_branch(org, travel, state, trigger, change, dest):
    case = org.adjustment_in(state)
    travel.days(1)
    if trigger == "expiry_evaluation":
        travel.to(travel.today.replace(year=2027, month=3, day=25))  # the influence period is over
    case = db.session.get(Case, case.id)
    data = {**DATA[trigger](travel.today, case, org), **change}
    outcome = door.advance(case.id, trigger, org.users[ROLE[trigger]], data, session=db.session)
    assert outcome.to_state == _snapshot(case.id)[0] == dest
