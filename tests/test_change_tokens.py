"""The unit tree and the calendar are kept per process while their change token is unchanged
(workflow/change_tokens.py): every change that matters moves the token in its own transaction, so a
kept tree or calendar is never used after the tables changed — and a rolled-back change never leaves
a kept copy behind that a later state could mistake for its own."""
from datetime import date

from sqlalchemy import select, text

from models import CalendarOverride, CalendarYear, Unit, db
from workflow import change_tokens
from workflow.access import unit_scope
from workflow.calendar import WorkingDays


def token(name):
    return change_tokens.current(db.session, name)


def test_adding_moving_and_removing_a_unit_moves_the_token_and_the_scope_follows(org):
    officer_b = org.officer_b
    assert unit_scope(db.session, officer_b) == {org.unit_b.id}
    before = token("unit_tree")
    section = Unit(code="B1", name="Section B1 乙一科", parent=org.unit_b, depth=2)
    db.session.add(section)
    db.session.commit()
    assert token("unit_tree") != before
    assert unit_scope(db.session, officer_b) == {org.unit_b.id, section.id}, "a unit added below B is in B's scope at once"
    before = token("unit_tree")
    section.parent = org.unit_a
    db.session.commit()
    assert token("unit_tree") != before
    assert unit_scope(db.session, officer_b) == {org.unit_b.id}, "a unit moved out of B is out of B's scope at once"
    assert section.id in unit_scope(db.session, org.users["case_officer"])
    db.session.delete(section)
    db.session.commit()
    assert section.id not in unit_scope(db.session, org.users["case_officer"])


def test_renaming_a_unit_moves_the_token_and_the_kept_names_follow(org):
    """The kept tree holds the units' names and codes (the unit filters list them from it)."""
    before = token("unit_tree")
    assert unit_scope(db.session, org.officer_b).units[org.unit_b.id].name == org.unit_b.name
    org.unit_b.name = "Bureau B renamed 乙局（更名）"
    db.session.commit()
    assert token("unit_tree") != before
    assert unit_scope(db.session, org.officer_b).units[org.unit_b.id].name == "Bureau B renamed 乙局（更名）"
    before = token("unit_tree")
    org.unit_b.code = "B-renumbered"
    db.session.commit()
    assert token("unit_tree") != before
    assert unit_scope(db.session, org.officer_b).units[org.unit_b.id].code == "B-renumbered"


def test_a_new_rule_set_moves_its_token_and_the_kept_rules_follow(org):
    from models import RuleSet
    from workflow import clock
    from workflow.rules import default_data, rules_by_id

    first = db.session.scalars(select(RuleSet).order_by(RuleSet.version)).first()
    kept = rules_by_id(db.session, first.id, token("rule_set"))
    assert rules_by_id(db.session, first.id, token("rule_set")) is kept, "kept while nothing changes"
    before = token("rule_set")
    second = RuleSet(version=first.version + 1, note="test", data={**default_data(), "publicity_min_working_days": 7},
                     active=False, created_at=clock.now())
    db.session.add(second)
    db.session.commit()
    assert token("rule_set") != before
    assert rules_by_id(db.session, second.id, token("rule_set"))["publicity_min_working_days"] == 7
    assert rules_by_id(db.session, first.id, token("rule_set")) is not kept, "read again under the new token"


def test_a_rolled_back_change_leaves_no_kept_tree_behind(org):
    officer_b = org.officer_b
    committed = token("unit_tree")
    db.session.add(Unit(code="B9", name="Never committed 未提交", parent=org.unit_b, depth=2))
    db.session.flush()
    inside = unit_scope(db.session, officer_b)
    assert len(inside) == 2, "inside its own transaction the change is seen"
    db.session.rollback()
    assert token("unit_tree") == committed
    assert unit_scope(db.session, officer_b) == {org.unit_b.id}, "after the rollback the tree is read again"
    db.session.add(Unit(code="B8", name="Committed 已提交", parent=org.unit_b, depth=2))
    db.session.commit()
    assert len(unit_scope(db.session, officer_b)) == 2


def test_an_override_or_an_entered_year_moves_the_calendar_token_and_the_calendar_follows(org):
    national_day = date(2026, 10, 1)
    assert WorkingDays.from_db(db.session).is_workday(national_day) == (False, False)
    before = token("calendar")
    db.session.add(CalendarOverride(day=national_day, is_workday=True, name="test: a make-up workday"))
    db.session.commit()
    assert token("calendar") != before
    assert WorkingDays.from_db(db.session).is_workday(national_day) == (True, False)
    assert WorkingDays.from_db(db.session) is WorkingDays.from_db(db.session), "kept while nothing changes"
    far = date(2031, 6, 2)  # a Monday in a year the package does not cover
    assert WorkingDays.from_db(db.session).is_workday(far) == (True, True)
    db.session.add(CalendarYear(year=2031, note="test: entered"))
    db.session.commit()
    assert WorkingDays.from_db(db.session).is_workday(far) == (True, False)


def test_without_a_token_row_nothing_is_kept(org):
    db.session.execute(text("DELETE FROM change_token"))
    db.session.commit()
    assert token("unit_tree") is None
    assert unit_scope(db.session, org.officer_b) == {org.unit_b.id}
    db.session.add(Unit(code="B2", name="Section B2 乙二科", parent=org.unit_b, depth=2))
    db.session.commit()
    assert len(unit_scope(db.session, org.officer_b)) == 2
    assert WorkingDays.from_db(db.session) is not WorkingDays.from_db(db.session)

