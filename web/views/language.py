"""The header's language switcher: a POST (with its CSRF token) that remembers the choice in a
cookie for a year and goes back to the page it came from."""
from flask import Blueprint, redirect, request, url_for

from workflow.i18n import LANGUAGES

from ..helpers import safe_next
from ..i18n import COOKIE

bp = Blueprint("language", __name__)


@bp.post("/language")
def choose():
    chosen = request.form.get("lang", "")
    back = redirect(safe_next(request.form.get("next"), url_for("cases.index")))
    if chosen in LANGUAGES:
        back.set_cookie(COOKIE, chosen, max_age=365 * 86400, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return back
