"""Every (state, trigger) pair of the promotion workflow, through the one door.

The expected outcome of each pair is written out by hand in ``TABLE`` below (it is *not*
derived from ``workflow/promotion.py``), so a change of the definition that is not also a
deliberate change of this table makes a test fail.

For each pair a case is built in the state with ``org.case_in`` (the scripted demo path),
the clock moves on one day, and the door is called by a role that may use the trigger, with
valid data. The outcome is one of:

* ``ok(dest)``          the step is taken and the case is now in ``dest``;
* ``WRONG``             the trigger is not offered in this state: ``WrongState``;
* ``guard(sentence)``   the trigger is offered but a guard refuses: ``GuardFailed`` whose
                        reasons are exactly ``[sentence]``.

A refused call must write nothing: the case's version and state, and the number of step
records and audit events, are the same afterwards.

Dates below follow from the frozen clock (2026-03-02) and the waits in demo/paths.py: the
decision meeting is on 2026-03-22, publicity starts on 2026-03-24 and (5 working days,
counting the start day) ends on 2026-03-30; probation runs 12 months from the meeting, to
2027-03-22.
"""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from demo.paths import votes
from models import AuditEvent, Case, StepRecord, db
from workflow import door
from workflow.errors import GuardFailed, Refused, WrongState
from workflow.registry import workflow_for

from .expect import WRONG, guard, ok
from .reading import in_chinese

# --- the sentences the guards are expected to give (in English, the tests' language) ----------
CHECKS_MISSING = (
    "These mandatory checks are not recorded yet: Personnel file reviewed; Personal-matters report verified; "
    "Integrity opinion received; Specific complaints investigated."
)
NO_OBJECTION_WAITING = "There is no objection waiting for an answer."
ONE_UNANSWERED = "1 objection(s) are not answered yet."
CANCEL_NEEDS_FINDING = "Cancel only after an objection was found disqualifying; otherwise withdraw the case."
PUBLICITY_RUNNING = "Publicity runs until 2026-03-30; appointment is possible from the next day."
PROBATION_RUNNING = "Probation ends on 2027-03-22; assess it then."

# ... and to a reader whose browser asks for Chinese.
IN_CHINESE = {
    CHECKS_MISSING: "以下必查事项尚未录入：干部人事档案审核；个人有关事项报告核查；党风廉政意见回复；信访举报核查。",
    NO_OBJECTION_WAITING: "没有待核查答复的反映。",
    ONE_UNANSWERED: "尚有1件反映未核查答复。",
    CANCEL_NEEDS_FINDING: "只有在反映的问题查实影响任用后才能取消任用；否则请撤回本案。",
    PUBLICITY_RUNNING: "任前公示期至2026-03-30，次日起方可任职。",
    PROBATION_RUNNING: "试用期至2027-03-22届满，届时再进行考核。",
}

