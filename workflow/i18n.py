"""The interface language for workflow and web code alike.

Messages are written in English and wrapped: ``_("Publicity runs until %(end)s.", end=...)`` where
the text is made (inside a request it comes out in the reader's language), ``_l("...")`` for text
made at import time (form labels, module constants: translated when shown). The Chinese lives in
``translations/zh/parts/*.po``, one file per domain area (see web/catalogue.py).

Domain vocabulary (states, steps, fields, terms.py) carries both names itself; ``pick(en, zh)``
chooses the one for the current language.
"""
from flask import current_app, has_app_context, has_request_context
from flask_babel import get_locale, gettext, lazy_gettext, ngettext

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"

_ = gettext
_l = lazy_gettext
__all__ = ["_", "_l", "ngettext", "language", "pick", "LANGUAGES"]


def language() -> str:
    """'zh' or 'en': the request's language; outside a request (commands, the scheduler) the
    configured DEFAULT_LANGUAGE."""
    if has_request_context():
        locale = get_locale()
        if locale is not None:
            return "zh" if locale.language == "zh" else "en"
    if has_app_context():
        return current_app.config.get("DEFAULT_LANGUAGE", DEFAULT_LANGUAGE)
    return DEFAULT_LANGUAGE


def pick(en: str, zh: str) -> str:
    return zh if language() == "zh" else en
