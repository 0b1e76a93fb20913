"""The case list at province size: the unit filter lists the top levels of the user's tree in tree
order (a deeper unit when it is the one chosen) and stands for the unit and every unit under it;
the count stops at COUNT_LIMIT and the list then says "more than" and pages on; a state that
belongs to one track answers for the track."""
import re
from html import unescape

import pytest

from models import Position, Unit, db
from web.views import cases as case_views
from web.views.access import INDENT

from .test_views import get_ok, listed_case_ids, three_cases  # noqa: F401 (a fixture)


@pytest.fixture
def deeper(org):
    """Under Bureau A: a section (depth 2), and under it an office (depth 3)."""
    section = Unit(code="A1", name="Section A1 一科", parent=org.unit_a, depth=2)
    office = Unit(code="A11", name="Office A11 一室", parent=section, depth=3)
    db.session.add_all([section, office])
    db.session.commit()
    return section, office


def unit_options(html):
    select = re.search(r'<select[^>]*name="unit".*?</select>', html, re.S).group(0)
    return [(value, unescape(label)) for value, label in re.findall(r'<option[^>]*value="([^"]*)">([^<]*)</option>', select)]


def test_unit_filter_lists_three_levels_in_tree_order_indented(web, org, deeper):
    section, office = deeper
    web.login("auditor")
    options = unit_options(get_ok(web, "/cases"))
    assert options[1:] == [(str(org.root.id), "Root City 根市"), (str(org.unit_a.id), INDENT + "Bureau A 甲局"),
                           (str(section.id), INDENT * 2 + "Section A1 一科"), (str(org.unit_b.id), INDENT + "Bureau B 乙局")]
    # the office is too deep to be listed, but a link to its cases shows it chosen
    chosen = unit_options(get_ok(web, f"/cases?unit={office.id}"))
    assert (str(office.id), INDENT * 3 + "Office A11 一室") in chosen
    assert re.search(rf'<option selected value="{office.id}">', get_ok(web, f"/cases?unit={office.id}"))


def test_a_unit_stands_for_its_subtree(web, org, deeper, three_cases):  # noqa: F811
    alpha, bravo, charlie = three_cases
    section, office = deeper
    post = Position(unit=office, title="Office head 主任", rank="division_deputy", probation_applies=False)
    db.session.add(post)
    db.session.commit()
    deep = org.open_case(cadre=org.cadre(name="Delta Zhao", unit=office), post=post)
    assert deep.unit_id == office.id
    web.login("auditor")
    assert sorted(listed_case_ids(get_ok(web, f"/cases?unit={org.root.id}"))) == sorted([alpha.id, bravo.id, charlie.id, deep.id])
    assert sorted(listed_case_ids(get_ok(web, f"/cases?unit={org.unit_a.id}"))) == sorted([alpha.id, bravo.id, deep.id])
    assert listed_case_ids(get_ok(web, f"/cases?unit={section.id}")) == [deep.id]
    assert listed_case_ids(get_ok(web, f"/cases?unit={org.unit_b.id}")) == [charlie.id]


def test_a_unit_outside_the_users_units_lists_nothing(web, org, three_cases):  # noqa: F811
    web.login("officer_b")
    assert listed_case_ids(get_ok(web, f"/cases?unit={org.root.id}")) == []
    options = unit_options(get_ok(web, "/cases"))
    assert [label for _v, label in options[1:]] == ["Bureau B 乙局"]


def test_the_count_stops_at_the_limit_and_the_list_pages_on(app, web, monkeypatch, three_cases):  # noqa: F811
    monkeypatch.setattr(case_views, "COUNT_LIMIT", 1)
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)
    web.login("auditor")
    seen = []
    for page in (1, 2, 3):
        html = get_ok(web, f"/cases?sort=reference&page={page}")
        assert f"More than 1 · page {page}" in unescape(html)
        seen += listed_case_ids(html)
        assert ('rel="next"' in html) == (page < 3 or len(listed_case_ids(html)) == 1)
    assert len(set(seen)) == 3
    monkeypatch.setattr(case_views, "COUNT_LIMIT", 3)
    html = unescape(get_ok(web, "/cases?sort=reference&page=3"))
    assert "3 in all · page 3 of 3" in html and 'rel="next"' not in html


@pytest.mark.parametrize("query,expected", [
    ("track=promotion&state=nomination", {"alpha", "charlie"}),
    ("track=adjustment&state=nomination", set()),  # a state of the other track
    ("track=adjustment&state=inspection", set()),
    ("track=promotion&state=decision", {"echo"}),
    ("track=adjustment&state=decision", set()),  # a state of both tracks: the track still counts
    ("state=decision", {"echo"}),
])
def test_track_and_state_together(web, org, three_cases, query, expected):  # noqa: F811
    echo = org.drive(org.open_case(cadre=org.cadre(name="Echo Sun")), "decision")
    ids = dict(zip(("alpha", "bravo", "charlie", "echo"), (*(c.id for c in three_cases), echo.id), strict=True))
    web.login("auditor")
    assert set(listed_case_ids(get_ok(web, f"/cases?{query}"))) == {ids[n] for n in expected}


def test_a_list_page_reads_the_user_and_scope_together_and_no_unit_rows(web, org, deeper, app):
    """The user loader reads the user with the change tokens and the user's units (one query); the
    unit filter comes from the kept tree; a renamed unit is listed under its new name at once."""
    from sqlalchemy import event

    web.login("auditor")
    get_ok(web, "/cases")  # the tree is read and kept
    seen = []

    def log(_conn, _cursor, statement, *_rest):
        seen.append(" ".join(statement.split()))

    for path in ("/cases", f"/cases?unit={org.unit_a.id}"):  # a unit chosen: its subtree from the same tree
        seen.clear()
        event.listen(db.engine, "before_cursor_execute", log)
        try:
            get_ok(web, path)
        finally:
            event.remove(db.engine, "before_cursor_execute", log)
        assert "FROM app_user" in seen[0] and "change_token" in seen[0] and "user_unit" in seen[0], seen[0]
        assert not any(re.search(r"FROM unit\b", s) for s in seen), seen
        assert len(seen) == 4, seen  # the user with the scope; the count; the page of cases; the bell
    section, _office = deeper
    section.name = "Section A1 renamed 一科（更名）"
    db.session.commit()
    assert (str(section.id), INDENT * 2 + "Section A1 renamed 一科（更名）") in unit_options(get_ok(web, "/cases"))
