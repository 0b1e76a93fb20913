"""The one door (workflow/door.py): who may act, on which case, with which version and data;
what one step writes; the audit chain; the rule set a case is judged by; opening a case."""
import html
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models import AuditEvent, AuditHead, Case, Position, RuleSet, StepRecord, User, db
from workflow import audit, clock, door
from workflow.audit import GENESIS, event_hash
from workflow.errors import Forbidden, GuardFailed, InvalidData, NotFound, Refused, StaleCase, WrongState
from workflow.rules import active_rule_set, default_data

from .reading import in_chinese


def _state(case_id):
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    steps = db.session.scalar(select(func.count()).select_from(StepRecord).where(StepRecord.case_id == case_id))
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    return case.state, case.version, steps, events


def _totals():
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Case, StepRecord, AuditEvent))


def select_data(org, **changes):
    return {"team": ["李建国", "赵敏"], "notice_on": org.travel.today.isoformat(), "plan": "考察方案", **changes}


def exception_data(**changes):
    return {"grounds": "crisis", "reason": "抗洪抢险中实绩突出。", "approved_by": "上级组织部",
            "approval_ref": "组干〔2026〕3号", "approved_on": "2026-03-02", **changes}


def refused(case, trigger, actor, data, kind, expected_version=None):
    before = _state(case.id)
    with pytest.raises(Refused) as info:
        door.advance(case.id, trigger, actor, data, expected_version=expected_version, session=db.session)
    assert type(info.value) is kind, info.value
    assert _state(case.id) == before, "a refused call wrote something"
    return info.value


# --- stale versions ---------------------------------------------------------------------------

def test_stale_expected_version_is_refused_and_nothing_written(org, travel):
    case = org.open_case()
    seen = case.version
    for stale in (seen - 1, seen + 1, str(seen - 1)):
        error = refused(case, "select_for_inspection", org.users["case_officer"], select_data(org), StaleCase, stale)
        assert error.status == 409
        assert "Nothing was saved" in error.message
    outcome = door.advance(case.id, "select_for_inspection", org.users["case_officer"], select_data(org),
                           expected_version=str(seen), session=db.session)
    assert outcome.to_state == "inspection"


def test_second_user_on_the_same_version_is_refused(org, travel):
    case = org.case_in("publicity_suspended")
    travel.days(1)
    seen = _state(case.id)[1]
    db.session.expire_all()
    objection_id = db.session.get(Case, case.id).objections[-1].id
    door.advance(case.id, "answer_objection", org.users["discipline_liaison"],
                 {"objection": objection_id, "finding": "不实。", "answer": "已答复。"}, expected_version=seen, session=db.session)
    error = refused(case, "withdraw", org.users["case_officer"], {"reason": "撤回。"}, StaleCase, seen)
    assert error.status == 409


def test_concurrent_change_in_another_session_is_refused_not_lost(org, travel):
    case = org.open_case()
    loaded = db.session.get(Case, case.id)  # this session holds the case as it was
    assert loaded.state == "nomination"
    travel.days(1)
    with Session(db.engine) as other:
        door.advance(case.id, "withdraw", other.get(User, org.users["case_officer"].id), {"reason": "撤回。"}, session=other)
    # The door's locked read takes the case as it is now, not as this session held it: the step is
    # judged against the withdrawn case (and a page that sent the version it showed gets "stale").
    with pytest.raises(WrongState):
        door.advance(case.id, "select_for_inspection", org.users["case_officer"], select_data(org), session=db.session)
    with pytest.raises(StaleCase):
        door.advance(case.id, "select_for_inspection", org.users["case_officer"], select_data(org), session=db.session,
                     expected_version=1)  # the version this session showed
    assert _state(case.id)[0] == "withdrawn"
    assert db.session.scalars(select(StepRecord.trigger).where(StepRecord.case_id == case.id).order_by(StepRecord.id)).all() == ["open", "withdraw"]


# --- roles and units --------------------------------------------------------------------------

