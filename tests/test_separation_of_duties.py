"""Separation of duties (domain.md, "Who uses it"), on both tracks, through the door and the pages:

- the person who proposes is not the person who decides (opened the case, or made the adjustment
  proposal → may not record its collective decision, nor decide an appeal against it);
- recused members (vote "Recused", 回避) count neither as present nor among those who should attend;
- no decision without the integrity opinion (promotion: the mandatory check; adjustment: the
  discipline liaison's opinion of the discipline inspection and supervision organ);
- administrators (and auditors) act on no case: every step and opening is refused with a sentence
  that says why, so no one acts silently in a case officer's place.

Every refused action changes nothing: every row of every table is the same afterwards.
"""
import html
import re

import pytest
from sqlalchemy import select

from demo.paths import A_FOUNDED, A_OPINION, A_PROPOSE, A_TALK, A_VERIFY, resolve_for, votes
from models import StepRecord, db
from workflow import accounts, door
from workflow.decision import tally
from workflow.errors import Forbidden, GuardFailed
from workflow.permissions import ADMIN_NO_CASE_ACTIONS
from workflow.registry import WORKFLOWS

from .factories import PASSWORD
from .reading import in_chinese

NOT_PROPOSER = "The person who proposed this case may not record its decision."
NOT_PROPOSER_ZH = "动议人不得记录本案的讨论决定。"
PROMOTION_NO_OPINION = ("No decision may be recorded without the integrity opinion; the discipline liaison records it as a "
                        "mandatory check of the inspection.")
PROMOTION_NO_OPINION_ZH = "未经党风廉政意见回复，不得记录讨论决定；党风廉政意见由纪检联络人作为考察必查事项录入。"
ADJUSTMENT_NO_OPINION = ("No decision may be recorded without the integrity opinion: the discipline liaison records the "
                         "opinion of the discipline inspection and supervision organ first.")
OPINION_TWICE = "The integrity opinion is already recorded; see the timeline."


def fingerprint():
    db.session.expire_all()
    return {table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
            for table in db.metadata.sorted_tables}


def refused(case, trigger, actor, data, kind=GuardFailed):
    before = fingerprint()
    with pytest.raises(kind) as error:
        door.advance(case.id, trigger, actor, data, session=db.session)
    assert fingerprint() == before, "a refused step wrote something"
    return error.value


def decide(travel, **tally_of):
    return {"meeting_on": travel.today.isoformat(), "votes": votes(**tally_of)}


def take(org, travel, case, step, actor=None):
    travel.days(step.wait_days)
    return door.advance(case.id, step.trigger, actor or org.users[step.role], resolve_for(step.data(travel.today), case),
                        session=db.session).case


def text(response):
    return html.unescape(response.get_data(as_text=True))


def post_action(web, case, trigger, values):
    data = {f"{trigger}-{k}": v for k, v in values.items()}
    data[f"{trigger}-version"] = str(case.version)
    return web.post(f"/cases/{case.id}/act/{trigger}", data, prefix=trigger)


def decision_form(travel, rows):
    out = {"meeting_on": travel.today.isoformat()}
    for i, (name, vote) in enumerate(rows):
        out[f"votes-{i}-name"], out[f"votes-{i}-vote"] = name, vote
    return out


# --- the proposer does not decide ------------------------------------------------------------------

def test_who_opened_a_promotion_case_may_not_record_its_decision(app, org, travel):
    case = org.case_in("decision")
    proposer = org.users["case_officer"]
    proposer.role = "committee_secretary"  # moved to the committee office while the case ran
    db.session.commit()
    travel.days(1)
    error = refused(case, "record_decision", proposer, decide(travel, agree=7, absent=2))
    assert error.reasons == [NOT_PROPOSER]
    # Offered on the page with the reason, before anything is typed.
    actions = dict((t.trigger, reasons) for t, reasons in door.available_actions(db.session, case, proposer))
    assert actions["record_decision"] == [NOT_PROPOSER]
    with in_chinese(app):
        error = refused(case, "record_decision", proposer, decide(travel, agree=7, absent=2))
    assert error.reasons == [NOT_PROPOSER_ZH]
    done = door.advance(case.id, "record_decision", org.users["committee_secretary"], decide(travel, agree=7, absent=2),
                        session=db.session)
    assert done.case.state == "approved"


