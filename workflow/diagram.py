"""A case's workflow drawn as SVG from the very ``Workflow`` value the door runs.

The layout is computed here, in Python, with no drawing library: states are put in layers
(longest path from the initial state once the edges that go back — resuming, releasing a
hold — are set aside), ordered within each layer to keep edges short, and drawn top to bottom.
The case's step records give the path taken: every edge it used is drawn strong (with "×n" when
used more than once), every state it passed through is marked, the current one highlighted,
and steps that stay in their state (return visits, checks, objections) are counted on the node.

Nothing here reads the database: ``build`` takes a workflow and a list of step records.
"""
from collections import Counter
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from .i18n import _, language, listing, pick

NODE_W, NODE_H = 196, 48
HUB_SOURCES = 6  # a state reached from this many others ("on hold", "withdrawn") is drawn as an exit: see build()
GAP_X, GAP_Y = 26, 62
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 70, 16, 16


@dataclass
class Node:
    name: str
    zh: str
    en: str
    final: bool
    layer: int = 0
    order: float = 0.0
    x: float = 0.0
    y: float = 0.0
    visited: bool = False
    current: bool = False
    loops: list = field(default_factory=list)  # [(label, count)] reflexive steps defined here
    repeats: int = 0  # how many reflexive steps the case took here
    hub_from: list = field(default_factory=list)  # an exit: the states it can be reached from

    @property
    def label(self):
        return pick(self.en, self.zh)


@dataclass
class Edge:
    source: str
    dest: str
    labels: list
    back: bool = False
    count: int = 0  # times the case took this edge
    collapsed: bool = False  # an edge to or from an exit reachable from (almost) anywhere: drawn only when taken


@dataclass
class Diagram:
    track: str
    nodes: dict
    edges: list
    width: float
    height: float
    path: list  # [(from_state, to_state, step label)] in order, state changes only
    current: str | None

    @property
    def repeated_steps(self):
        """[(state label, step label, count)] for steps that stay in their state, then edges taken twice or more."""
        out = []
        for node in self.nodes.values():
            out.extend((node.label, label, count) for label, count in node.loops if count)
        for edge in self.edges:
            if edge.count > 1:
                a, b = self.nodes[edge.source], self.nodes[edge.dest]
                out.append((f"{a.label} → {b.label}", " / ".join(edge.labels), edge.count))
        return out

    def svg(self, id_prefix="wf"):
        return Markup(render_svg(self, id_prefix))


def build(workflow, records=(), current=None) -> Diagram:
    """``records``: objects with trigger, from_state, to_state (a case's StepRecords, in order)."""
    nodes = {s.name: Node(s.name, s.zh, s.en, s.final) for s in workflow.states}
    edges, loops = {}, {}
    for t in workflow.transitions:
        for source in t.sources:
            if source == t.dest:
                labels = loops.setdefault(source, {})
                labels.setdefault(t.trigger, t.label)
                continue
            edge = edges.setdefault((source, t.dest), Edge(source, t.dest, []))
            if t.label not in edge.labels:
                edge.labels.append(t.label)
    # Exits reachable from nearly every open step (on hold, withdrawn) would cross the whole
    # picture with their edges: they go in a row of their own at the bottom, say where they can
    # be reached from, and only the edges the case actually took are drawn.
    sources = {}
    for (a, b) in edges:
        sources.setdefault(b, []).append(a)
    hubs = {name for name, froms in sources.items() if len(froms) >= HUB_SOURCES}
    for name in hubs:
        nodes[name].hub_from = [n for n in nodes if n in sources[name]]
    for (a, b), edge in edges.items():
        edge.collapsed = a in hubs or b in hubs
    _mark_back_edges(workflow.initial, nodes, {k: e for k, e in edges.items() if not e.collapsed})
    _layer(nodes, {k: e for k, e in edges.items() if not e.collapsed})
    bottom = max(n.layer for n in nodes.values() if n.name not in hubs) + 1
    for name in hubs:
        nodes[name].layer = bottom
    for (a, b), edge in edges.items():
        if edge.collapsed:
            edge.back = nodes[b].layer <= nodes[a].layer
    _order(nodes, {k: e for k, e in edges.items() if not e.collapsed})
    width, height = _place(nodes)

    # The path taken, from the step records.
    loop_counts = Counter()
    path = []
    labels = {t.trigger: t.label for t in workflow.transitions}
    for record in records:
        if record.to_state in nodes:
            nodes[record.to_state].visited = True
        if record.from_state is None:
            continue
        if record.from_state == record.to_state:
            loop_counts[(record.to_state, record.trigger)] += 1
            continue
        edge = edges.get((record.from_state, record.to_state))
        if edge is not None:
            edge.count += 1
        path.append((record.from_state, record.to_state, labels.get(record.trigger, record.trigger)))
    for name, triggers in loops.items():
        nodes[name].loops = [(label, loop_counts[(name, trigger)]) for trigger, label in triggers.items()]
        nodes[name].repeats = sum(loop_counts[(name, trigger)] for trigger in triggers)
    if current in nodes:
        nodes[current].current = nodes[current].visited = True
    return Diagram(workflow.track, nodes, list(edges.values()), width, height, path, current)


