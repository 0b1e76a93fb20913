"""The posts an adjustment offers: every post of the actor's units at or below the cadre's rank,
other than the one held; one query with the units' names (it was one unit load per post, which at
province size made such a case page take a second)."""
from models import Position, db


def test_the_posts_offered_for_an_adjustment_follow_rank_scope_and_the_post_held(org):
    from workflow.adjustment import positions_in_scope
    from workflow.door import make_ctx

    extra = Position(unit=org.unit_b, title="Section chief 科长", rank="section_chief", probation_applies=False)
    staff = Position(unit=org.unit_a, title="Clerk 科员", rank="staff", probation_applies=False)
    db.session.add_all([extra, staff])
    db.session.commit()
    case = org.adjustment_in("reassignment", rank="division_deputy", position_id=org.post_a.id)
    offered = positions_in_scope(make_ctx(db.session, case, org.users["case_officer"]))
    assert list(offered) == [org.post_a_plain.id, org.post_a_section.id, staff.id, org.post_b.id, extra.id], \
        "by unit, then post; the post held is not offered"
    assert offered[org.post_a_plain.id] == ("Bureau A 甲局 · Deputy head 副主任 · Deputy division / county head",
                                             "Bureau A 甲局 · Deputy head 副主任 · 副处级")
    lower = org.adjustment_in("reassignment", rank="section_chief")
    assert list(positions_in_scope(make_ctx(db.session, lower, org.users["case_officer"]))) == [
        org.post_a_section.id, staff.id, extra.id], "nothing above the cadre's rank"
    case_b = org.adjustment_in("reassignment", rank="division_deputy", unit=org.unit_b)
    assert list(positions_in_scope(make_ctx(db.session, case_b, org.officer_b))) == [org.post_b.id, extra.id], \
        "only the actor's units"
