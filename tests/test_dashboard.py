"""The dashboard: its numbers match the data, per the user's units, with charts and tables."""
import re
from datetime import date, timedelta

from sqlalchemy import event, select

from models import Case, StepRecord, db
from workflow import clock
from workflow import dashboard as stats
from workflow.access import unit_scope
from workflow.deadlines import follow_up_due
from workflow.rules import active_rule_set, rules_of


def table(html, table_id):
    match = re.search(rf'<table class="list" id="{table_id}">(.*?)</table>', html, re.S)
    assert match, f"no table #{table_id}"
    body = re.search(r"<tbody>(.*?)</tbody>", match.group(1), re.S).group(1)
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append(cells)
    return rows


def due_dates(html, table_id):
    """The machine dates (<time datetime>) of a table's rows."""
    match = re.search(rf'<table class="list" id="{table_id}">(.*?)</table>', html, re.S)
    return [date.fromisoformat(d) for d in re.findall(r'<time datetime="([0-9-]+)">', match.group(1))]


def number(html, element_id):
    return int(re.search(rf'id="{element_id}">(\d+)<', html).group(1))


def expected_step_days(session, track, scope):
    """An independent computation: walk every case's records in Python."""
    spans = {}
    for case in session.scalars(select(Case).where(Case.track == track, Case.unit_id.in_(scope))):
        changes = [r for r in sorted(case.records, key=lambda r: r.id) if r.from_state is None or r.from_state != r.to_state]
        for entered, left in zip(changes, changes[1:], strict=False):
            spans.setdefault(entered.to_state, []).append((left.recorded_at - entered.recorded_at).total_seconds() / 86400)
    return {state: (round(sum(v) / len(v), 1), len(v)) for state, v in spans.items()}


def build_history(org, travel):
    """2026: one appointment (to a post with probation: still open) and one adjustment carried out;
    2027: one appointment without probation (closed), one nomination left to go stale."""
    first = org.case_in("probation")
    adjustment = org.adjustment_in("follow_up")
    travel.to(date(2027, 2, 1))
    second = org.case_in("probation", post=org.post_a_plain)
    stale = org.open_case()
    in_b = org.open_case(post=org.post_b, cadre=org.cadre(unit=org.unit_b, name="王五"))
    return first, adjustment, second, stale, in_b


def test_dashboard_numbers_match_the_data(web, org, travel):
    first, adjustment, second, stale, in_b = build_history(org, travel)
    assert (first.state, second.state, adjustment.state) == ("probation", "appointed", "follow_up")
    travel.days(120)  # the nomination is now past its step limit: overdue
    web.login("case_officer")
    html = web.get("/dashboard").get_data(as_text=True)

    # Open cases by track and state.
    assert table(html, "table-open-promotion") == [["Nomination", "2"], ["Probation", "1"]]
    assert table(html, "table-open-adjustment") == [["Follow-up reviews", "1"]]
    assert number(html, "total-open") == 4 and number(html, "total-open-promotion") == 3 and number(html, "total-open-adjustment") == 1

    # Promotions and adjustments per year.
    assert table(html, "table-per-year") == [["2026", "1", "1"], ["2027", "1", "0"]]

    # Average days per step, against a computation of our own.
    scope = unit_scope(db.session, org.users["case_officer"])
    for track in ("promotion", "adjustment"):
        expected = expected_step_days(db.session, track, scope)
        shown = {row[0]: (float(row[1]), int(row[2])) for row in table(html, f"table-days-{track}")}
        labels = {s.label: s.name for s in stats.WORKFLOWS[track].states}
        assert {labels[k]: v for k, v in shown.items()} == expected
    assert float(dict((r[0], r[1]) for r in table(html, "table-days-promotion"))["Inspection"]) > 0

    # Overdue items: the stale nominations (not the case of unit B only when out of scope).
    overdue = table(html, "table-overdue")
    assert number(html, "total-overdue") == len(overdue) >= 2
    assert any(stale.reference in row[2] for row in overdue)
    assert len(due_dates(html, "table-overdue")) == len(overdue) and all(d < travel.today for d in due_dates(html, "table-overdue"))
    kinds = {row[0]: int(row[1]) for row in table(html, "table-overdue-kinds")}
    assert sum(kinds.values()) == len(overdue)

    # Charts: server-rendered SVG with a title and a description, each followed by its table.
    for chart in ("chart-open-promotion", "chart-open-adjustment", "chart-days-promotion", "chart-per-year", "chart-overdue"):
        svg = re.search(rf'<svg[^>]*id="{chart}".*?</svg>', html, re.S).group(0)
        assert 'role="img"' in svg and f'aria-labelledby="{chart}-t {chart}-d"' in svg
        assert f'<title id="{chart}-t">' in svg and f'<desc id="{chart}-d">' in svg
    assert re.search(r'<desc id="chart-per-year-d">2026: [^<]*1[^<]*; 2027:', html)
    assert '<title id="chart-open-promotion-t">Open promotion cases by state</title>' in html
    assert '<title id="chart-per-year-t">Promotions and adjustments per year</title>' in html
    assert re.search(r'<desc id="chart-days-promotion-d">Nomination: [0-9.]+ days', html)
    assert "<script" not in html and " style=" not in html and "cdn" not in html.lower()
    assert 'href="/dashboard"' in html  # linked from the header