def for_case(case):
    from .registry import workflow_for

    return build(workflow_for(case.track), case.records, case.state)


class Drawn:
    """A case's diagram as drawn: its SVG (ids prefixed when shown) and the steps it repeated."""

    def __init__(self, svg_text, repeated_steps):
        self._svg, self.repeated_steps = svg_text, repeated_steps

    def svg(self, id_prefix="wf"):
        return Markup(self._svg.replace(_PLACEHOLDER, str(escape(id_prefix))))


_PLACEHOLDER = "wf-prefix-7f3a9c"  # stands for the page's id prefix in a kept drawing
_DRAWN: dict = {}  # (track, state, the path's steps, language) -> Drawn


def drawn_for_case(case) -> Drawn:
    """``for_case`` drawn, kept per path: cases that took the same steps share one drawing (laying out
    a track and drawing it costs about 2 ms, a case page's tenth)."""
    key = (case.track, case.state, tuple((r.trigger, r.from_state, r.to_state) for r in case.records), language())
    drawn = _DRAWN.get(key)
    if drawn is None:
        diagram = for_case(case)
        drawn = Drawn(render_svg(diagram, _PLACEHOLDER), diagram.repeated_steps)
        if len(_DRAWN) >= 5000:
            _DRAWN.clear()
        _DRAWN[key] = drawn
    return drawn


# --- layout ----------------------------------------------------------------------------------

def _mark_back_edges(initial, nodes, edges):
    """Depth-first from the initial state, children in the states' order: an edge to a state still on
    the stack closes a cycle (resume, release a hold, back to handling) and is drawn going back."""
    rank = {name: i for i, name in enumerate(nodes)}
    out = {}
    for (a, b) in edges:
        out.setdefault(a, []).append(b)
    for children in out.values():
        children.sort(key=rank.get)  # the states' own order: the main flow before the exits
    state = {}
    for root in [initial, *nodes]:
        if root in state:
            continue
        state[root] = "open"
        stack = [(root, iter(out.get(root, [])))]
        while stack:
            name, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[name] = "done"
                stack.pop()
            elif state.get(child) == "open":
                edges[(name, child)].back = True
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(out.get(child, []))))


def _layer(nodes, edges):
    """Longest path over the forward edges: every edge goes at least one layer down."""
    forward = [e for e in edges.values() if not e.back]
    for _round in range(len(nodes)):
        changed = False
        for e in forward:
            if nodes[e.dest].layer < nodes[e.source].layer + 1:
                nodes[e.dest].layer = nodes[e.source].layer + 1
                changed = True
        if not changed:
            break


def _order(nodes, edges):
    """Definition order first, then a few barycentre sweeps (down, then up) to shorten edges."""
    layers = _layers(nodes)
    for position, name in enumerate(nodes):
        nodes[name].order = position
    preds, succs = {}, {}
    for e in edges.values():
        if not e.back:
            preds.setdefault(e.dest, []).append(e.source)
            succs.setdefault(e.source, []).append(e.dest)
    for sweep in range(4):
        neighbours = preds if sweep % 2 == 0 else succs
        sequence = sorted(layers) if sweep % 2 == 0 else sorted(layers, reverse=True)
        for layer in sequence:
            members = layers[layer]
            for name in members:
                linked = neighbours.get(name, [])
                if linked:
                    nodes[name].order = sum(nodes[n].order for n in linked) / len(linked) + nodes[name].order * 1e-3
            members.sort(key=lambda n: nodes[n].order)
            for index, name in enumerate(members):
                nodes[name].order = index