def test_the_proposers_page_says_why_and_its_post_writes_nothing(web, org, travel):
    case = org.case_in("decision")
    proposer = org.users["case_officer"]
    proposer.role = "committee_secretary"
    db.session.commit()
    travel.days(1)
    web.login("case_officer")
    page = text(web.get(f"/cases/{case.id}"))
    assert NOT_PROPOSER in page
    before = fingerprint()
    response = post_action(web, case, "record_decision", decision_form(travel, [(f"委员{i}", "agree") for i in range(7)]))
    assert response.status_code == 422
    assert NOT_PROPOSER in text(response)
    assert fingerprint() == before
    web.speak("zh")
    assert NOT_PROPOSER_ZH in text(web.get(f"/cases/{case.id}"))
    response = post_action(web, case, "record_decision", decision_form(travel, [(f"委员{i}", "agree") for i in range(7)]))
    assert response.status_code == 422
    assert NOT_PROPOSER_ZH in text(response) and NOT_PROPOSER not in text(response)
    assert fingerprint() == before


def _adjustment_in_talk(org, travel, proposer):
    """An adjustment case opened by the case officer, the adjustment proposed by ``proposer``."""
    case = org.open_adjustment()
    for step in (A_VERIFY, A_FOUNDED):
        case = take(org, travel, case, step)
    case = take(org, travel, case, A_PROPOSE, actor=proposer)
    return take(org, travel, case, A_TALK)


@pytest.fixture
def second_officer(org):
    user = accounts.create_user(db.session, "officer2", PASSWORD, "case_officer", ["R"], display_name="officer two")
    db.session.commit()
    return user


@pytest.mark.parametrize("who", ["opener", "proposer"])
def test_who_opened_or_proposed_an_adjustment_may_not_record_its_decision(org, travel, second_officer, who):
    case = _adjustment_in_talk(org, travel, second_officer)
    case = take(org, travel, case, A_OPINION)
    assert case.state == "decision"
    person = org.users["case_officer"] if who == "opener" else second_officer
    person.role = "committee_secretary"
    db.session.commit()
    travel.days(2)
    error = refused(case, "record_decision", person, decide(travel, agree=7, absent=2))
    assert error.reasons == [NOT_PROPOSER]


def test_the_proposer_may_not_decide_the_appeal_either(org, travel, second_officer):
    case = take(org, travel, _adjustment_in_talk(org, travel, second_officer), A_OPINION)
    travel.days(2)
    case = door.advance(case.id, "record_decision", org.users["committee_secretary"], decide(travel, agree=7, absent=2),
                        session=db.session).case
    assert case.state == "reassignment"
    travel.days(1)
    door.advance(case.id, "file_appeal", org.users["case_officer"],
                 {"filed_on": travel.today.isoformat(), "grounds": "处理过重。"}, session=db.session)
    second_officer.role = "committee_secretary"
    db.session.commit()
    travel.days(1)
    error = refused(case, "decide_appeal", second_officer,
                    {"decided_on": travel.today.isoformat(), "outcome": "upheld", "reasoning": "维持。"})
    assert error.reasons == [NOT_PROPOSER]
    outcome = door.advance(case.id, "decide_appeal", org.users["committee_secretary"],
                           {"decided_on": travel.today.isoformat(), "outcome": "upheld", "reasoning": "维持。"},
                           session=db.session)
    assert outcome.record.trigger == "decide_appeal"


# --- recusal ------------------------------------------------------------------------------------------

def test_recused_members_count_neither_as_present_nor_as_should_attend():
    t = tally(votes(4, 0, 2, 3))  # 4 agree, 2 absent, 3 recused
    assert (t.members, t.recused, t.should_attend, t.present, t.agree) == (9, 3, 6, 4, 4)


