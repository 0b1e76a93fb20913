"""The HTTP layer's hardening: security headers on every response, and the end of a signed-in
session after ``IDLE_MINUTES`` without a request or ``SESSION_HOURS`` after signing in.

Times come from ``workflow.clock`` (tests travel instead of sleeping). The session cookie is
signed by Flask; the moments it carries are seconds since the epoch.
"""
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user

from workflow import clock
from workflow.i18n import _

from .helpers import safe_next

SIGNED_IN_AT, LAST_SEEN = "signed_in_at", "last_seen"

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def init(app):
    app.before_request(end_expired_session)
    app.after_request(add_security_headers)
    app.jinja_env.globals["local_referrer"] = local_referrer  # error.html's "Back" link: this site only


def add_security_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    config = current_app.config
    if config.get("SESSION_COOKIE_SECURE") and config.get("HSTS_SECONDS"):
        response.headers.setdefault("Strict-Transport-Security", f"max-age={int(config['HSTS_SECONDS'])}")
    if request.endpoint != "static":
        # Pages show personnel data: never kept in a shared cache or the browser's disk cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def start_session():
    """Called right after ``login_user``: the clocks of this sign-in, and a fresh CSRF token (the
    one from before signing in is not carried into the signed-in session)."""
    now = int(clock.now().timestamp())
    token_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(token_field, None)
    g.pop(token_field, None)  # Flask-WTF caches the token of this request (app context) in g
    session[SIGNED_IN_AT] = session[LAST_SEEN] = now


def end_session():
    for key in (SIGNED_IN_AT, LAST_SEEN):
        session.pop(key, None)


def end_expired_session():
    """Before every request of a signed-in user: sign out when idle too long or signed in too long,
    and send them to the sign-in page, which brings them back here afterwards."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = clock.now().timestamp()
    idle_minutes = int(current_app.config.get("IDLE_MINUTES") or 0)
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    last_seen, signed_in_at = session.get(LAST_SEEN), session.get(SIGNED_IN_AT)
    if idle_minutes and isinstance(last_seen, int) and now - last_seen > idle_minutes * 60:
        return _sign_out(_("You were signed out after %(minutes)s minutes without activity; please sign in again.",
                           minutes=idle_minutes))
    if isinstance(signed_in_at, int) and now - signed_in_at > lifetime:
        hours = round(lifetime / 3600, 1)
        hours = int(hours) if hours == int(hours) else hours
        return _sign_out(_("You were signed out because a sign-in lasts at most %(hours)s hours; please sign in again.",
                           hours=hours))
    if not isinstance(signed_in_at, int):
        session[SIGNED_IN_AT] = int(now)  # a session from before these clocks existed starts now
    session[LAST_SEEN] = int(now)
    return None


def _sign_out(message):
    logout_user()
    end_session()
    flash(message, "info")
    if request.endpoint == "auth.login":
        return None  # already on the sign-in page: show it (or sign in) as a signed-out visitor
    return redirect(url_for("auth.login", next=_return_to()))


def _return_to():
    """Where to come back to: this page for a GET, else the page the form was on (same site only)."""
    if request.method in ("GET", "HEAD"):
        target = request.path + (f"?{request.query_string.decode('utf-8', 'replace')}" if request.query_string else "")
    else:
        target = local_referrer()
    return safe_next(target, None)


def local_referrer():
    """The Referer's path and query when it is a page of this site, else None."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if not referrer or parts.netloc != request.host or parts.scheme not in ("http", "https"):
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""), None)