@pytest.mark.parametrize(("state", "trigger", "role"), [
    ("nomination", "select_for_inspection", "auditor"),
    ("nomination", "select_for_inspection", "inspector"),
    ("nomination", "select_for_inspection", "administrator"),
    ("inspection", "record_check", "committee_secretary"),
    ("decision", "record_decision", "case_officer"),
    ("decision", "record_decision", "inspector"),
    ("approved", "start_publicity", "committee_secretary"),
    ("publicity", "appoint", "discipline_liaison"),
    ("nomination", "withdraw", "inspector"),
    ("nomination", "put_on_hold", "committee_secretary"),
])
def test_role_not_allowed_is_forbidden(org, travel, state, trigger, role):
    case = org.case_in(state)
    error = refused(case, trigger, org.users[role], {}, Forbidden)
    assert error.status == 403


def test_other_units_case_is_not_found(org, travel):
    case = org.open_case()  # post in unit A
    assert case.unit_id == org.unit_a.id
    for trigger in ("select_for_inspection", "withdraw", "put_on_hold"):
        error = refused(case, trigger, org.officer_b, select_data(org) | {"reason": "x"}, NotFound)
        assert error.status == 404
    # the same officer may act on a case of unit B
    own = org.open_case(cadre=org.cadre(unit=org.unit_b), post=org.post_b, officer=org.officer_b)
    outcome = door.advance(own.id, "select_for_inspection", org.officer_b, select_data(org), session=db.session)
    assert outcome.to_state == "inspection"


def test_other_units_case_is_not_found_even_with_a_wrong_trigger_or_role(org, travel):
    case = org.open_case()
    refused(case, "no_such_step", org.officer_b, {}, NotFound)
    b_liaison = User(username="liaison_b", display_name="liaison b", password_hash="x", role="discipline_liaison",
                     units=[org.unit_b])
    db.session.add(b_liaison)
    db.session.commit()
    refused(case, "select_for_inspection", b_liaison, select_data(org), NotFound)


def test_missing_case_and_unknown_trigger_are_not_found(org, travel):
    with pytest.raises(NotFound):
        door.advance(999_999, "withdraw", org.users["case_officer"], {"reason": "x"}, session=db.session)
    case = org.open_case()
    refused(case, "approve_everything", org.users["case_officer"], {}, NotFound)


# --- data --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("state", "trigger", "data", "fields"), [
    ("nomination", "select_for_inspection", {"notice_on": "2026-03-02"}, {"team"}),
    ("nomination", "select_for_inspection", {}, {"team", "notice_on"}),
    ("nomination", "select_for_inspection", {"team": ["李建国", "赵敏"], "notice_on": "2026-02-30"}, {"notice_on"}),
    ("nomination", "select_for_inspection", {"team": ["李建国", "赵敏"], "notice_on": "next week"}, {"notice_on"}),
    ("nomination", "select_for_inspection", {"team": ["李" * 201, "赵敏"], "notice_on": "2026-03-02"}, {"team"}),
    ("nomination", "select_for_inspection", {"team": ["李建国", "赵敏"], "notice_on": "2026-03-02", "plan": "x" * 4001},
     {"plan"}),
    ("nomination", "record_exception", exception_data(approval_ref="号" * 61), {"approval_ref"}),
    ("nomination", "record_exception", exception_data(reason="理" * 4001), {"reason"}),
    ("nomination", "record_exception", exception_data(grounds="friendship"), {"grounds"}),
    ("nomination", "record_exception", exception_data(reason="a\x00b"), {"reason"}),
    ("nomination", "record_recommendation", {"method": "meeting", "posts": 0, "participants": "many", "tallies": ["a 1"],
                                             "shortlist": ["a"]}, {"posts", "participants"}),
    ("inspection", "record_check", {"check": "astrology", "outcome": "x"}, {"check"}),
    ("inspection", "record_check", {"check": "personnel_file", "outcome": "   "}, {"outcome"}),
    ("approved", "start_publicity", {"start_on": "2026-03-24", "channel": "栏" * 121, "text": "公示。"}, {"channel"}),
    ("decision", "record_decision", {"meeting_on": "2026-03-20", "votes": [{"name": "甲", "vote": "maybe"}]}, {"votes"}),
    ("decision", "record_decision", {"meeting_on": "2026-03-20",
                                     "votes": [{"name": "甲", "vote": "agree"}, {"name": "甲", "vote": "agree"}]}, {"votes"}),
])
def test_invalid_data_is_refused_with_field_errors_and_nothing_written(org, travel, state, trigger, data, fields):
    case = org.case_in(state)
    role = {"record_check": "inspector", "record_decision": "committee_secretary"}.get(trigger, "case_officer")
    error = refused(case, trigger, org.users[role], data, InvalidData)
    assert error.status == 422
    assert set(error.field_errors) == fields
    assert all(isinstance(v, str) and v for v in error.field_errors.values())