def test_recusal_is_recorded_by_name_and_the_decision_is_taken_by_those_who_take_part(web, org, travel):
    case = org.case_in("decision")
    travel.days(1)
    web.login("committee_secretary")
    page = text(web.get(f"/cases/{case.id}"))
    assert re.search(r'<option value="recused">Recused</option>', page), "the form offers the recusal"
    page = text(web.speak("zh").get(f"/cases/{case.id}"))
    assert re.search(r'<option value="recused">回避</option>', page), "in Chinese too"
    web.speak("en")
    rows = [("张伟", "agree"), ("王芳", "agree"), ("李强", "agree"), ("刘洋", "agree"), ("陈静", "absent"),
            ("杨帆", "absent"), ("赵磊", "recused"), ("黄敏", "recused"), ("周杰", "recused")]
    response = post_action(web, case, "record_decision", decision_form(travel, rows))
    assert response.status_code == 302, text(response)[:2000]
    # 9 listed, 3 recused: 6 should attend, 4 present (quorum 4 of 6), 4 agree > 3: approved. Counted
    # among those who should attend, the recused would leave no quorum (4 of 9).
    record = db.session.scalars(select(StepRecord).where(StepRecord.case_id == case.id,
                                                         StepRecord.trigger == "record_decision")).one()
    assert record.to_state == "approved"
    assert [v["name"] for v in record.data["votes"] if v["vote"] == "recused"] == ["赵磊", "黄敏", "周杰"]
    printed = text(web.get(f"/cases/{case.id}/record"))
    assert "Should attend: 6 · present: 4" in printed and "recused: 3" in printed
    assert "<td>赵磊</td><td>Recused</td>" in printed
    printed = text(web.speak("zh").get(f"/cases/{case.id}/record"))
    assert "应到 6 人 · 实到 4 人" in printed and "回避 3 人" in printed
    assert "<td>赵磊</td><td>回避</td>" in printed


def test_recused_members_are_not_counted_as_present(org, travel):
    case = org.case_in("decision")
    travel.days(1)
    data = {"meeting_on": travel.today.isoformat(), "votes": [
        {"name": "甲", "vote": "agree"}, {"name": "乙", "vote": "agree"}, {"name": "丙", "vote": "absent"},
        {"name": "丁", "vote": "absent"}, {"name": "戊", "vote": "recused"}, {"name": "己", "vote": "recused"}]}
    error = refused(case, "record_decision", org.users["committee_secretary"], data)
    assert error.reasons[0].startswith("No quorum: 2 of 4 members who should attend were present")


def test_recusal_counts_the_same_on_the_adjustment_track(org, travel):
    case = org.adjustment_in("decision")
    travel.days(2)
    outcome = door.advance(case.id, "record_decision", org.users["committee_secretary"],
                           decide(travel, agree=4, absent=2, recused=3), session=db.session)
    assert outcome.case.state == "reassignment"


# --- no decision without the integrity opinion ----------------------------------------------------------

def test_both_tracks_guard_the_decision_with_the_integrity_opinion():
    for track, workflow in WORKFLOWS.items():
        for transition in workflow.transitions:
            if transition.trigger == "record_decision":
                names = [g.name for g in transition.guards]
                assert "integrity_opinion" in names and "not_proposer" in names, track


def test_a_promotion_decision_without_the_integrity_opinion_is_refused(app, org, travel):
    case = org.case_in("decision")
    # As if the opinion had never been received (only a test can take a record away).
    opinion = next(r for r in case.records_for("record_check") if r.data["check"] == "integrity_opinion")
    db.session.delete(opinion)
    db.session.commit()
    travel.days(1)
    error = refused(case, "record_decision", org.users["committee_secretary"], decide(travel, agree=7, absent=2))
    assert error.reasons == [PROMOTION_NO_OPINION]
    with in_chinese(app):
        error = refused(case, "record_decision", org.users["committee_secretary"], decide(travel, agree=7, absent=2))
    assert error.reasons == [PROMOTION_NO_OPINION_ZH]


