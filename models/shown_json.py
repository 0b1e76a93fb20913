"""JSON stored as the audit export shows it: PostgreSQL's jsonb text form (``value::jsonb::text``).

An audit event's ``before`` and ``after`` are written in this form whenever it reads back as exactly
the value that was hashed, and the event says so (``AuditEvent.json_as_shown``). The export then
passes the stored text through (``COPY`` on PostgreSQL, a bare cursor on SQLite) instead of parsing
and printing every value. The form: non-ASCII as itself, ", " and ": " between items, an object's
keys in jsonb's order (the shorter key in UTF-8 first, then by code point).

Not exact, and so stored as ``json.dumps`` writes it (the export then renders it as before): a float
that numeric would print otherwise (an exponent, or -0.0), a key that is not a string, a lone
surrogate, any type outside plain JSON, or a bare number (not in an object or a list).
"""
import json
import math

from sqlalchemy import JSON
from sqlalchemy.types import TypeDecorator

_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_SCALARS = (str, int, bool, type(None))


class NotExact(ValueError):
    pass


def _key_order(item):
    key = item[0]
    if type(key) is not str:
        raise NotExact
    return (len(key) if key.isascii() else len(key.encode("utf-8")), key)


def shown(value) -> str:
    """``value`` as jsonb prints it; raises NotExact where that would not read back the same."""
    return _ENCODE(_in_order(value))


def _in_order(value):
    """The value with every object's keys in jsonb's order (the C encoder then writes it as jsonb
    prints it); checks that each float prints as numeric would."""
    kind = type(value)
    if kind is dict:
        items = value.items()
        if len(value) > 1:
            items = sorted(items, key=_key_order)
        elif value and type(next(iter(value))) is not str:
            raise NotExact
        return {k: _in_order(v) if type(v) not in _SCALARS else v for k, v in items}
    if kind is list or kind is tuple:
        return [_in_order(v) if type(v) not in _SCALARS else v for v in value]
    if kind is float:
        text = repr(value)
        if "e" in text or not math.isfinite(value) or (value == 0 and math.copysign(1, value) < 0):
            raise NotExact
        return value
    if kind in _SCALARS:
        return value
    raise NotExact


def stored(value) -> tuple[str, bool]:
    """The text a value is stored as, and whether that text is the shown form."""
    if value is None:
        return "null", True
    if type(value) in (int, float):  # a bare number: SQLite's JSON column (NUMERIC affinity) would keep it as one
        return json.dumps(value), False
    try:
        text = shown(value)
        if not text.isascii():
            text.encode("utf-8")  # a lone surrogate cannot be stored as itself
    except (NotExact, UnicodeEncodeError, RecursionError):
        return json.dumps(value), False
    return text, True


class ShownJSON(TypeDecorator):
    """A JSON column written by ``stored`` (read back like any JSON column)."""

    impl = JSON
    cache_ok = True
    should_evaluate_none = True  # as JSON's: a Python None is written (as JSON null), not left to SQL NULL

    def bind_processor(self, dialect):
        def process(value):
            return stored(value)[0]

        return process
