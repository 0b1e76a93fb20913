"""Influence periods (domain.md, "Influence periods"): how long each measure bars promotion and how
several measures combine, computed by workflow/influence.py from the periods in the rule set.

The rules, with the numbers written out by hand below:
- one measure: its decision date plus its period from the rule set;
- several decided together: the heaviest applies; of the same kind they add (or, with the rule
  ``same_kind_combination = 'heaviest'``, the longest of them);
- a new measure while a period runs: the remaining period plus the new one;
- never more than 48 months from the decision that sets the end;
- a measure decided after a period ended starts afresh.

The second half checks what people see and what the one door does with it: the cadre page shows
the combined end and the measures that make it, and selection for inspection is refused inside
the combined period (with its sentence) and allowed from its end.
"""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Case, RuleSet, Sanction, StepRecord, db
from workflow import clock, door
from workflow.errors import GuardFailed
from workflow.influence import combined, own_end
from workflow.rules import Rules, default_data

from .reading import in_chinese

DEFAULTS = Rules(1, default_data())
HEAVIEST = Rules(2, {**default_data(), "same_kind_combination": "heaviest"})


def measure(name, decided_on, ends_on, sanction_id=None):
    """A measure as recorded: its decision date and the end of its own influence period."""
    return Sanction(id=sanction_id, cadre_id=0, measure=name, decided_on=decided_on, influence_ends_on=ends_on)


# --- one measure: the period of its kind, from the rule set -----------------------------------
SINGLE = [
    # measure, months (domain.md table), end for a decision on 2025-03-15
    ("party_warning", 12, date(2026, 3, 15)),
    ("party_serious_warning", 18, date(2026, 9, 15)),
    ("party_post_removal", 24, date(2027, 3, 15)),
    ("party_probation", 24, date(2027, 3, 15)),
    ("gov_warning", 6, date(2025, 9, 15)),
    ("gov_demerit", 12, date(2026, 3, 15)),
    ("gov_major_demerit", 18, date(2026, 9, 15)),
    ("gov_downgrade", 24, date(2027, 3, 15)),
    ("gov_dismissal", 24, date(2027, 3, 15)),
    ("transfer_from_post", 12, date(2026, 3, 15)),
    ("removal", 24, date(2027, 3, 15)),
    ("ordered_resignation", 24, date(2027, 3, 15)),
    ("demotion", 24, date(2027, 3, 15)),
    ("admonishment", 6, date(2025, 9, 15)),
]


@pytest.mark.parametrize(("name", "months", "ends_on"), SINGLE, ids=[s[0] for s in SINGLE])
def test_single_measure_runs_its_period_from_the_decision(name, months, ends_on):
    decided = date(2025, 3, 15)
    assert DEFAULTS["influence_months"][name] == months
    assert own_end(name, decided, DEFAULTS) == ends_on
    influence = combined([measure(name, decided, ends_on)], DEFAULTS)
    assert influence.ends_on == ends_on
    assert [s.measure for s in influence.making_it] == [name]
    assert influence.in_force(ends_on.replace(day=14))
    assert not influence.in_force(ends_on)  # over on its end date


def test_the_period_comes_from_the_rule_set_not_from_the_code():
    local = Rules(3, {**default_data(), "influence_months": {**default_data()["influence_months"], "admonishment": 3}})
    assert own_end("admonishment", date(2025, 3, 15), local) == date(2025, 6, 15)
    assert own_end("admonishment", date(2025, 3, 15), DEFAULTS) == date(2025, 9, 15)


def test_a_period_ending_in_a_shorter_month_ends_on_its_last_day():
    assert own_end("admonishment", date(2025, 8, 31), DEFAULTS) == date(2026, 2, 28)
    assert own_end("party_serious_warning", date(2026, 8, 31), DEFAULTS) == date(2028, 2, 29)


def test_no_measure_no_period():
    influence = combined([], DEFAULTS)
    assert influence.ends_on is None and influence.making_it == ()
    assert not influence.in_force(date(2026, 3, 2))


# --- several measures decided together ---------------------------------------------------------

def test_different_kinds_decided_together_the_heaviest_applies():
    decided = date(2025, 3, 15)
    together = [
        measure("gov_warning", decided, date(2025, 9, 15), 1),  # 6 months, government
        measure("party_serious_warning", decided, date(2026, 9, 15), 2),  # 18 months, Party
        measure("admonishment", decided, date(2025, 9, 15), 3),  # 6 months, handling
    ]
    assert combined(together, DEFAULTS).ends_on == date(2026, 9, 15)  # not 6 + 18 + 6 months
    assert combined(together, HEAVIEST).ends_on == date(2026, 9, 15)