def test_field_error_sentences_say_what_is_wrong(org, travel):
    case = org.open_case()
    error = refused(case, "record_exception", org.users["case_officer"],
                    exception_data(approval_ref="号" * 61, approved_on="2026-02-30"), InvalidData)
    assert error.field_errors["approval_ref"] == "Approval document number is too long (at most 60 characters)."
    assert error.field_errors["approved_on"] == "Approval date: '2026-02-30' is not a date (YYYY-MM-DD)."


def test_date_before_the_case_was_opened_is_refused(app, org, travel):
    case = org.open_case()  # 2026-03-02 10:00 local
    travel.days(1)
    error = refused(case, "select_for_inspection", org.users["case_officer"], select_data(org, notice_on="2026-03-01"),
                    GuardFailed)
    assert error.reasons == ["2026-03-01 must be on or after the day the case was opened (2026-03-02)."]
    with in_chinese(app):
        error = refused(case, "select_for_inspection", org.users["case_officer"], select_data(org, notice_on="2026-03-01"),
                        GuardFailed)
    assert error.reasons == ["2026-03-01不得早于发起案件之日（2026-03-02）。"]
    assert door.advance(case.id, "select_for_inspection", org.users["case_officer"], select_data(org, notice_on="2026-03-02"),
                        session=db.session).to_state == "inspection"


def test_date_before_opening_is_judged_by_the_local_day(org, travel):
    """07:00 in Beijing is still the previous day in UTC: the local day must be the one that counts."""
    travel.to(date(2026, 3, 2), hour=7)  # 2026-03-01 23:00 UTC
    case = org.open_case()
    error = refused(case, "select_for_inspection", org.users["case_officer"], select_data(org, notice_on="2026-03-01"),
                    GuardFailed)
    assert error.reasons == ["2026-03-01 must be on or after the day the case was opened (2026-03-02)."]


DATES_OUT_OF_REACH = [  # (trigger, data changes, English, Chinese); the case was opened on 2026-03-02, today is 03-12
    ("select_for_inspection", {"notice_on": "2026-03-04"},
     "2026-03-04 is more than 7 days ago: record each step when it happens.",
     "2026-03-04早于允许补录的7天：每一步骤应在办理时及时录入。"),
    ("select_for_inspection", {"notice_on": "2026-04-12"},
     "2026-04-12 is more than 30 days ahead.", "2026-04-12晚于今天超过30天，日期过远。"),
    ("record_exception", {"approved_on": "2026-03-13"},
     "2026-03-13 is in the future.", "2026-03-13晚于今天，日期不能晚于今天。"),
]


@pytest.mark.parametrize(("trigger", "changes", "sentence", "sentence_zh"), DATES_OUT_OF_REACH,
                         ids=["too_far_back", "too_far_ahead", "in_the_future"])
def test_dates_too_far_back_or_ahead_are_refused(app, org, travel, trigger, changes, sentence, sentence_zh):
    case = org.open_case()
    travel.to(date(2026, 3, 12))
    data = select_data(org, **changes) if trigger == "select_for_inspection" else exception_data(**changes)
    error = refused(case, trigger, org.users["case_officer"], data, GuardFailed)
    assert error.reasons == [sentence]
    with in_chinese(app):
        error = refused(case, trigger, org.users["case_officer"], data, GuardFailed)
    assert error.reasons == [sentence_zh]


