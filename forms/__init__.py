"""WTForms classes. They receive context through arguments and hand the door plain data.

Shared validators: dates inside the range every date computation can handle (the same range the
door accepts, workflow/definition.py), and check boxes that send what a browser sends.
"""
from datetime import date

from wtforms.validators import ValidationError

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