def _layers(nodes):
    layers = {}
    for name, node in nodes.items():
        layers.setdefault(node.layer, []).append(name)
    return layers


def _place(nodes):
    layers = _layers(nodes)
    widest = max(len(members) for members in layers.values())
    width = 2 * MARGIN_X + widest * NODE_W + (widest - 1) * GAP_X
    for layer, members in layers.items():
        members.sort(key=lambda n: nodes[n].order)
        row = len(members) * NODE_W + (len(members) - 1) * GAP_X
        left = (width - row) / 2
        for index, name in enumerate(members):
            nodes[name].x = left + index * (NODE_W + GAP_X)
            nodes[name].y = MARGIN_TOP + layer * (NODE_H + GAP_Y)
    height = MARGIN_TOP + (max(layers) + 1) * (NODE_H + GAP_Y) - GAP_Y + MARGIN_BOTTOM + 10
    return width, height


# --- drawing ---------------------------------------------------------------------------------

def _edge_path(diagram, edge, fan):
    a, b = diagram.nodes[edge.source], diagram.nodes[edge.dest]
    if not edge.back and b.layer > a.layer:
        x1, y1 = a.x + NODE_W / 2 + fan[0], a.y + NODE_H
        x2, y2 = b.x + NODE_W / 2 + fan[1], b.y
        bend = (y2 - y1) / 2
        return f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} {x2:.1f},{y2:.1f}", (x1 + x2) / 2, (y1 + y2) / 2
    # Going back up (or sideways): leave and enter by the sides, bowing outwards.
    # Out of the side facing away from the other node, so the curve stays clear of the row between.
    left = a.x < b.x - 1 or (abs(a.x - b.x) <= 1 and b.x + NODE_W / 2 < diagram.width / 2)
    sx = a.x if left else a.x + NODE_W
    dx = b.x if left else b.x + NODE_W
    sy, dy = a.y + NODE_H / 2 + fan[0] / 3, b.y + NODE_H / 2 + fan[1] / 3
    reach = 40 + 14 * abs(a.layer - b.layer)
    out = min(sx, dx) - reach if left else max(sx, dx) + reach
    out = max(6, min(diagram.width - 6, out))
    return f"M{sx:.1f},{sy:.1f} C{out:.1f},{sy:.1f} {out:.1f},{dy:.1f} {dx:.1f},{dy:.1f}", (sx + dx + 2 * out) / 4, (sy + dy) / 2


def _fans(diagram):
    """Spread the ends of edges that share a node side, so they do not sit on one another."""
    by_out, by_in = {}, {}
    for edge in _drawn(diagram):
        by_out.setdefault((edge.source, edge.back), []).append(edge)
        by_in.setdefault((edge.dest, edge.back), []).append(edge)
    fans = {}
    for groups, index in ((by_out, 0), (by_in, 1)):
        for group in groups.values():
            other = (lambda e: diagram.nodes[e.dest].x) if index == 0 else (lambda e: diagram.nodes[e.source].x)
            group.sort(key=other)
            span = min(NODE_W - 40, 16 * (len(group) - 1))
            for i, edge in enumerate(group):
                offset = -span / 2 + (span * i / (len(group) - 1) if len(group) > 1 else span / 2)
                fans.setdefault(id(edge), [0.0, 0.0])[index] = offset
    return fans


def _drawn(diagram):
    return [edge for edge in diagram.edges if edge.count or not edge.collapsed]


