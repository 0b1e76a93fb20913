"""Error pages: a 4xx with words a person understands, never a bare 500 page."""
import re

from flask import current_app, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from werkzeug.datastructures import ImmutableMultiDict

from models import db
from workflow.errors import Refused
from workflow.i18n import _, _l, language

TITLES = {
    400: _l("The request could not be understood"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not allowed here"),
    409: _l("Changed meanwhile"),
    413: _l("Upload too large"),
    422: _l("Cannot be done yet"),
    500: _l("Something went wrong"),
}

# Werkzeug's own words for a bare abort(status) (English only), in the reader's language.
DEFAULT_DESCRIPTIONS = {
    400: _l("The browser (or proxy) sent a request that this server could not understand."),
    403: _l("You don't have the permission to access the requested resource. It is either read-protected or not "
            "readable by the server."),
    404: _l("The requested URL was not found on the server. If you entered the URL manually please check your "
            "spelling and try again."),
    405: _l("The method is not allowed for the requested URL."),
}

CSRF_MESSAGE = _l("The form's security token was missing or has expired. Nothing was saved yet.")
RESUBMIT_HINT = _l("What you typed is kept below: check it and press “Submit again” to save it.")
SIGNED_OUT_HINT = _l("You are not signed in at the moment: sign in in another tab or window first, then come back "
                     "here and press “Submit again” (if this page appears once more, press it once more).")
PLAIN_CSRF_HINT = _l("Go back, reload the page and submit again; if you were signed out, sign in first.")
TYPE_PASSWORD_AGAIN = _l("Please type your password again.")
SECRET_DROPPED = _l("Passwords are never carried over: type them again.")
FILES_DROPPED = _l("Attached files cannot be carried over: choose them again.")

# Never echoed back into a page: passwords and other secrets, and the old CSRF token(s).
SECRET_FIELD = re.compile(r"password|passwd|passphrase|secret|(^|[-_])pin$", re.IGNORECASE)


def page(status, message, reasons=(), **extra):
    from .security import local_referrer

    return render_template("error.html", status=status, title=shown(TITLES.get(status) or _("Error")),
                           message=shown(message), reasons=[shown(r) for r in reasons], back=local_referrer(),
                           **extra), status


def shown(text):
    """Text for a page: a lazy message becomes plain text (so Jinja escapes it like any other)."""
    return text if isinstance(text, str) else str(text)


def sentences(*parts) -> str:
    """Sentences one after another: a space between English ones, none between Chinese ones."""
    return ("" if language() == "zh" else " ").join(str(p) for p in parts)


def hidden_value(value: str) -> Markup:
    """An attribute value that gives back exactly ``value``: escaped, and with CR and LF as
    character references (a literal CR LF in an attribute would reach the browser as LF)."""
    return Markup(str(escape(value)).replace("\r", "&#13;").replace("\n", "&#10;"))


def csrf_failure(exc):
    """For a form posted from this site, a page that carries what was typed back, with a fresh token."""
    token_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if request.method != "POST" or not _same_origin():
        return page(400, sentences(CSRF_MESSAGE, PLAIN_CSRF_HINT))
    if request.endpoint == "auth.login":
        return _login_again(token_field)
    token_names = [name for name in request.form if name.endswith(token_field)] or _token_names(token_field)
    fields, secrets = [], False
    for name, value in request.form.items(multi=True):
        if name.endswith(token_field):
            continue
        if SECRET_FIELD.search(name):
            secrets = True
            continue
        fields.append((hidden_value(name), hidden_value(value), name, value))
    reasons = [RESUBMIT_HINT] + ([] if current_user.is_authenticated else [SIGNED_OUT_HINT])
    reasons += [SECRET_DROPPED] if secrets else []
    reasons += [FILES_DROPPED] if request.files else []
    action = request.path + (f"?{request.query_string.decode('utf-8', 'replace')}" if request.query_string else "")
    return page(400, CSRF_MESSAGE, reasons, resubmit={"action": action, "token_names": token_names, "fields": fields})


def _token_names(token_field):
    """No token was posted: the plain name, and the prefixed one when every field has one prefix
    (a form built with ``prefix=`` checks its own ``prefix-csrf_token``)."""
    prefixes = {name.split("-", 1)[0] if "-" in name else None for name in request.form}
    prefix = prefixes.pop() if len(prefixes) == 1 else None
    return [token_field] + ([f"{prefix}-{token_field}"] if prefix else [])


def _login_again(token_field):
    """The sign-in form again (username kept, password never), with a fresh token."""
    from forms.auth import LoginForm

    form = LoginForm(formdata=None, username=(request.form.get("username") or "")[:60])
    return render_template("login.html", form=form, notice=sentences(CSRF_MESSAGE, TYPE_PASSWORD_AGAIN)), 400


def _same_origin():
    """A browser names the page's origin on a POST (Origin, or at least Referer). A form posted from
    another site gets no form back: a fresh token there would turn a forged request into one click."""
    from urllib.parse import urlsplit

    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == request.host_url.rstrip("/")
    if request.referrer:
        parts = urlsplit(request.referrer)
        return parts.netloc == request.host and parts.scheme == request.scheme
    return True


def description(exc, status):
    """What a view said when it aborted; Werkzeug's default words (a bare abort) in the reader's language."""
    said = getattr(exc, "description", "") or ""
    if status in DEFAULT_DESCRIPTIONS and said == getattr(type(exc), "description", None):
        return DEFAULT_DESCRIPTIONS[status]
    return said


def init(app):
    @app.errorhandler(Refused)
    def refused(exc):
        return page(exc.status, exc.message, exc.reasons)

    app.register_error_handler(CSRFError, csrf_failure)

    for status in (400, 403, 404, 405):
        app.register_error_handler(status, lambda exc, status=status: page(status, description(exc, status)))

    @app.errorhandler(413)
    def too_large(exc):
        # The body was refused unread: anything that reads the form on this page (the header's
        # sign-out form) must see an empty one, not trip over the same limit again.
        request.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict())
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        return page(413, _("The submission is larger than %(megabytes)s MB and was not read; nothing was saved.",
                           megabytes=limit // (1024 * 1024)))

    @app.errorhandler(500)
    def server_error(exc):
        db.session.rollback()
        return page(500, _("An unexpected error occurred. Nothing was saved. The error has been logged."))
