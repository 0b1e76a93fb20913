"""Template filters and globals: local times, domain labels, pagination links."""
from flask import request, url_for
from markupsafe import Markup

from workflow import clock, terms
from workflow.audit import event_label
from workflow.diagram import drawn_for_case as case_diagram
from workflow.records import record_rows, step_title
from workflow.registry import WORKFLOWS


def local_dt(value, fmt="%Y-%m-%d %H:%M"):
    return value.astimezone(clock.LOCAL_TZ).strftime(fmt) if value else ""


def state_label(case_or_state, track="promotion"):
    if hasattr(case_or_state, "state"):
        track, state = case_or_state.track, case_or_state.state
    else:
        state = case_or_state
    workflow = WORKFLOWS.get(track)
    return workflow.state(state).label if workflow and state in workflow.states_by_name else state


def page_url(page):
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **request.view_args, **args)


def safe_next(target, default):
    """A redirect target only if it stays on this site (no scheme, no host, no tricks)."""
    from urllib.parse import urlsplit

    target = "".join(ch for ch in (target or "") if ch >= " " and ch != "\\")
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return default
    return target


class ListSort:
    """How a list page is sorted: ``?sort=<key>&dir=asc|desc``, read against the page's own whitelist.

    ``keys`` maps each sortable key to the direction a first click on its header sorts in. An
    unknown key falls back to ``default`` (with its own direction), an unknown direction to the
    key's: a view only ever orders by expressions it chose itself. In a template, ``sort.header(key,
    label)`` is a column header whose link sorts by that key (the other way round when it is the
    current one, keeping the other query arguments, back to page 1) and which says how the column is
    sorted (``aria-sort``); ``sort.fields()`` carries the sort through a filter form."""

    DIRECTIONS = ("asc", "desc")

    def __init__(self, keys, default, args=None):
        args = request.args if args is None else args
        asked = args.get("sort", "")
        self.keys = dict(keys)
        self.key = asked if asked in self.keys else default
        direction = args.get("dir", "") if asked in self.keys else ""
        self.direction = direction if direction in self.DIRECTIONS else self.keys[self.key]

    @property
    def descending(self):
        return self.direction == "desc"

    def url(self, key):
        if key == self.key:
            direction = "asc" if self.descending else "desc"
        else:
            direction = self.keys[key]
        args = request.args.to_dict()
        args.update(sort=key, dir=direction, page=1)
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    def aria(self, key):
        """The ``aria-sort`` value of a column: only the sorted column carries one."""
        if key != self.key:
            return None
        return "descending" if self.descending else "ascending"

    def header(self, key, label, cls=None):
        aria = self.aria(key)
        mark = Markup('<span class="sort-mark" aria-hidden="true"> {}</span>').format("▼" if self.descending else "▲") if aria else ""
        return Markup('<th{}{}><a href="{}">{}{}</a></th>').format(
            Markup(' class="{}"').format(cls) if cls else "", Markup(' aria-sort="{}"').format(aria) if aria else "",
            self.url(key), label, mark)

    def fields(self):
        return Markup('<input type="hidden" name="sort" value="{}"><input type="hidden" name="dir" value="{}">').format(
            self.key, self.direction)


def page_arg(top=100_000):
    """The ``page`` query argument: a whole number from 1 to ``top``; anything else is page 1."""
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdecimal()):
        return 1
    return max(1, min(int(raw) if len(raw) <= 12 else top, top))


def init(app):
    app.jinja_env.filters["local_dt"] = local_dt
    app.jinja_env.filters["state_label"] = state_label
    app.jinja_env.globals.update(
        terms=terms, term=terms.label, page_url=page_url, event_label=event_label, today=clock.today_local, workflows=WORKFLOWS,
        record_rows=record_rows, step_title=step_title, case_diagram=case_diagram,
    )
