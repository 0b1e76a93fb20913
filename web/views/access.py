"""The one place a request is let in or refused: the permission matrix (workflow/permissions.py),
applied before every view. Views do not check roles themselves; they fetch the object a URL names
with ``load_in_scope(Model, id)``, which answers 404 outside the user's units."""
from flask import current_app, request
from flask_login import current_user

from models import db
from workflow import permissions
from workflow.access import levels_below, unit_scope
from workflow.errors import Forbidden


def install(app):
    app.before_request(enforce)
    app.context_processor(lambda: {"may": may})


def enforce():
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: the 404 / 405 page follows
        return None
    rule = permissions.rule_for(endpoint)
    if rule is None:
        current_app.logger.error("endpoint %s is not in the permission matrix (workflow/permissions.py): refused", endpoint)
        raise Forbidden(str(permissions.UNLISTED))
    if rule.who == permissions.PUBLIC:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role not in rule.roles_for(request.view_args, request.args):
        raise Forbidden(permissions.refusal(rule, current_user, request.view_args, request.args))
    raw = permissions.subject_id(rule, request.view_args, request.form if request.method == "POST" else None)
    if raw is not None:
        # Held for the request, so the view's own load_in_scope finds it in the session's identity
        # map (which holds objects only while something refers to them) instead of reading it again.
        request.environ["cadreflow.subject"] = load_in_scope(rule.subject, raw)
    return None


def my_units():
    """The current user's units (and every unit below them), computed once per request (kept in
    the request's environ: ``g`` may outlive a request when an app context was already pushed)."""
    key = ("cadreflow.unit_scope", current_user.get_id())
    cache = request.environ.setdefault("cadreflow.unit_scopes", {})
    if key not in cache:
        cache[key] = unit_scope(db.session, current_user)
    return cache[key]


def keep_scope(user, scope):
    """The user loader read the scope with the user: kept for this request's ``my_units``."""
    request.environ.setdefault("cadreflow.unit_scopes", {})[("cadreflow.unit_scope", user.get_id())] = scope


def load_in_scope(what, object_id, lock=False):
    """The Case, Cadre, Submission or Unit with this id if it is in the user's units; else 404."""
    return permissions.load_in_scope(db.session, current_user, what, object_id, lock=lock, scope=my_units())


def may(endpoint, **args):
    """For templates: may the current user use this endpoint (its units aside)?"""
    return permissions.allows(endpoint, current_user, args, args)


# How many levels of the user's tree a unit filter lists: a province officer gets the province, its
# cities and their counties (about 180), not every town (2,000 more); a town is found under its county.
FILTER_LEVELS = 3
INDENT = "\u00a0\u00a0\u00a0"  # kept by the browser in an <option> (plain spaces are collapsed)


def unit_filter_choices(chosen=None):
    """(id, name) of the units a list may be filtered by, in tree order and indented by level: the
    user's own units and the levels below them (FILTER_LEVELS), and a deeper unit when it is the
    one chosen (a link to a town's cases). Filtering by a unit means it and the units under it."""
    scope = my_units()
    units = scope.units  # the kept tree's rows: no query (a rename moves the tree's token too)
    if scope.whole:  # every top-level unit is the user's: the levels are the tree's first
        rows = [u for u in units.values() if u.depth < FILTER_LEVELS or u.id == chosen]
    else:
        ids = levels_below(scope, FILTER_LEVELS)
        if chosen in scope:
            ids.add(chosen)
        rows = [units[i] for i in ids if i in units]
    rows.sort(key=lambda u: u.code)
    top = min((row.depth for row in rows), default=0)
    listed = {row.id for row in rows}
    below = {}
    for row in rows:  # each unit under its parent (siblings by code); a unit whose parent is not listed starts a branch
        below.setdefault(row.parent_id if row.parent_id in listed else None, []).append(row)
    choices, stack = [], list(reversed(below.get(None, [])))
    while stack:
        row = stack.pop()
        choices.append((str(row.id), INDENT * (row.depth - top) + row.name))
        stack.extend(reversed(below.get(row.id, [])))
    return choices


def units_under_chosen(chosen):
    """The units a list filtered by ``chosen`` covers: it and every unit below it, within the
    user's units (none when the unit is outside them)."""
    return my_units().under(chosen)
