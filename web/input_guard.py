"""Input that no column can hold is refused before any view runs: a NUL byte (PostgreSQL's driver
raises on it), bytes that are not UTF-8 (a lone surrogate's %ED%A0%80, %FF: Werkzeug would keep
them as the literal text "%ED%A0%80"), or another control character — in the path, the query
string or a posted form field.

The answer is a 400 page saying what is wrong; nothing was read or written. Sign-in is left to
its own view, which treats such a username as a failed (and audited) sign-in.
"""
from urllib.parse import unquote_to_bytes

from flask import request

from workflow.definition import text_problem
from workflow.i18n import _

EXEMPT = {"static", "auth.login"}


def message(where, field=None) -> str:
    """Where the character is: the "address" or the "form", and the field's name when it is known."""
    if where == "form" and field is not None:
        return _("The request contains a character that cannot be stored (a NUL byte, another control character or "
                 "text that is not valid UTF-8) in the form, field '%(field)s'. Nothing was saved. Remove it and try "
                 "again.", field=field)
    if where == "form":
        return _("The request contains a character that cannot be stored (a NUL byte, another control character or "
                 "text that is not valid UTF-8) in the form. Nothing was saved. Remove it and try again.")
    if field is not None:
        return _("The request contains a character that cannot be stored (a NUL byte, another control character or "
                 "text that is not valid UTF-8) in the address, field '%(field)s'. Nothing was saved. Remove it and "
                 "try again.", field=field)
    return _("The request contains a character that cannot be stored (a NUL byte, another control character or "
             "text that is not valid UTF-8) in the address. Nothing was saved. Remove it and try again.")


def init(app):
    # First of all before-request functions: before CSRFProtect reads the form (and the raw body).
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unstorable)


def refuse_unstorable():
    if request.endpoint in EXEMPT:
        return None
    problem = _first_problem()
    if problem is None:
        return None
    from .errors import page

    return page(400, message(*problem))


def _first_problem():
    """("address" | "form", the field's name or None), or None when all is storable."""
    if text_problem(request.path) or not _utf8(request.query_string):
        return "address", None
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype == "application/x-www-form-urlencoded":
        if not _utf8(request.get_data(cache=True)):  # kept: the form is parsed from the cached body afterwards
            return "form", None
    sources = [("address", request.args)]
    if request.method in ("POST", "PUT", "PATCH"):
        sources.append(("form", request.form))
    for where, values in sources:
        for key, value in values.items(multi=True):
            if text_problem(key):
                return where, None
            if text_problem(value):
                return where, (key if len(key) <= 60 else None)
    return None


def _utf8(raw: bytes) -> bool:
    """Every percent-decoded name and value of an urlencoded string is valid UTF-8."""
    for part in raw.replace(b"+", b" ").split(b"&"):
        try:
            unquote_to_bytes(part).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True
