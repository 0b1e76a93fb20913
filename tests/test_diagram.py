"""The case's workflow diagram: drawn from the workflow definition the door runs, with the
current state highlighted, the path taken marked and repeated steps counted."""
import re
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from demo.paths import A_VISIT, ANSWER_CLEAR, OBJECTION, RESUME, TO_PUBLICITY, resolve_for
from workflow import door
from workflow.diagram import NODE_H, NODE_W, _fit, build, for_case
from workflow.registry import WORKFLOWS


@contextmanager
def reading(app, accept_language):
    """A request in that language; the locale is forgotten again afterwards (the test's app context keeps it)."""
    import flask_babel

    with app.test_request_context(headers={"Accept-Language": accept_language}):
        flask_babel.refresh()
        try:
            yield
        finally:
            flask_babel.refresh()


def run(org, case, steps):
    for step in steps:
        org.travel.days(step.wait_days)
        door.advance(case.id, step.trigger, org.users[step.role], resolve_for(step.data(org.travel.today), case), session=org.session)
    org.session.refresh(case)
    return case


def nodes_of(svg):
    """{state: classes} of the drawn nodes."""
    return {m.group(2): m.group(1).split() for m in re.finditer(r'<g class="([^"]*wf-node[^"]*)" data-state="([a-z_]+)"', svg)}


def taken_edges(svg):
    return {(m.group(1), m.group(2)): int(m.group(4) or 0)
            for m in re.finditer(r'<path class="wf-edge[^"]*taken[^"]*" d="[^"]*" marker-end="[^"]*" data-from="([a-z_]+)" '
                                 r'data-to="([a-z_]+)"( data-count="(\d+)")?', svg)}


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("track", sorted(WORKFLOWS))
def test_every_state_and_transition_of_the_definition_is_in_the_diagram(app, track, lang):
    workflow = WORKFLOWS[track]
    with reading(app, lang):
        diagram = build(workflow)
        svg = diagram.svg()
        labels = {t.trigger: t.label for t in workflow.transitions}
    assert set(nodes_of(svg)) == set(workflow.states_by_name)
    for state in workflow.states:  # the states' own labels, in the reader's language only
        shown, other = (state.zh, _fit(state.en)) if lang.startswith("zh") else (_fit(state.en), state.zh)
        assert f">{shown}<" in svg and f">{other}<" not in svg
    pairs = {(s, t.dest) for t in workflow.transitions for s in t.sources if s != t.dest}
    assert {(e.source, e.dest) for e in diagram.edges} == pairs
    loops = {(s, t.trigger) for t in workflow.transitions for s in t.sources if s == t.dest}
    drawn_loops = {(n.name, label) for n in diagram.nodes.values() for label, _ in n.loops}
    assert drawn_loops == {(s, labels[trigger]) for s, trigger in loops}
    assert 'role="img"' in svg and "<title" in svg and "aria-labelledby" in svg
    assert "style=" not in svg and "<script" not in svg


@pytest.mark.parametrize("track", sorted(WORKFLOWS))
def test_layout_nodes_do_not_overlap_and_forward_edges_go_down(track):
    diagram = build(WORKFLOWS[track])
    boxes = [(n.x, n.y) for n in diagram.nodes.values()]
    for i, (x1, y1) in enumerate(boxes):
        for x2, y2 in boxes[i + 1:]:
            assert abs(x1 - x2) >= NODE_W or abs(y1 - y2) >= NODE_H
        assert 0 <= x1 and x1 + NODE_W <= diagram.width and 0 <= y1 and y1 + NODE_H <= diagram.height
    for edge in diagram.edges:
        if not edge.back:
            assert diagram.nodes[edge.dest].layer > diagram.nodes[edge.source].layer, edge
    assert diagram.nodes[WORKFLOWS[track].initial].layer == 0


def test_the_path_counts_and_current_state_from_records(app):
    workflow = WORKFLOWS["promotion"]
    records = [SimpleNamespace(trigger=t, from_state=a, to_state=b) for t, a, b in [
        ("open", None, "nomination"), ("select_for_inspection", "nomination", "inspection"),
        ("record_check", "inspection", "inspection"), ("record_check", "inspection", "inspection"),
        ("conclude_inspection", "inspection", "decision")]]
    with reading(app, "en"):
        diagram = build(workflow, records, "decision")
        assert ("Inspection", "Record a mandatory check", 2) in diagram.repeated_steps
        assert "Current state: Awaiting collective decision." in diagram.svg()
    with reading(app, "zh-CN"):
        assert ("考察", "录入必查事项", 2) in build(workflow, records, "decision").repeated_steps
    assert [n.name for n in diagram.nodes.values() if n.current] == ["decision"]
    assert {n.name for n in diagram.nodes.values() if n.visited} == {"nomination", "inspection", "decision"}
    assert {(e.source, e.dest): e.count for e in diagram.edges if e.count} == {("nomination", "inspection"): 1, ("inspection", "decision"): 1}
    assert diagram.nodes["inspection"].repeats == 2


