"""The one place a request is let in or refused: the permission matrix (workflow/permissions.py),
applied before every view. Views do not check roles themselves; they fetch the object a URL names
with ``load_in_scope(Model, id)``, which answers 404 outside the user's units."""
from flask import current_app, request
from flask_login import current_user

from models import db
from workflow import permissions
from workflow.access import unit_scope
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
        load_in_scope(rule.subject, raw)
    return None


def my_units():
    """The current user's units (and every unit below them), computed once per request (kept in
    the request's environ: ``g`` may outlive a request when an app context was already pushed)."""
    key = ("cadreflow.unit_scope", current_user.get_id())
    cache = request.environ.setdefault("cadreflow.unit_scopes", {})
    if key not in cache:
        cache[key] = unit_scope(db.session, current_user)
    return cache[key]


def load_in_scope(what, object_id, lock=False):
    """The Case, Cadre, Submission or Unit with this id if it is in the user's units; else 404."""
    return permissions.load_in_scope(db.session, current_user, what, object_id, lock=lock, scope=my_units())


def may(endpoint, **args):
    """For templates: may the current user use this endpoint (its units aside)?"""
    return permissions.allows(endpoint, current_user, args, args)