def test_same_kind_decided_together_adds():
    decided = date(2025, 3, 15)
    together = [
        measure("party_warning", decided, date(2026, 3, 15), 1),  # 365 days
        measure("party_serious_warning", decided, date(2026, 9, 15), 2),  # 549 days
    ]
    # 914 days from 2025-03-15 (30 months would be 2027-09-15; the periods are added in days)
    assert combined(together, DEFAULTS).ends_on == date(2027, 9, 15)


def test_same_kind_decided_together_with_the_heaviest_rule_takes_the_longest():
    decided = date(2025, 3, 15)
    together = [
        measure("party_warning", decided, date(2026, 3, 15), 1),
        measure("party_serious_warning", decided, date(2026, 9, 15), 2),
    ]
    assert combined(together, HEAVIEST).ends_on == date(2026, 9, 15)


def test_same_kind_sum_against_a_heavier_single_measure_of_another_kind():
    decided = date(2025, 3, 15)
    party = [measure("party_warning", decided, date(2026, 3, 15), 1),  # 12 + 12 months of Party discipline
             measure("party_warning", decided, date(2026, 3, 15), 2)]
    dismissal = measure("gov_dismissal", decided, date(2027, 3, 15), 3)  # 24 months of government sanction
    lighter = measure("gov_warning", decided, date(2025, 9, 15), 4)
    # Party: 730 days → 2027-03-15 = the dismissal's end; with one more government measure the
    # government kind adds to 24 + 6 months and is now the heaviest.
    assert combined([*party, dismissal], DEFAULTS).ends_on == date(2027, 3, 15)
    assert combined([*party, dismissal, lighter], DEFAULTS).ends_on == date(2027, 9, 15)  # 730 + 184 days
    assert combined([*party, dismissal, lighter], HEAVIEST).ends_on == date(2027, 3, 15)


# --- a new measure while a period runs ----------------------------------------------------------

def test_a_new_measure_during_a_period_adds_to_the_remaining_period():
    first = measure("party_warning", date(2025, 6, 10), date(2026, 6, 10), 1)  # runs to 2026-06-10
    second = measure("gov_demerit", date(2025, 12, 10), date(2026, 12, 10), 2)  # 365 days of its own
    influence = combined([second, first], DEFAULTS)  # order of the rows does not matter
    # 182 days remain on 2025-12-10; plus 365 days: 2027-06-10 (not the later of the two own ends, 2026-12-10)
    assert influence.ends_on == date(2027, 6, 10)
    assert [s.measure for s in influence.making_it] == ["party_warning", "gov_demerit"]


def test_a_lighter_new_measure_during_a_period_still_adds():
    first = measure("gov_dismissal", date(2025, 1, 1), date(2027, 1, 1), 1)
    second = measure("admonishment", date(2026, 1, 1), date(2026, 7, 1), 2)  # 181 days
    assert combined([first, second], DEFAULTS).ends_on == date(2027, 7, 1)


def test_three_measures_one_after_another_each_adds_to_what_remains():
    a = measure("gov_warning", date(2025, 1, 10), date(2025, 7, 10), 1)  # 181 days → 2025-07-10
    b = measure("gov_warning", date(2025, 5, 10), date(2025, 11, 10), 2)  # 184 days → 2026-01-10
    c = measure("admonishment", date(2025, 12, 1), date(2026, 6, 1), 3)  # 182 days → 2026-07-11
    influence = combined([a, b, c], DEFAULTS)
    assert influence.ends_on == date(2026, 7, 11)
    assert len(influence.making_it) == 3


# --- the cap --------------------------------------------------------------------------------------

def test_measures_decided_together_are_capped_at_48_months():
    decided = date(2024, 1, 15)
    together = [
        measure("party_post_removal", decided, date(2026, 1, 15), 1),
        measure("party_probation", decided, date(2026, 1, 15), 2),
        measure("party_serious_warning", decided, date(2025, 7, 15), 3),
    ]  # 24 + 24 + 18 months of Party discipline = 66 months
    assert combined(together, DEFAULTS).ends_on == date(2028, 1, 15)