def render_svg(diagram, prefix="wf"):
    from .door import track_name

    e = escape
    title_id, desc_id, arrow, arrow_taken = f"{prefix}-title", f"{prefix}-desc", f"{prefix}-arrow", f"{prefix}-arrow-taken"
    current = diagram.nodes.get(diagram.current)
    title = _("Workflow diagram: %(track)s", track=track_name(diagram.track))
    desc = [_("Current state: %(state)s.", state=current.label) if current else ""]
    if diagram.path:
        steps = [diagram.nodes[diagram.path[0][0]].label]
        steps += [diagram.nodes[b].label for _a, b, _label in diagram.path]
        desc.append(_("Path taken: %(steps)s.", steps=" → ".join(steps)))
    for where, label, count in diagram.repeated_steps:
        desc.append(_("%(step)s ×%(count)s (%(where)s).", step=label, count=count, where=where))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wf-diagram" viewBox="0 0 {diagram.width:.0f} {diagram.height:.0f}" '
        f'width="{diagram.width:.0f}" height="{diagram.height:.0f}" role="img" aria-labelledby="{title_id} {desc_id}">',
        f'<title id="{title_id}">{e(title)}</title>',
        f'<desc id="{desc_id}">{e(" ".join(d for d in desc if d))}</desc>',
        "<defs>",
        f'<marker id="{arrow}" class="wf-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z"/></marker>',
        f'<marker id="{arrow_taken}" class="wf-arrow taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>',
        "</defs>",
    ]
    fans = _fans(diagram)
    lang = language()
    labels = []
    # Untaken edges first, so the path is drawn on top.
    for edge in sorted(_drawn(diagram), key=lambda ed: ed.count > 0):
        d, mx, my = _edge_path(diagram, edge, fans.get(id(edge), (0, 0)))
        a, b = diagram.nodes[edge.source], diagram.nodes[edge.dest]
        classes = "wf-edge" + (" back" if edge.back else "") + (" taken" if edge.count else "")
        tip = _("%(source)s → %(dest)s: %(steps)s", source=a.label, dest=b.label, steps=" / ".join(edge.labels))
        if edge.count:
            tip += pick(f" (×{edge.count})", f"（×{edge.count}）")
        out.append(f'<path class="{classes}" d="{d}" marker-end="url(#{arrow_taken if edge.count else arrow})" '
                   f'data-from="{e(edge.source)}" data-to="{e(edge.dest)}"{f" data-count={chr(34)}{edge.count}{chr(34)}" if edge.count else ""}>'
                   f"<title>{e(tip)}</title></path>")
        if edge.count > 1:
            labels.append(f'<g class="wf-count"><circle cx="{mx:.1f}" cy="{my:.1f}" r="11"/>'
                          f'<text x="{mx:.1f}" y="{my + 4:.1f}" text-anchor="middle">×{edge.count}</text></g>')
    out.extend(labels)
    for node in diagram.nodes.values():
        classes = "wf-node" + (" final" if node.final else "") + (" visited" if node.visited else "") + (" current" if node.current else "")
        tip = (_("%(state)s — current state", state=node.label) if node.current
               else _("%(state)s — passed", state=node.label) if node.visited else node.label)
        if node.repeats:
            tip += "".join(pick("; ", "；") + f"{label} ×{count}" for label, count in node.loops if count)
        if node.hub_from:
            tip += pick("; ", "；") + _("reached from: %(states)s", states=listing(diagram.nodes[n].label for n in node.hub_from))
        cx = node.x + NODE_W / 2
        attrs = ' aria-current="step"' if node.current else ""
        out.append(f'<g class="{classes}" data-state="{e(node.name)}"{attrs}><title>{e(tip)}</title>'
                   f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="{8 if not node.final else 22}"/>'
                   f'<text class="{lang}" x="{cx:.1f}" y="{node.y + NODE_H / 2 + 5:.1f}" text-anchor="middle">'
                   f'{e(node.zh if lang == "zh" else _fit(node.en))}</text>')
        if node.loops:
            bx, by = node.x + NODE_W - 4, node.y + 4
            text = f"↻{node.repeats}" if node.repeats else "↻"
            out.append(f'<g class="wf-loop{" taken" if node.repeats else ""}" data-repeats="{node.repeats}">'
                       f'<rect x="{bx - 30:.1f}" y="{by - 12:.1f}" width="36" height="18" rx="9"/>'
                       f'<text x="{bx - 12:.1f}" y="{by + 1:.1f}" text-anchor="middle">{text}</text></g>')
        if node.hub_from:
            hub = "↑ " + _("reachable from %(count)s steps", count=len(node.hub_from))
            out.append(f'<text class="wf-hub" x="{cx:.1f}" y="{node.y + NODE_H + 14:.1f}" text-anchor="middle">{e(hub)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def _fit(text, limit=30):
    return text if len(text) <= limit else text[: limit - 1] + "…"
