"""Template filters and globals: local times, domain labels, pagination links."""
from flask import request, url_for

from workflow import clock, terms
from workflow.diagram import for_case as case_diagram
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


def sort_url(key):
    args = request.args.to_dict()
    args.update(sort=key, page=1)
    return url_for(request.endpoint, **request.view_args, **args)


def init(app):
    app.jinja_env.filters["local_dt"] = local_dt
    app.jinja_env.filters["state_label"] = state_label
    app.jinja_env.globals.update(
        terms=terms, term=terms.label, page_url=page_url, sort_url=sort_url, today=clock.today_local, workflows=WORKFLOWS,
        record_rows=record_rows, step_title=step_title, case_diagram=case_diagram,
    )