def test_an_extension_is_capped_at_48_months_from_the_new_decision():
    first = [measure("party_post_removal", date(2024, 1, 1), date(2026, 1, 1), 1),
             measure("party_probation", date(2024, 1, 1), date(2026, 1, 1), 2)]  # 48 months → 2028-01-01
    assert combined(first, DEFAULTS).ends_on == date(2028, 1, 1)
    later = measure("gov_dismissal", date(2024, 2, 1), date(2026, 2, 1), 3)  # would reach 2030-01-01
    assert combined([*first, later], DEFAULTS).ends_on == date(2028, 2, 1)


def test_the_cap_comes_from_the_rule_set():
    local = Rules(4, {**default_data(), "influence_cap_months": 36})
    together = [measure("party_post_removal", date(2024, 1, 15), date(2026, 1, 15), 1),
                measure("party_probation", date(2024, 1, 15), date(2026, 1, 15), 2)]
    assert combined(together, local).ends_on == date(2027, 1, 15)


# --- after a period ended -------------------------------------------------------------------------

def test_a_measure_after_the_period_ended_starts_afresh():
    old = measure("party_serious_warning", date(2023, 1, 10), date(2024, 7, 10), 1)
    new = measure("gov_warning", date(2025, 2, 1), date(2025, 8, 1), 2)
    influence = combined([old, new], DEFAULTS)
    assert influence.ends_on == date(2025, 8, 1)  # nothing of the old period is carried over
    assert [s.measure for s in influence.making_it] == ["gov_warning"]


def test_a_measure_decided_on_the_day_a_period_ends_starts_afresh():
    old = measure("gov_warning", date(2025, 1, 10), date(2025, 7, 10), 1)
    new = measure("party_warning", date(2025, 7, 10), date(2026, 7, 10), 2)
    influence = combined([old, new], DEFAULTS)
    assert influence.ends_on == date(2026, 7, 10)
    assert [s.measure for s in influence.making_it] == ["party_warning"]


# --- what people see and what the door does -------------------------------------------------------

def _add(cadre, name, decided_on, ends_on):
    db.session.add(Sanction(cadre_id=cadre.id, measure=name, decided_on=decided_on, influence_ends_on=ends_on,
                            note="处分决定"))
    db.session.commit()


def _running_and_extended(org):
    """A cadre with a Party warning (2025-06-10, own end 2026-06-10) and a government demerit decided
    while it ran (2025-12-10, own end 2026-12-10): combined to 2027-06-10."""
    cadre = org.cadre(name="赵六")
    _add(cadre, "party_warning", date(2025, 6, 10), date(2026, 6, 10))
    _add(cadre, "gov_demerit", date(2025, 12, 10), date(2026, 12, 10))
    return cadre


def _facts(html):
    return re.sub(r"\s+", " ", html)


def test_cadre_page_shows_the_combined_end_and_the_measures_that_make_it(web, org, travel):
    cadre = _running_and_extended(org)
    web.login("case_officer")
    page = _facts(web.get(f"/cadres/{cadre.id}").get_data(as_text=True))
    assert "Combined influence period until <strong>Jun 10, 2027</strong>" in page
    assert "in force: no promotion" in page
    assert "made by: Party warning (Jun 10, 2025); Government sanction: demerit (Dec 10, 2025)" in page
    # each measure with its own end as recorded
    assert "influence period until Jun 10, 2026" in page and "influence period until Dec 10, 2026" in page

    page = _facts(web.speak("zh").get(f"/cadres/{cadre.id}").get_data(as_text=True))
    assert "合并计算影响期至<strong>2027年6月10日</strong>" in page and "生效中，不得提拔" in page
    assert "党内警告 (2025年6月10日)" in page and "政务记过 (2025年12月10日)" in page
    assert "影响期至2026年6月10日" in page and "影响期至2026年12月10日" in page
    web.speak("en")

    travel.to(date(2027, 6, 10))
    page = _facts(web.get(f"/cadres/{cadre.id}").get_data(as_text=True))
    assert "Combined influence period until <strong>Jun 10, 2027</strong>" in page
    assert "in force: no promotion" not in page


