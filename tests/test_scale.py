"""The province generator (``flask demo scale``) at a tiny size: the database it builds holds
together — the audit chain verifies, every case stands in a real state of its track with the
dates its state implies, follow-up reviews are scheduled, and the pages load."""
from datetime import timedelta

import pytest
from sqlalchemy import Text, cast, func, select

from commands.scale import RefusedToGenerate, Sizes, generate
from models import AuditEvent, Cadre, Case, Sanction, StepRecord, Unit, db
from workflow import audit_export, clock
from workflow.audit_verify import verify
from workflow.calendar import WorkingDays
from workflow.deadlines import due_items
from workflow.registry import WORKFLOWS, workflow_for
from workflow.reminders import run_once
from workflow.rules import active_rule_set, rules_of

SIZES = Sizes(cadres=300, cases=120, events=3000, reviews=400)


@pytest.fixture
def province(app):
    counts = generate(db.session, SIZES, seed=11, log=lambda *_: None)
    db.session.remove()
    return counts


def test_sizes_scale_from_the_province():
    assert Sizes.of(1.0) == Sizes(cadres=200_000, cases=100_000, events=2_000_000, reviews=300_000)
    assert Sizes.of(0.01) == Sizes(cadres=2_000, cases=1_000, events=20_000, reviews=3_000)
    assert Sizes.of(0.01, cases=50).cases == 50


def test_counts_and_the_audit_chain_verifies(province):
    assert province["cadres"] == SIZES.cadres == db.session.scalar(select(func.count()).select_from(Cadre))
    assert db.session.scalar(select(func.count()).select_from(Case)) == SIZES.cases
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) >= SIZES.events
    verdict = verify(db.session)
    assert verdict.intact, verdict.sentence()
    assert verdict.checked >= SIZES.events
    depths = set(db.session.scalars(select(Unit.depth)))
    assert depths == {0, 1, 2, 3}  # a unit tree of several levels


def test_events_store_their_json_as_the_export_shows_it(province):
    """As audit.append stores them (models/shown_json.py): the export passes them through."""
    rows = db.session.execute(select(cast(AuditEvent.before, Text), cast(AuditEvent.after, Text), AuditEvent.json_as_shown)).all()
    assert rows and all(row[2] for row in rows)
    for before, after, _ in rows[::7]:
        for stored in (before, after):
            assert stored is None or audit_export._json_cell(stored) == ("" if stored == "null" else stored)


def test_every_case_state_is_a_state_of_its_track_and_every_state_is_used(province):
    seen = set()
    for case in db.session.scalars(select(Case)):
        workflow = workflow_for(case.track)
        assert case.state in workflow.states_by_name, (case.reference, case.state)
        final = workflow.state(case.state).final
        assert (case.closed_at is not None) == final, case.reference
        if final:
            assert case.due_on is None
        if case.state == "publicity":
            assert case.due_kind == "publicity_end" and case.due_on == case.publicity_end >= case.publicity_start
        if case.state == "probation":
            assert case.due_kind == "probation_end" and case.probation_end is not None
        records = case.records
        assert records[0].trigger == "open" and records[-1].to_state == case.state
        for earlier, later in zip(records, records[1:], strict=False):
            assert earlier.to_state == later.from_state and earlier.recorded_at <= later.recorded_at
        seen.add((case.track, case.state))
    assert seen == {(track, s.name) for track, wf in WORKFLOWS.items() for s in wf.states}


def test_case_events_match_their_records(province):
    case = db.session.scalars(select(Case).where(Case.state == "follow_up")).first()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)).all()
    assert [e.kind for e in events] == ["case.opened"] + ["case.transition"] * (len(case.records) - 1)
    assert [e.after["record_id"] for e in events] == [r.id for r in case.records]
    assert events[-1].after["state"] == "follow_up" and events[-1].after["version"] == case.version


def test_follow_up_reviews_are_scheduled_and_found_due(province):
    assert db.session.scalar(select(func.count()).select_from(Sanction)) == SIZES.reviews
    follow_ups = db.session.scalars(select(Case).where(Case.state == "follow_up")).all()
    assert follow_ups and all(c.due_kind in ("helper_due", "return_visit_due") and c.due_on for c in follow_ups)
    visits = db.session.scalar(select(func.count()).select_from(StepRecord).where(StepRecord.trigger == "record_return_visit"))
    assert visits >= len(follow_ups)
    rules = rules_of(active_rule_set(db.session))
    items = due_items(db.session, clock.today_local(), rules, WorkingDays.from_db(db.session), horizon_days=400)
    kinds = {i.kind for i in items}
    assert {"return_visit_due", "influence_period_ending", "probation_ending"} <= kinds
    result = run_once(db.session)
    assert result.sent > 0 and result.failed == 0
    again = run_once(db.session)
    assert again.sent == 0 and again.skipped == result.sent  # exactly once


def test_pages_load(province, web):
    assert web.login("officer", "demo-pass-2026").status_code == 302
    for url in ("/cases", "/cases?sort=due&state=publicity", "/cases?track=adjustment&sort=cadre&page=2", "/deadlines"):
        assert web.get(url).status_code == 200, url
    for track, wf in WORKFLOWS.items():
        for state in wf.states:
            case = db.session.scalars(select(Case).where(Case.track == track, Case.state == state.name)).first()
            assert web.get(f"/cases/{case.id}").status_code == 200, (track, state.name)
            assert web.get(f"/cases/{case.id}/record").status_code == 200, (track, state.name)
    cadre = db.session.scalars(select(Cadre)).first()
    assert web.get(f"/cadres/{cadre.id}").status_code == 200


def test_a_generated_case_moves_on_through_the_door(province):
    from models import User
    from workflow import door

    case = db.session.scalars(select(Case).where(Case.track == "adjustment", Case.state == "intake")).first()
    liaison = db.session.scalars(select(User).where(User.username == "liaison")).one()
    outcome = door.advance(case.id, "start_verification", liaison, {"verifiers": ["甲", "乙"]}, expected_version=case.version)
    assert outcome.to_state == "verification"
    assert verify(db.session).intact


def test_refuses_a_database_that_holds_an_organization(province):
    with pytest.raises(RefusedToGenerate):
        generate(db.session, Sizes(cadres=10, cases=5, events=10, reviews=5), log=lambda *_: None)


def test_history_lies_in_the_past(province):
    latest = db.session.scalar(select(func.max(StepRecord.recorded_at)))
    assert latest <= clock.now() + timedelta(minutes=1)


def test_the_plan_check_finds_a_sequential_scan_of_a_quoted_table():
    """bench/explain.py (figure f): PostgreSQL quotes a table named like a keyword ("case"); such a
    scan must count as well (it was missed until session 6, hiding the list's count by track)."""
    from bench.explain import LARGE, large_tables_scanned

    plan = ('Aggregate\n  ->  Limit\n        ->  Seq Scan on "case"  (cost=0.00..3382.00 rows=39930 width=4)\n'
            '  ->  Seq Scan on unit  (cost=0.00..40.00 rows=2380 width=4)\n  ->  Seq Scan on cadre  (cost=0.00..1.00)')
    sizes = {"case": LARGE + 1, "unit": 2380, "cadre": LARGE * 4}
    assert large_tables_scanned(plan, sizes) == ["case", "cadre"]
    assert large_tables_scanned("Index Only Scan using ix_case_track_updated_at_id on \"case\"", sizes) == []