def test_appointment_must_come_after_the_end_of_publicity(app, org, travel):
    case = org.case_in("publicity")  # publicity ends on 2026-03-30
    travel.to(date(2026, 3, 31))
    data = {"document_no": "任〔2026〕9号", "effective_on": "2026-03-30", "talk_by": "王晓梅", "talk_on": "2026-03-31"}
    error = refused(case, "appoint", org.users["case_officer"], data, GuardFailed)
    assert error.reasons == ["2026-03-30 must be after the end of publicity (2026-03-30)."]
    with in_chinese(app):
        error = refused(case, "appoint", org.users["case_officer"], data, GuardFailed)
    assert error.reasons == ["2026-03-30须晚于任前公示截止日期（2026-03-30）。"]


# --- what one step writes -------------------------------------------------------------------

def test_the_record_shows_what_each_step_wrote_in_the_readers_language(web, org, travel):
    """workflow/records.py: the facts a step adds (publicity end, the previous post, probation end),
    yes/no answers and lists, in English or in Chinese."""
    appointed = org.case_in("probation")
    suspended = org.case_in("publicity_suspended", name="李四")
    web.login("case_officer")

    def record(case):
        return html.unescape(web.get(f"/cases/{case.id}/record").get_data(as_text=True))

    page = record(appointed)
    for shown in ("1. Case opened</h2>", "<dd>李建国; 赵敏</dd>", "<dt>Publicity ends</dt><dd>2026-03-30</dd>",
                  "<dt>Previous post and rank</dt><dd>no post · Section chief since 2019-01-01</dd>",
                  "<dt>Probation ends</dt><dd>2027-03-22</dd>"):
        assert shown in page, shown
    assert "<dt>Substantive: suspends the publicity</dt><dd>Yes</dd>" in record(suspended)

    web.speak("zh")
    page = record(appointed)
    for shown in ("1. 发起案件</h2>", "<dd>李建国；赵敏</dd>", "<dt>公示截止</dt><dd>2026-03-30</dd>",
                  "<dt>原任职务职级</dt><dd>无职务 · 2019-01-01起任正科级</dd>", "<dt>试用期满</dt><dd>2027-03-22</dd>"):
        assert shown in page, shown
    assert "<dt>需核查（暂停公示）</dt><dd>是</dd>" in record(suspended)


def test_a_fresh_step_form_offers_its_defaults_in_the_readers_language(web, org, travel):
    case = org.case_in("approved")
    web.login("case_officer")
    page = html.unescape(web.get(f"/cases/{case.id}").get_data(as_text=True))
    assert 'value="Unit notice board and website"' in page
    page = html.unescape(web.speak("zh").get(f"/cases/{case.id}").get_data(as_text=True))
    assert 'value="单位公示栏及网站"' in page and "公示渠道" in page


STEPS = [  # (trigger, role, data(today, case))
    ("select_for_inspection", "case_officer", lambda t, c: {"team": ["李建国", "赵敏"], "notice_on": t}),
    ("record_check", "inspector", lambda t, c: {"check": "personnel_file", "outcome": "无误。"}),
    ("record_check", "inspector", lambda t, c: {"check": "personal_matters", "outcome": "一致。"}),
    ("record_check", "inspector", lambda t, c: {"check": "complaints", "outcome": "无。"}),
    ("record_check", "discipline_liaison", lambda t, c: {"check": "integrity_opinion", "outcome": "无问题。"}),
    ("conclude_inspection", "inspector", lambda t, c: {
        "interviews": 20, "rating_excellent": 15, "rating_competent": 5, "rating_basic": 0, "rating_incompetent": 0,
        "findings": "好。", "integrity_conclusion": "廉洁。"}),
    ("record_decision", "committee_secretary", lambda t, c: {
        "meeting_on": t, "votes": [{"name": f"委员{i}", "vote": "agree" if i < 6 else "absent"} for i in range(9)]}),
    ("start_publicity", "case_officer", lambda t, c: {"start_on": t, "channel": "公示栏", "text": "公示。"}),
    ("record_objection", "case_officer", lambda t, c: {
        "received_on": t, "channel": "来信", "content": "反映。", "substantive": True}),
    ("answer_objection", "discipline_liaison", lambda t, c: {
        "objection": c.objections[-1].id, "finding": "不实。", "answer": "已答复。"}),
    ("resume_publicity", "case_officer", lambda t, c: {"resumed_on": t}),
    ("put_on_hold", "discipline_liaison", lambda t, c: {"reason": "线索核查。"}),
    ("release_hold", "discipline_liaison", lambda t, c: {"clarification": "已澄清。"}),
    ("withdraw", "case_officer", lambda t, c: {"reason": "撤回。"}),
]


