"""WTForms classes. They receive context through arguments and hand the door plain data.

Shared validators (dates inside the range every date computation can handle (the same range the
door accepts, workflow/definition.py), check boxes that send what a browser sends) and the
widget for selects of thousands of options.
"""
from datetime import date

from markupsafe import Markup, escape
from wtforms.validators import ValidationError
from wtforms.widgets import html_params

from workflow.definition import MAX_DATE, MIN_DATE
from workflow.i18n import _

CHECKED = ("y", "yes", "on", "true", "1")


class DateRange:
    """A date from ``low`` to ``high`` (default: the years the whole application handles)."""

    def __init__(self, low: date = MIN_DATE, high: date = MAX_DATE):
        self.low, self.high = low, high

    def __call__(self, form, field):
        if field.data is not None and not self.low <= field.data <= self.high:
            raise ValidationError(_("Enter a date from %(low)s to %(high)s.", low=self.low.isoformat(), high=self.high.isoformat()))


def strict_checkbox(form, field):
    """A check box is sent as 'y' (or 'on', 'true', '1') or not at all; anything else is not one."""
    raw = (field.raw_data or [""])[0]
    if raw not in ("", *CHECKED, "false", "0", "n", "no", "off"):
        raise ValidationError(_("Tick the box or leave it empty."))


def whole_number(value, limit: int = 2**31 - 1):
    """A number sent as text (an id in a form or a query string): the int, or None when it is not
    plain decimal digits within ``limit``. ``str.isdigit`` is not enough: '²' passes it and int()
    then raises; and a 20-digit id overflows SQLite's integers."""
    text = str(value if value is not None else "").strip()
    if not text.isdecimal() or len(text) > len(str(limit)):
        return None
    number = int(text)
    return number if number <= limit else None


def optional_id(value):
    """``coerce`` for a select of ids with an empty choice: '' is None, an id is an int, and anything
    else is not a choice at all (WTForms reports "could not coerce" instead of taking it as empty)."""
    if value in (None, ""):
        return None
    number = whole_number(value)
    if number is None:
        raise ValueError("not an id")
    return number


class ManyOptions:
    """A select widget for long lists (the units of a province: thousands of options): the same
    HTML as WTForms' Select, built in one pass instead of one html_params call per option."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        selected = "" if field.data is None else str(field.data)
        parts = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for value, label, *_rest in field.choices:
            mark = "selected " if str(value) == selected else ""
            parts.append(f'<option {mark}value="{escape(value)}">{escape(label)}</option>')
        parts.append("</select>")
        return Markup("".join(parts))
