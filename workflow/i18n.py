"""The interface language for workflow and web code alike.

Messages are written in English and wrapped: ``_("Publicity runs until %(end)s.", end=...)`` where
the text is made (inside a request it comes out in the reader's language), ``_l("...")`` for text
made at import time (form labels, module constants: translated when shown). The Chinese lives in
``translations/zh/parts/*.po``, one file per domain area (see web/catalogue.py).

Domain vocabulary (states, steps, fields, terms.py) carries both names itself; ``pick(en, zh)``
chooses the one for the current language.
"""
from contextvars import ContextVar

import flask_babel
from flask import current_app, has_app_context, has_request_context
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from markupsafe import escape

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"

# A request's language and catalogue, looked up once per request (web/i18n.py marks where a request
# begins and ends) instead of through Flask-Babel's context lookups on every message (≈ 12 µs each,
# and a page shows hundreds). Outside a request, or before it is marked, Flask-Babel answers. Within a
# request the language is fixed once the first message is made: a request that must speak another
# language (none does) calls end_request() before force_locale() and begin_request() after it.
_REQUEST: ContextVar = ContextVar("cadreflow_request_language", default=None)
_PENDING = ("pending",)


def begin_request():
    _REQUEST.set(_PENDING)


def end_request():
    _REQUEST.set(None)


def _held():
    held = _REQUEST.get()
    if held is _PENDING:
        held = (get_translations(), _language_asked())
        _REQUEST.set(held)
    return held


def gettext(string: str, **variables) -> str:
    held = _held()
    if held is None:
        return flask_babel.gettext(string, **variables)
    text = held[0].ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    held = _held()
    if held is None:
        return flask_babel.ngettext(singular, plural, num, **variables)
    variables.setdefault("num", num)
    return held[0].ungettext(singular, plural, num) % variables


def template_gettext(string: str) -> str:
    """For Jinja's newstyle gettext (which fills the placeholders itself)."""
    held = _held()
    return (held[0] if held is not None else get_translations()).ugettext(string)


def template_ngettext(singular: str, plural: str, num: int) -> str:
    held = _held()
    return (held[0] if held is not None else get_translations()).ungettext(singular, plural, num)


_ = gettext


class Lazy(LazyString):
    """Flask-Babel's lazy string puts itself into a page unescaped (``__html__`` returns the text):
    with a placeholder filled from user data that is a hole. Ours is escaped like any text."""

    def __html__(self):
        return str(escape(str(self)))


def _l(string: str, **variables) -> Lazy:
    return Lazy(gettext, string, **variables)


def lazy_pick(en: str, zh: str) -> Lazy:
    """A term's two names, chosen when shown (for choices and labels made at import time)."""
    return Lazy(pick, en, zh)
__all__ = ["_", "_l", "ngettext", "language", "pick", "lazy_pick", "listing", "series", "LANGUAGES"]


def language() -> str:
    """'zh' or 'en': the request's language; outside a request (commands, the scheduler) the
    configured DEFAULT_LANGUAGE."""
    held = _held()
    return held[1] if held is not None else _language_asked()


def _language_asked() -> str:
    if has_request_context():
        locale = get_locale()
        if locale is not None:
            return "zh" if locale.language == "zh" else "en"
    if has_app_context():
        return current_app.config.get("DEFAULT_LANGUAGE", DEFAULT_LANGUAGE)
    return DEFAULT_LANGUAGE


def pick(en: str, zh: str) -> str:
    return zh if language() == "zh" else en


def listing(items) -> str:
    """Names in a sentence: 'a, b' in English, '甲、乙' in Chinese."""
    return pick(", ", "、").join(str(item) for item in items)


def series(items) -> str:
    """Whole entries one after another: 'a; b' in English, '甲；乙' in Chinese."""
    return pick("; ", "；").join(str(item) for item in items)