def _committed(case_id):
    """What another connection sees: proof that the step was committed, not only flushed."""
    with db.engine.connect() as conn:
        state, version = conn.execute(text('SELECT state, version FROM "case" WHERE id = :id'), {"id": case_id}).one()
        steps = conn.execute(text("SELECT count(*) FROM step_record WHERE case_id = :id"), {"id": case_id}).scalar()
        events = conn.execute(text("SELECT count(*) FROM audit_event")).scalar()
    return state, version, steps, events


def test_every_successful_step_writes_one_record_and_one_audit_event(org, travel):
    case = org.open_case()
    for trigger, role, data in STEPS:
        travel.days(1)
        before = _committed(case.id)
        db.session.expire_all()
        loaded = db.session.get(Case, case.id)
        actor = org.users[role]
        outcome = door.advance(case.id, trigger, actor, data(travel.today.isoformat(), loaded), session=db.session)
        after = _committed(case.id)
        assert after[2] == before[2] + 1, trigger
        assert after[3] == before[3] + 1, trigger
        assert after[0] == outcome.to_state
        assert after[1] > before[1]

        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        record = db.session.scalars(select(StepRecord).where(StepRecord.case_id == case.id).order_by(StepRecord.id.desc())).first()
        assert event.kind == "case.transition"
        assert (event.case_id, event.actor_id, event.unit_id, event.cadre_id) == (case.id, actor.id, case.unit_id, case.cadre_id)
        assert event.occurred_at == clock.now()
        assert event.before == {"state": before[0], "version": before[1]}, trigger
        assert event.after["version"] == after[1]
        assert event.after["state"] == after[0]
        assert event.after["trigger"] == trigger
        assert event.after["record_id"] == record.id == outcome.record.id
        assert event.after["data"] == record.data
        assert (record.trigger, record.from_state, record.to_state, record.actor_id) == (trigger, before[0], after[0], actor.id)
        assert record.recorded_at == clock.now()
    assert _committed(case.id)[0] == "withdrawn"


def test_a_step_reads_the_actor_scope_and_case_once_and_writes_each_row_once(org, travel):
    """The door's statements (workflow/door.py): the actor with the change tokens and its units in
    one query, the case locked, then the case, its record, the event and the chain head written once
    each; the rule set and the calendar are kept under their tokens, not read again per step."""
    from sqlalchemy import event

    case = org.open_case()
    officer = org.users["case_officer"]
    door.advance(case.id, "put_on_hold", officer, {"reason": "线索核查。"}, session=db.session)  # keeps what it reads
    seen = []

    def log(_conn, _cursor, statement, *_rest):
        seen.append(" ".join(statement.split()[:3]))

    version = _state(case.id)[1]
    event.listen(db.engine, "before_cursor_execute", log)
    try:
        door.advance(case.id, "release_hold", officer, {"clarification": "已澄清。"}, session=db.session)
    finally:
        event.remove(db.engine, "before_cursor_execute", log)
    assert _state(case.id)[1] == version + 1, "the case is written once: one version"
    reads = [s for s in seen if s.startswith("SELECT")]
    writes = [s for s in seen if not s.startswith("SELECT")]
    assert len(reads) == 3, seen  # the case (locked); actor + tokens + units; the chain head (locked)
    # The case is locked first: the scope and the tokens are read after any wait for the lock.
    assert reads[0].startswith('SELECT "case".id') and reads[1].startswith("SELECT app_user.id"), reads
    assert not any("rule_set" in s or "change_token.token FROM" in s for s in seen), seen
    assert [w.replace('"', "") for w in writes] == [
        "INSERT INTO step_record", "UPDATE case SET", "INSERT INTO audit_event", "UPDATE audit_head SET"]