def test_case_page_shows_the_diagram_with_current_state_path_and_repeats(web, org):
    case = org.open_case()
    run(org, case, [*TO_PUBLICITY, OBJECTION, ANSWER_CLEAR, RESUME, OBJECTION, ANSWER_CLEAR, RESUME])
    assert case.state == "publicity"
    web.login("case_officer")
    html = web.get(f"/cases/{case.id}").get_data(as_text=True)
    section = re.search(r'<section class="card" id="diagram">(.*?)</section>', html, re.S).group(1)
    svg = section[section.index("<svg"):section.index("</svg>") + 6]
    nodes = nodes_of(svg)
    assert set(nodes) == set(WORKFLOWS["promotion"].states_by_name)
    assert [s for s, classes in nodes.items() if "current" in classes] == ["publicity"]
    assert 'data-state="publicity" aria-current="step"' in svg
    visited = {s for s, classes in nodes.items() if "visited" in classes}
    assert visited == {"nomination", "inspection", "decision", "approved", "publicity", "publicity_suspended"}
    taken = taken_edges(svg)
    assert taken == {("nomination", "inspection"): 1, ("inspection", "decision"): 1, ("decision", "approved"): 1,
                     ("approved", "publicity"): 1, ("publicity", "publicity_suspended"): 2, ("publicity_suspended", "publicity"): 2}
    assert svg.count(">×2</text>") == 2  # suspended twice, resumed twice
    # Answers stay in the suspended state: counted on the node and listed in the table below.
    assert re.search(r'data-state="publicity_suspended".*?<g class="wf-loop taken" data-repeats="2">', svg, re.S)
    repeats = re.search(r'<table class="list" id="diagram-repeats">(.*?)</table>', section, re.S).group(1)
    assert re.search(r"Publicity suspended</td><td>Answer objection</td><td class=\"num\">2<", repeats)
    assert re.search(r"Publicity → Publicity suspended</td><td>Record objection</td><td class=\"num\">2<", repeats)
    assert "style=" not in section and "<script" not in section
    assert "Current state: Publicity." in svg  # the <desc> says it in words
    assert ">Workflow diagram<" in section and "Repeated steps" in section
    # In Chinese: the same picture and table, every word in Chinese.
    html = web.speak("zh").get(f"/cases/{case.id}").get_data(as_text=True)
    section = re.search(r'<section class="card" id="diagram">(.*?)</section>', html, re.S).group(1)
    assert ">流程图<" in section and "重复步骤" in section and "当前状态：任前公示。" in section
    assert re.search(r"任前公示 → 公示暂停</td><td>登记反映问题</td><td class=\"num\">2<", section)
    assert ">任前公示<" in section and ">Publicity<" not in section


def test_adjustment_follow_up_counts_return_visits(web, org):
    case = org.adjustment_in("follow_up")
    run(org, case, [A_VISIT])
    diagram = for_case(case)
    node = diagram.nodes["follow_up"]
    assert node.current
    assert dict(node.loops)["Record a return visit"] == 2
    assert dict(node.loops)["Name the helper"] == 1
    web.login("auditor")  # read-only roles see the diagram too
    html = web.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-state="follow_up" aria-current="step"' in html
    assert re.search(r'<g class="wf-loop taken" data-repeats="3"><rect[^>]*/><text[^>]*>↻3</text>', html)
    assert re.search(r"Follow-up reviews</td><td>Record a return visit</td><td class=\"num\">2<", html)
    html = web.speak("zh").get(f"/cases/{case.id}").get_data(as_text=True)
    assert re.search(r"跟踪回访</td><td>录入跟踪回访</td><td class=\"num\">2<", html)


def test_exits_reached_from_anywhere_are_drawn_only_when_taken(app, org):
    from demo.paths import HOLD, RELEASE, SELECT

    case = org.open_case()
    run(org, case, [SELECT, HOLD, RELEASE])
    diagram = for_case(case)
    hold = diagram.nodes["on_hold"]
    assert hold.hub_from and "inspection" in hold.hub_from
    svg = diagram.svg()
    assert ("inspection", "on_hold") in taken_edges(svg) and ("on_hold", "inspection") in taken_edges(svg)
    # Untaken edges into the exits are not drawn; the node says where it can be reached from.
    assert 'data-from="decision" data-to="on_hold"' not in svg
    assert "reachable from 6 steps" in svg
    assert diagram.nodes["inspection"].current
    with reading(app, "zh-CN"):
        assert "可由 6 个环节转入" in for_case(case).svg()


def test_cases_that_took_the_same_steps_share_one_drawing_in_each_language(app, web, org):
    """drawn_for_case keeps a drawing per path and language: the same SVG as drawn afresh, with the
    page's own id prefix; another step taken, or the other language, is another drawing."""
    from demo.paths import SELECT
    from workflow.diagram import drawn_for_case

    first, second = org.open_case(), org.open_case(cadre=org.cadre(name="王五"))
    with reading(app, "en"):
        one, two = drawn_for_case(first), drawn_for_case(second)
        assert one is two
        assert one.svg("wf-1") == for_case(first).svg("wf-1") and 'id="wf-2-title"' in two.svg("wf-2")
        assert one.repeated_steps == []
    run(org, second, [SELECT])
    with reading(app, "en"):
        assert drawn_for_case(second) is not one
        assert drawn_for_case(second).svg("x") == for_case(second).svg("x")
    with reading(app, "zh-CN"):
        chinese = drawn_for_case(first)
        assert chinese is not one and chinese.svg("wf") == for_case(first).svg("wf")
    web.login("auditor")
    html = web.get(f"/cases/{first.id}").get_data(as_text=True)
    assert f'id="wf-{first.id}-title"' in html and "wf-prefix-" not in html