# --- the table: every state, every trigger ---------------------------------------------------
TABLE = {
    "nomination": {
        "record_recommendation": ok("nomination"),
        "record_exception": ok("nomination"),
        "select_for_inspection": ok("inspection"),
        "record_check": WRONG,
        "conclude_inspection": WRONG,
        "record_decision": WRONG,
        "start_publicity": WRONG,
        "record_objection": WRONG,
        "answer_objection": WRONG,
        "resume_publicity": WRONG,
        "cancel": WRONG,
        "appoint": WRONG,
        "confirm_probation": WRONG,
        "fail_probation": WRONG,
        "put_on_hold": ok("on_hold"),
        "release_hold": WRONG,
        "withdraw": ok("withdrawn"),
    },
    "inspection": {
        "record_recommendation": WRONG,
        "record_exception": WRONG,
        "select_for_inspection": WRONG,
        "record_check": ok("inspection"),
        "conclude_inspection": guard(CHECKS_MISSING),
        "record_decision": WRONG,
        "start_publicity": WRONG,
        "record_objection": WRONG,
        "answer_objection": WRONG,
        "resume_publicity": WRONG,
        "cancel": WRONG,
        "appoint": WRONG,
        "confirm_probation": WRONG,
        "fail_probation": WRONG,
        "put_on_hold": ok("on_hold"),
        "release_hold": WRONG,
        "withdraw": ok("withdrawn"),
    },
    "decision": {
        "record_recommendation": WRONG,
        "record_exception": WRONG,
        "select_for_inspection": WRONG,
        "record_check": WRONG,
        "conclude_inspection": WRONG,
        "record_decision": ok("approved"),
        "start_publicity": WRONG,
        "record_objection": WRONG,
        "answer_objection": WRONG,
        "resume_publicity": WRONG,
        "cancel": WRONG,
        "appoint": WRONG,
        "confirm_probation": WRONG,
        "fail_probation": WRONG,
        "put_on_hold": ok("on_hold"),
        "release_hold": WRONG,
        "withdraw": ok("withdrawn"),
    },
    "approved": {
        "record_recommendation": WRONG,
        "record_exception": WRONG,
        "select_for_inspection": WRONG,
        "record_check": WRONG,
        "conclude_inspection": WRONG,
        "record_decision": WRONG,
        "start_publicity": ok("publicity"),
        "record_objection": WRONG,
        "answer_objection": WRONG,
        "resume_publicity": WRONG,
        "cancel": WRONG,
        "appoint": WRONG,
        "confirm_probation": WRONG,
        "fail_probation": WRONG,
        "put_on_hold": ok("on_hold"),
        "release_hold": WRONG,
        "withdraw": ok("withdrawn"),
    },
    "publicity": {
        "record_recommendation": WRONG,
        "record_exception": WRONG,
        "select_for_inspection": WRONG,
        "record_check": WRONG,
        "conclude_inspection": WRONG,
        "record_decision": WRONG,
        "start_publicity": WRONG,
        "record_objection": ok("publicity_suspended"),  # the data marks it substantive
        "answer_objection": guard(NO_OBJECTION_WAITING),  # no objection was received yet
        "resume_publicity": WRONG,
        "cancel": guard(CANCEL_NEEDS_FINDING),
        "appoint": guard(PUBLICITY_RUNNING),
        "confirm_probation": WRONG,
        "fail_probation": WRONG,
        "put_on_hold": ok("on_hold"),
        "release_hold": WRONG,
        "withdraw": ok("withdrawn"),
    },
    "publicity_suspended": {
        "record_recommendation": WRONG,
        "record_exception": WRONG,
        "select_for_inspection": WRONG,
        "record_check": WRONG,
        "conclude_inspection": WRONG,
        "record_decision": WRONG,
        "start_publicity": WRONG,
        "record_objection": ok("publicity_suspended"),
        "answer_objection": ok("publicity_suspended"),
        "resume_publicity": guard(ONE_UNANSWERED),
        "cancel": guard(CANCEL_NEEDS_FINDING),
        "appoint": WRONG,
        "confirm_probation": WRONG,
        "fail_probation": WRONG,
        "put_on_hold": ok("on_hold"),
        "release_hold": WRONG,
        "withdraw": ok("withdrawn"),
    },
    "probation": {
        "record_recommendation": WRONG,
        "record_exception": WRONG,
        "select_for_inspection": WRONG,
        "record_check": WRONG,
        "conclude_inspection": WRONG,
        "record_decision": WRONG,
        "start_publicity": WRONG,
        "record_objection": WRONG,
        "answer_objection": WRONG,
        "resume_publicity": WRONG,
        "cancel": WRONG,
        "appoint": WRONG,
        "confirm_probation": guard(PROBATION_RUNNING),
        "fail_probation": guard(PROBATION_RUNNING),
        "put_on_hold": WRONG,
        "release_hold": WRONG,
        "withdraw": WRONG,
    },
    "on_hold": {  # demo path: held during inspection
        "record_recommendation": WRONG,
        "record_exception": WRONG,
        "select_for_inspection": WRONG,
        "record_check": WRONG,
        "conclude_inspection": WRONG,
        "record_decision": WRONG,
        "start_publicity": WRONG,
        "record_objection": WRONG,
        "answer_objection": WRONG,
        "resume_publicity": WRONG,
        "cancel": WRONG,
        "appoint": WRONG,
        "confirm_probation": WRONG,
        "fail_probation": WRONG,
        "put_on_hold": WRONG,
        "release_hold": ok("inspection"),  # back to where it was held
        "withdraw": ok("withdrawn"),
    },
}
# Final states: nothing can be done any more.
for _final in ("appointed", "confirmed", "removed", "withdrawn", "rejected", "cancelled"):
    TABLE[_final] = {trigger: WRONG for trigger in TABLE["nomination"]}