def test_audit_before_is_the_version_the_case_had_even_when_an_effect_flushes(org, travel):
    """record_objection's effect flushes mid-step, so the version moves on twice in one step; the
    audit event must still name the version the user saw, not ``version - 1``."""
    case = org.case_in("publicity")
    travel.days(1)
    state, seen, _, _ = _state(case.id)
    door.advance(case.id, "record_objection", org.users["case_officer"], {
        "received_on": travel.today.isoformat(), "channel": "来信", "content": "反映。", "substantive": True},
        expected_version=seen, session=db.session)
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.before == {"state": "publicity", "version": seen}
    assert event.after["version"] == _state(case.id)[1]


def test_step_and_audit_event_are_one_transaction(org, travel, monkeypatch):
    case = org.open_case()
    before = _committed(case.id)

    def broken_append(*args, **kwargs):
        raise RuntimeError("audit storage unavailable")

    monkeypatch.setattr(audit, "append", broken_append)
    with pytest.raises(RuntimeError):
        door.advance(case.id, "select_for_inspection", org.users["case_officer"], select_data(org), session=db.session)
    assert _committed(case.id) == before
    assert _state(case.id) == before
    monkeypatch.undo()
    outcome = door.advance(case.id, "select_for_inspection", org.users["case_officer"], select_data(org), session=db.session)
    assert outcome.to_state == "inspection"


def test_audit_events_are_hash_chained(org, travel):
    case = org.case_in("publicity")
    refused(case, "appoint", org.users["case_officer"], {
        "document_no": "1", "effective_on": travel.today.isoformat(), "talk_by": "x", "talk_on": travel.today.isoformat()},
        GuardFailed)
    travel.days(1)
    door.advance(case.id, "withdraw", org.users["case_officer"], {"reason": "撤回。"}, session=db.session)
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    kinds = [e.kind for e in events]
    assert kinds.count("case.opened") == 1 and kinds.count("case.transition") == 9  # 8 steps to publicity + withdraw
    assert events[0].prev_hash == GENESIS
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
    for event in events:
        assert event.hash == event_hash(event.prev_hash, event), event.id
    assert len({e.hash for e in events}) == len(events)
    head = db.session.get(AuditHead, 1)
    assert (head.last_event_id, head.last_hash) == (events[-1].id, events[-1].hash)


def test_tampering_breaks_the_recomputed_hash(org, travel):
    case = org.open_case()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)).one()
    assert event.hash == event_hash(event.prev_hash, event)
    db.session.expunge(event)
    event.summary = event.summary + " (edited)"
    assert event.hash != event_hash(event.prev_hash, event)


# --- rule set -------------------------------------------------------------------------------

def _new_rule_set(**changes):
    current = active_rule_set(db.session)
    current.active = False
    rule_set = RuleSet(version=current.version + 1, note="test", data={**default_data(), **changes}, active=True,
                       created_at=clock.now())
    db.session.add(rule_set)
    db.session.commit()
    return rule_set


def test_case_records_the_rule_set_active_at_opening_and_is_judged_by_it(org, travel):
    first_rules = active_rule_set(db.session)
    old_case = org.open_case()
    assert old_case.rule_set_id == first_rules.id
    opened = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == old_case.id)).one()
    assert opened.kind == "case.opened" and opened.after["rule_set_version"] == first_rules.version

    stricter = _new_rule_set(inspection_team_min=3)
    new_case = org.open_case()
    assert new_case.rule_set_id == stricter.id != first_rules.id
    db.session.expire_all()
    assert db.session.get(Case, old_case.id).rule_set_id == first_rules.id

    travel.days(1)
    assert door.advance(old_case.id, "select_for_inspection", org.users["case_officer"], select_data(org),
                        session=db.session).to_state == "inspection"
    error = refused(new_case, "select_for_inspection", org.users["case_officer"], select_data(org), GuardFailed)
    assert error.reasons == ["An inspection team needs at least 3 people."]


# --- opening a case ----------------------------------------------------------------------------