def test_cadre_page_without_measures_says_none(web, org):
    cadre = org.cadre(name="钱七")
    web.login("case_officer")
    page = _facts(web.get(f"/cadres/{cadre.id}").get_data(as_text=True))
    assert "Sanctions and influence periods</h2> <p>None</p>" in page
    page = _facts(web.speak("zh").get(f"/cadres/{cadre.id}").get_data(as_text=True))
    assert "处分及影响期</h2> <p>无</p>" in page


INSIDE = "Inside the influence period until 2027-06-10 (Party warning, Government sanction: demerit)."
INSIDE_ZH = "处于影响期内，影响期至2027-06-10（党内警告、政务记过）。"


def _select(org, case, **overrides):
    data = {"team": ["李建国", "赵敏"], "notice_on": org.travel.today.isoformat(), "plan": "考察方案", **overrides}
    return door.advance(case.id, "select_for_inspection", org.users["case_officer"], data, session=db.session)


def _counts(case_id):
    db.session.expire_all()
    return (db.session.get(Case, case_id).state,
            db.session.scalar(select(func.count()).select_from(StepRecord).where(StepRecord.case_id == case_id)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)))


def test_inside_the_combined_period_selection_for_inspection_is_refused_until_it_ends(app, org, travel):
    cadre = _running_and_extended(org)
    case = org.open_case(cadre=cadre)
    for day in (date(2026, 3, 2), date(2026, 12, 11), date(2027, 6, 9)):  # the last after both own ends
        travel.to(day)
        before = _counts(case.id)
        with pytest.raises(GuardFailed) as refused:
            _select(org, case)
        assert refused.value.reasons == [INSIDE], day
        with in_chinese(app), pytest.raises(GuardFailed) as refused:
            _select(org, case)
        assert refused.value.reasons == [INSIDE_ZH], day
        assert _counts(case.id) == before

    travel.to(date(2027, 6, 10))
    assert _select(org, case).to_state == "inspection"


def test_a_period_that_ended_before_a_new_measure_does_not_extend_it(org, travel):
    cadre = org.cadre(name="孙八")
    _add(cadre, "gov_warning", date(2024, 1, 10), date(2024, 7, 10))
    _add(cadre, "admonishment", date(2025, 11, 20), date(2026, 5, 20))
    case = org.open_case(cadre=cadre)
    with pytest.raises(GuardFailed) as refused:
        _select(org, case)
    assert refused.value.reasons == ["Inside the influence period until 2026-05-20 (Admonishment)."]
    travel.to(date(2026, 5, 20))
    assert _select(org, case).to_state == "inspection"


def test_the_case_is_judged_by_the_same_kind_rule_of_its_rule_set(org, travel):
    old = db.session.scalars(select(RuleSet).where(RuleSet.active.is_(True))).one()
    old.active = False
    db.session.add(RuleSet(version=old.version + 1, note="same kind: heaviest", active=True,
                           data={**default_data(), "same_kind_combination": "heaviest"}, created_at=clock.now()))
    db.session.commit()
    cadre = org.cadre(name="周九")
    _add(cadre, "party_warning", date(2025, 9, 1), date(2026, 9, 1))
    _add(cadre, "party_serious_warning", date(2025, 9, 1), date(2027, 3, 1))
    case = org.open_case(cadre=cadre)
    assert case.rule_set.version == old.version + 1
    with pytest.raises(GuardFailed) as refused:
        _select(org, case)
    assert refused.value.reasons == [
        "Inside the influence period until 2027-03-01 (Party warning, Party serious warning)."]
    travel.to(date(2027, 3, 1))  # under 'sum' this would run to 2028-02-29
    assert _select(org, case).to_state == "inspection"


def test_expiry_evaluation_waits_for_the_combined_period_not_only_the_cases_own_measure(org, travel):
    case = org.adjustment_in("follow_up")  # transfer from post decided 2026-03-25: own end 2027-03-25
    _add(case.cadre, "party_warning", date(2026, 6, 1), date(2027, 6, 1))  # decided while it ran: + 365 days
    data = {"result": "reusable", "evaluation": "表现良好。"}
    travel.to(date(2027, 3, 25))
    with pytest.raises(GuardFailed) as refused:
        door.advance(case.id, "expiry_evaluation", org.users["case_officer"], data, session=db.session)
    assert refused.value.reasons == ["The influence period runs until 2028-03-24; evaluate at its end."]
    travel.to(date(2028, 3, 24))
    assert door.advance(case.id, "expiry_evaluation", org.users["case_officer"], data,
                        session=db.session).to_state == "reusable"