# --- who acts, and with what (valid) data -------------------------------------------------
ROLE = {
    "record_recommendation": "case_officer",
    "record_exception": "case_officer",
    "select_for_inspection": "case_officer",
    "record_check": "inspector",
    "conclude_inspection": "inspector",
    "record_decision": "committee_secretary",
    "start_publicity": "case_officer",
    "record_objection": "case_officer",
    "answer_objection": "discipline_liaison",
    "resume_publicity": "case_officer",
    "cancel": "case_officer",
    "appoint": "case_officer",
    "confirm_probation": "case_officer",
    "fail_probation": "case_officer",
    "put_on_hold": "discipline_liaison",
    "release_hold": "discipline_liaison",
    "withdraw": "case_officer",
}


def _after_publicity(today, case):
    """An effective date the date guards accept, so that only the publicity guard can speak."""
    return max(today, case.publicity_end + timedelta(days=1)) if case.publicity_end else today


def _last_objection_id(case):
    return case.objections[-1].id if case.objections else 0


DATA = {
    "record_recommendation": lambda t, c: {
        "method": "meeting", "posts": 1, "participants": 35, "tallies": ["张三 30", "李四 5"], "shortlist": ["张三"]},
    "record_exception": lambda t, c: {
        "grounds": "crisis", "reason": "抗洪抢险中实绩突出。", "approved_by": "上级组织部", "approval_ref": "组干〔2026〕3号",
        "approved_on": t.isoformat()},
    "select_for_inspection": lambda t, c: {"team": ["李建国", "赵敏"], "notice_on": t.isoformat(), "plan": "考察方案"},
    "record_check": lambda t, c: {"check": "personnel_file", "outcome": "档案审核无误。"},
    "conclude_inspection": lambda t, c: {
        "interviews": 20, "rating_excellent": 15, "rating_competent": 5, "rating_basic": 0, "rating_incompetent": 0,
        "findings": "表现好。", "integrity_conclusion": "廉洁。"},
    "record_decision": lambda t, c: {"meeting_on": t.isoformat(), "votes": votes(7, 1, 1)},
    "start_publicity": lambda t, c: {"start_on": t.isoformat(), "channel": "公示栏", "text": "拟任职公示。"},
    "record_objection": lambda t, c: {
        "received_on": t.isoformat(), "channel": "来信", "content": "反映问题。", "substantive": True},
    "answer_objection": lambda t, c: {
        "objection": _last_objection_id(c), "finding": "反映不实。", "answer": "已答复。", "disqualifying": False},
    "resume_publicity": lambda t, c: {"resumed_on": t.isoformat(), "note": ""},
    "cancel": lambda t, c: {"reason": "取消任用。"},
    "appoint": lambda t, c: {
        "document_no": "任〔2026〕9号", "effective_on": _after_publicity(t, c).isoformat(), "talk_by": "王晓梅",
        "talk_on": t.isoformat()},
    "confirm_probation": lambda t, c: {"assessed_on": t.isoformat(), "assessment": "合格。"},
    "fail_probation": lambda t, c: {"assessed_on": t.isoformat(), "assessment": "不合格。"},
    "put_on_hold": lambda t, c: {"reason": "线索核查中。", "clue_ref": "XS-1"},
    "release_hold": lambda t, c: {"clarification": "已澄清。"},
    "withdraw": lambda t, c: {"reason": "撤回。"},
}

PAIRS = [(state, trigger, expected) for state, row in TABLE.items() for trigger, expected in row.items()]
GUARDED = [(state, trigger, expected) for state, trigger, expected in PAIRS if expected.kind == "guard"]


def _counts(session, case_id):
    steps = session.scalar(select(func.count()).select_from(StepRecord).where(StepRecord.case_id == case_id))
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    return steps, events


def _snapshot(session, case_id):
    session.expire_all()
    case = session.get(Case, case_id)
    return (case.state, case.version, *_counts(session, case_id))