OPEN_DATA = {"source": "organization", "work_plan": "拟提任。"}


def _open(actor, cadre, post, data=OPEN_DATA):
    return door.open_case("promotion", actor, cadre.id if cadre else None, data,
                          target_position_id=post.id if post else None, session=db.session)


@pytest.mark.parametrize("role", ["inspector", "discipline_liaison", "committee_secretary", "auditor", "administrator"])
def test_only_a_case_officer_may_open_a_case(org, travel, role):
    cadre = org.cadre()
    before = _totals()
    with pytest.raises(Forbidden) as error:
        _open(org.users[role], cadre, org.post_a)
    assert error.value.status == 403
    assert _totals() == before


@pytest.mark.parametrize(("cadre_unit", "post", "field"), [
    ("unit_a", "post_b", "cadre_id"),  # cadre outside officer B's units
    ("unit_b", "post_a", "target_position_id"),  # post outside officer B's units
    ("unit_a", "post_a", "cadre_id"),
])
def test_case_officer_opens_only_for_cadre_and_post_in_their_units(org, travel, cadre_unit, post, field):
    cadre = org.cadre(unit=getattr(org, cadre_unit))
    before = _totals()
    with pytest.raises(InvalidData) as error:
        _open(org.officer_b, cadre, getattr(org, post))
    assert set(error.value.field_errors) == {field}
    assert _totals() == before


def test_case_officer_opens_a_case_in_their_unit(org, travel):
    cadre = org.cadre(unit=org.unit_b)
    before = _totals()
    case = _open(org.officer_b, cadre, org.post_b).case
    assert _totals() == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert (case.state, case.unit_id, case.opened_by_id, case.source) == ("nomination", org.unit_b.id, org.officer_b.id,
                                                                          "organization")
    assert case.reference == f"P-2026-{case.id:05d}"
    record = db.session.scalars(select(StepRecord).where(StepRecord.case_id == case.id)).one()
    assert (record.trigger, record.from_state, record.to_state, record.actor_id) == ("open", None, "nomination",
                                                                                     org.officer_b.id)
    # officer B cannot act on unit A's cases but may on this one: the case belongs to the post's unit
    assert door.load_case_for(db.session, case.id, org.officer_b).id == case.id


def test_open_case_refusals_write_nothing(org, travel):
    cadre = org.cadre()
    officer = org.users["case_officer"]
    before = _totals()
    with pytest.raises(InvalidData) as error:
        _open(officer, cadre, org.post_a, {"source": "self", "work_plan": "自荐。"})
    assert set(error.value.field_errors) == {"evidence"}
    with pytest.raises(InvalidData) as error:
        _open(officer, cadre, org.post_a, {"source": "lottery", "work_plan": ""})
    assert set(error.value.field_errors) == {"source", "work_plan"}
    with pytest.raises(InvalidData) as error:
        _open(officer, cadre, None)
    assert set(error.value.field_errors) == {"target_position_id"}
    with pytest.raises(InvalidData):
        _open(officer, None, org.post_a)
    assert _totals() == before
    _open(officer, cadre, org.post_a)
    before = _totals()
    with pytest.raises(GuardFailed) as error:
        _open(officer, cadre, org.post_a_plain)
    assert "already has the open case" in error.value.reasons[0]
    assert _totals() == before


def test_a_closed_case_does_not_block_a_new_one(org, travel):
    cadre = org.cadre()
    case = _open(org.users["case_officer"], cadre, org.post_a).case
    travel.days(1)
    door.advance(case.id, "withdraw", org.users["case_officer"], {"reason": "撤回。"}, session=db.session)
    assert _open(org.users["case_officer"], cadre, org.post_a_plain).case.state == "nomination"


def test_post_in_a_sub_unit_is_in_scope(org, travel):
    sub = type(org.unit_b)(code="B1", name="Office B1", parent=org.unit_b, depth=2)
    db.session.add(sub)
    post = Position(unit=sub, title="Deputy 副主任", rank="division_deputy")
    db.session.add(post)
    db.session.commit()
    case = _open(org.officer_b, org.cadre(unit=sub), post).case
    assert case.unit_id == sub.id