def test_follow_up_reviews_due_this_month(web, org, travel):
    case = org.adjustment_in("follow_up")
    due, kind = follow_up_due(case, rules_of(active_rule_set(db.session)))
    assert kind == "return_visit_due"
    travel.to(due.replace(day=1))
    web.login("case_officer")
    html = web.get("/dashboard").get_data(as_text=True)
    rows = table(html, "table-follow-ups")
    assert rows == [[f"{due:%b} {due.day}, {due.year}", "Follow-up review (return visit) due", case.reference, rows[0][3]]]
    assert due_dates(html, "table-follow-ups") == [due]
    assert number(html, "total-follow-ups") == 1
    # The month before, it is not listed; the month after, it is overdue instead.
    travel.to(due.replace(day=1) - timedelta(days=1))
    html = web.get("/dashboard").get_data(as_text=True)
    assert number(html, "total-follow-ups") == 0 and 'id="table-follow-ups"' not in html
    travel.to(due + timedelta(days=40))
    html = web.get("/dashboard").get_data(as_text=True)
    assert number(html, "total-follow-ups") == 0
    assert any(case.reference in row[2] for row in table(html, "table-overdue"))


def test_dashboard_in_chinese(web, org, travel):
    """Headings, table labels, chart titles and descriptions, dates and item titles in Chinese."""
    build_history(org, travel)
    travel.days(120)
    web.speak("zh").login("case_officer")
    html = web.get("/dashboard").get_data(as_text=True)
    assert table(html, "table-open-promotion") == [["推荐提名", "2"], ["试用期", "1"]]
    assert table(html, "table-open-adjustment") == [["跟踪回访", "1"]]
    assert '<title id="chart-open-promotion-t">在办晋升案件（按环节）</title>' in html
    assert '<title id="chart-days-adjustment-t">调整：各环节平均办理天数</title>' in html
    assert '<title id="chart-overdue-t">逾期事项（按类别）</title>' in html
    assert re.search(r'<desc id="chart-days-promotion-d">推荐提名: [0-9.]+ 天', html)
    assert re.search(r'<desc id="chart-per-year-d">2026: 晋升（已任职） 1, 调整（已落实） 1; 2027:', html)
    today = travel.today
    assert f"所辖单位截至{today.year}年{today.month}月{today.day}日的情况。" in html
    overdue = table(html, "table-overdue")
    assert overdue and all(re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", row[0]) for row in overdue)
    assert any(row[1] == "步骤办理时限（逾期未推进即为滞留）" for row in overdue)
    assert "Open cases" not in html and "Overdue items" not in html


def test_dashboard_is_per_unit(web, org, travel):
    org.case_in("inspection")
    in_b = org.open_case(post=org.post_b, cadre=org.cadre(unit=org.unit_b, name="王五"))
    web.login("officer_b")
    html = web.get("/dashboard").get_data(as_text=True)
    assert table(html, "table-open-promotion") == [["Nomination", "1"]]
    assert number(html, "total-open") == 1
    assert "Inspection" not in "".join(c for row in table(html, "table-open-promotion") for c in row)
    board = stats.build(db.session, unit_scope(db.session, org.officer_b), clock.today_local())
    assert [(c.state, c.count) for c in board.open_cases] == [("nomination", 1)]
    assert in_b.unit_id == org.unit_b.id


def test_every_signed_in_role_sees_the_dashboard_of_its_units(web, org, travel):
    org.case_in("decision")
    for role in ("case_officer", "inspector", "discipline_liaison", "committee_secretary", "auditor", "administrator"):
        web.client.get("/")  # fresh page for the token
        web.login(role)
        response = web.get("/dashboard")
        assert response.status_code == 200, role
        assert number(response.get_data(as_text=True), "total-open") == 1
        web.post("/logout")


def test_dashboard_without_data_and_without_sign_in(web, org):
    assert web.get("/dashboard").status_code in (302, 401)
    web.login("auditor")
    html = web.get("/dashboard").get_data(as_text=True)
    assert number(html, "total-open") == 0 and "No open cases" in html
    assert re.search(r'<svg[^>]*id="chart-overdue".*?<text x="8" y="24">No data</text></svg>', html, re.S)
    assert table(html, "table-per-year") == [[str(clock.today_local().year), "0", "0"]]


def test_dashboard_queries_do_not_grow_with_the_number_of_cases(web, org, travel, app):
    def statements():
        seen = []

        def count(*_args, **_kw):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert web.get("/dashboard").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    web.login("case_officer")
    org.case_in("inspection")
    org.adjustment_in("follow_up")
    few = statements()
    for _ in range(4):
        org.case_in("inspection")
        org.adjustment_in("follow_up")
        org.open_case()
    assert statements() == few


def test_step_times_use_one_grouped_query(org, travel):
    org.case_in("approved")
    scope = unit_scope(db.session, org.users["case_officer"])
    times = {s.state: s for s in stats.step_times(db.session, scope)}
    expected = expected_step_days(db.session, "promotion", scope)
    assert {k: (v.average_days, v.stays) for k, v in times.items()} == expected
    assert set(times) == {"nomination", "inspection", "decision"}
    assert db.session.scalar(select(StepRecord.id).limit(1)) is not None