def test_table_covers_every_state_and_trigger_of_the_definition():
    workflow = workflow_for("promotion")
    states = [s.name for s in workflow.states]
    triggers = workflow.triggers()
    assert set(TABLE) == set(states)
    for state in states:
        assert set(TABLE[state]) == set(triggers), state
    assert set(ROLE) == set(triggers) == set(DATA)


def test_roles_of_the_table_are_allowed_by_the_definition():
    workflow = workflow_for("promotion")
    for trigger, role in ROLE.items():
        assert any(t.trigger == trigger and role in t.roles for t in workflow.transitions), trigger


@pytest.mark.parametrize(("state", "trigger", "expected"), PAIRS, ids=[f"{s}-{t}" for s, t, _ in PAIRS])
def test_pair(org, travel, state, trigger, expected):
    session = db.session
    case = org.case_in(state, post=org.post_a_plain if state == "appointed" else org.post_a)
    assert case.state == state
    case_id = case.id
    travel.days(1)
    before = _snapshot(session, case_id)
    case = session.get(Case, case_id)
    data = DATA[trigger](travel.today, case)
    actor = org.users[ROLE[trigger]]

    if expected.kind == "ok":
        outcome = door.advance(case_id, trigger, actor, data, expected_version=before[1], session=session)
        after = _snapshot(session, case_id)
        assert outcome.to_state == expected.detail
        assert after[0] == expected.detail
        assert after[1] > before[1]  # the version moved on (see test_door for the audit of it)
        assert after[2] == before[2] + 1  # one step record
        assert after[3] == before[3] + 1  # one audit event
        return

    with pytest.raises(Refused) as refused:
        door.advance(case_id, trigger, actor, data, expected_version=before[1], session=session)
    if expected.kind == "wrong_state":
        assert type(refused.value) is WrongState, refused.value
        assert refused.value.status == 409
    else:
        assert type(refused.value) is GuardFailed, refused.value
        assert refused.value.status == 422
        assert refused.value.reasons == [expected.detail]
    assert _snapshot(session, case_id) == before  # nothing written


# The on_hold row above is built by holding a case in inspection; a hold can start in any of these
# states, and releasing it must return the case exactly there (with that state's deadline).
HOLD_AND_RELEASE = [
    ("nomination", "step_limit"),
    ("inspection", "step_limit"),
    ("decision", "step_limit"),
    ("approved", "step_limit"),
    ("publicity", "publicity_end"),
    ("publicity_suspended", "step_limit"),
]


@pytest.mark.parametrize(("origin", "due_kind"), HOLD_AND_RELEASE, ids=[h[0] for h in HOLD_AND_RELEASE])
def test_release_hold_returns_to_the_state_it_was_held_from(org, travel, origin, due_kind):
    case = org.case_in(origin)
    liaison = org.users["discipline_liaison"]
    travel.days(1)
    door.advance(case.id, "put_on_hold", liaison, {"reason": "线索核查中。"}, session=db.session)
    assert _snapshot(db.session, case.id)[0] == "on_hold"
    travel.days(5)
    outcome = door.advance(case.id, "release_hold", liaison, {"clarification": "已澄清。"}, session=db.session)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert outcome.to_state == case.state == origin
    assert case.held_from is None
    assert case.due_kind == due_kind
    if origin == "publicity":
        # Held on 03-25 with 3 working days left (26, 27, 30); released 03-30: those 3 run again from then.
        assert case.due_on == case.publicity_end == date(2026, 4, 1)


def test_every_guard_sentence_of_the_table_has_its_chinese():
    assert {expected.detail for _, _, expected in GUARDED} == set(IN_CHINESE)


@pytest.mark.parametrize(("state", "trigger", "expected"), GUARDED, ids=[f"{s}-{t}" for s, t, _ in GUARDED])
def test_guard_refusal_in_chinese(app, org, travel, state, trigger, expected):
    case = org.case_in(state)
    travel.days(1)
    before = _snapshot(db.session, case.id)
    case = db.session.get(Case, case.id)
    data = DATA[trigger](travel.today, case)
    with in_chinese(app), pytest.raises(GuardFailed) as refused:
        door.advance(case.id, trigger, org.users[ROLE[trigger]], data, expected_version=before[1], session=db.session)
    assert refused.value.reasons == [IN_CHINESE[expected.detail]]
    assert _snapshot(db.session, case.id) == before  # nothing written
