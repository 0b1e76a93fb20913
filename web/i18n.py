"""Flask-Babel: which language a request is shown in, the switcher, and dates and numbers in the
reader's locale. Order of preference: the language chosen with the header's switcher (a cookie,
kept across sign-out), then the browser's Accept-Language (Chinese when it asks for Chinese), then
DEFAULT_LANGUAGE."""
import functools
from datetime import datetime

from babel import dates
from flask import current_app, has_request_context, request
from flask_babel import Babel, format_datetime, format_decimal, refresh

from workflow import clock
from workflow.i18n import LANGUAGES, begin_request, end_request, language, template_gettext, template_ngettext

from .catalogue import TRANSLATIONS, compile_catalogue

COOKIE = "lang"
BROWSER_LOCALES = {"zh": "zh_Hans_CN", "en": "en"}


def select_language() -> str:
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(["zh", "zh-CN", "en"], default=None) or current_app.config["DEFAULT_LANGUAGE"]


def select_locale():
    """Flask-Babel asks this in a request, and also in commands, the scheduler and tests, where
    there is no reader: then DEFAULT_LANGUAGE."""
    chosen = select_language() if has_request_context() else current_app.config["DEFAULT_LANGUAGE"]
    return "zh" if chosen.lower().startswith("zh") else "en"


def local_date(value, style="medium"):
    """A date in the reader's locale: 2026年11月21日 / Nov 21, 2026."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(clock.LOCAL_TZ).date()
    return _date_text(value, style, language())


@functools.lru_cache(maxsize=8192)
def _date_text(day, style, lang):
    """A list shows the same few dates again and again; Babel takes ~50 µs to format one. What
    Flask-Babel's ``format_date`` gives for a date (no time zone applies) in the language ``lang``."""
    return dates.format_date(day, format=style, locale=lang)


def local_datetime(value, style="medium"):
    if not value:
        return ""
    return format_datetime(value, style)


def local_number(value, digits=None):
    """1,234 (with ``digits`` decimals: 1,234.5 → "1,234.5" for digits=1)."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0." + "0" * digits) if digits else format_decimal(value)


def _begin_request():
    refresh()
    begin_request()


def _end_request(_exc=None):
    refresh()
    end_request()


def init(app):
    app.config.setdefault("DEFAULT_LANGUAGE", "zh")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", str(clock.LOCAL_TZ))
    compile_catalogue()
    Babel(app, locale_selector=select_locale)
    # {% trans %} blocks are matched with whitespace collapsed, as web/catalogue.py extracts them.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    # The locale is cached per app context, and tests keep one across requests: ask afresh each time.
    # First of all before-request hooks (create_app installs the input guard before this): the input
    # guard, the CSRF check and a 413 may answer before any view, in the reader's language.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin_request)
    app.teardown_request(_end_request)
    # Messages in templates through the request's catalogue looked up once (workflow/i18n.py).
    app.jinja_env.install_gettext_callables(gettext=template_gettext, ngettext=template_ngettext, newstyle=True)
    app.jinja_env.filters.update(date=local_date, datetime=local_datetime, number=local_number)
    app.jinja_env.globals.update(language=language, LANGUAGES=LANGUAGES)