def test_an_adjustment_decision_waits_for_the_liaisons_integrity_opinion(web, org, travel):
    case = _adjustment_in_talk(org, travel, org.users["case_officer"])
    assert case.state == "decision"
    travel.days(2)
    secretary = org.users["committee_secretary"]
    error = refused(case, "record_decision", secretary, decide(travel, agree=7, absent=2))
    assert error.reasons == [ADJUSTMENT_NO_OPINION]
    web.login("committee_secretary")
    assert ADJUSTMENT_NO_OPINION in text(web.get(f"/cases/{case.id}"))  # said on the page, before typing
    # Only the discipline liaison records it.
    opinion = {"opinion": "未发现其他违纪违法问题。", "issued_on": travel.today.isoformat()}
    forbidden = refused(case, "record_integrity_opinion", org.users["case_officer"], opinion, Forbidden)
    assert forbidden.status == 403
    door.advance(case.id, "record_integrity_opinion", org.users["discipline_liaison"], opinion, session=db.session)
    again = refused(case, "record_integrity_opinion", org.users["discipline_liaison"], opinion)
    assert again.reasons == [OPINION_TWICE]
    outcome = door.advance(case.id, "record_decision", secretary, decide(travel, agree=7, absent=2), session=db.session)
    assert outcome.case.state == "reassignment"


def test_the_opinion_can_also_come_while_the_adjustment_is_only_proposed(org, travel):
    case = org.adjustment_in("proposal")
    travel.days(1)
    outcome = door.advance(case.id, "record_integrity_opinion", org.users["discipline_liaison"],
                           {"opinion": "无异议。", "issued_on": travel.today.isoformat()}, session=db.session)
    assert (outcome.from_state, outcome.to_state) == ("proposal", "proposal")


# --- administrators act on no case ----------------------------------------------------------------

@pytest.mark.parametrize("track", sorted(WORKFLOWS))
def test_an_administrator_is_refused_every_step_of_every_case_and_told_why(org, travel, track):
    case = org.open_case() if track == "promotion" else org.open_adjustment()
    admin = org.users["administrator"]
    for trigger in WORKFLOWS[track].triggers():
        error = refused(case, trigger, admin, {}, Forbidden)
        assert error.status == 403
        assert "may not do this" in error.message and str(ADMIN_NO_CASE_ACTIONS) in error.message, trigger


@pytest.mark.parametrize("track", sorted(WORKFLOWS))
def test_an_administrator_may_not_open_a_case(org, travel, track):
    cadre = org.cadre(name="王五")
    before = fingerprint()
    data = {"source": "organization", "work_plan": "x"} if track == "promotion" else {
        "trigger_source": "petition", "content": "x", "received_on": travel.today}
    with pytest.raises(Forbidden) as error:
        door.open_case(track, org.users["administrator"], cadre.id, data,
                       target_position_id=org.post_a.id if track == "promotion" else None, session=db.session)
    assert str(ADMIN_NO_CASE_ACTIONS) in error.value.message
    assert fingerprint() == before


def test_an_auditor_is_refused_too_without_the_administrators_sentence(org, travel):
    case = org.open_case()
    error = refused(case, "withdraw", org.users["auditor"], {"reason": "x"}, Forbidden)
    assert "may not do this" in error.message and str(ADMIN_NO_CASE_ACTIONS) not in error.message


def test_the_administrators_pages_refuse_case_actions_and_say_why(web, org, travel):
    case = org.open_case()
    web.login("administrator")
    page = text(web.get(f"/cases/{case.id}"))
    assert 'action="/cases/' not in page, "no action form is offered to an administrator"
    before = fingerprint()
    for url, data in ((f"/cases/{case.id}/act/withdraw", {"withdraw-reason": "admin", "withdraw-version": "1"}),
                      ("/cases/new", {"cadre_id": str(case.cadre_id), "source": "organization", "work_plan": "x"}),
                      ("/cases/new?track=adjustment", {"cadre_id": str(case.cadre_id), "trigger_source": "petition",
                                                       "content": "x", "received_on": "2026-03-02"})):
        response = web.post(url, data)
        assert response.status_code == 403, url
        assert str(ADMIN_NO_CASE_ACTIONS) in text(response), url
    assert fingerprint() == before
