"""Workflows as data: states, transitions, guards, roles and the fields each step records.

The buttons a user sees, the permission check, the forms, the transition table in the tests
and the state machine that ``transitions`` runs are all derived from one ``Workflow`` value.
"""
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from .i18n import _, pick


@dataclass(frozen=True)
class Field:
    """One input a step records. ``kind``: text, textarea, date, int, bool, select, lines,
    votes (rows of member + vote), objection (an open objection of the case)."""

    name: str
    kind: str
    en: str
    zh: str
    required: bool = True
    choices: dict | None = None  # code -> (en, zh)
    help: str = ""
    default: Callable | None = None  # (ctx) -> value shown in a fresh form
    max_length: int = 4000
    minimum: int | None = None
    options: Callable | None = None  # (ctx) -> the choices worth offering now (the door still accepts all)

    @property
    def label(self):
        return pick(self.en, self.zh)


@dataclass(frozen=True)
class Guard:
    """A condition to take a transition. ``check(ctx)`` returns None or a sentence saying why not.

    ``needs_data`` guards judge what the user typed, so they run only on submission."""

    name: str
    check: Callable
    needs_data: bool = False


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple
    dest: str
    en: str
    zh: str
    roles: frozenset
    guards: tuple = ()
    fields: tuple = ()
    effects: tuple = ()  # (ctx) -> None, database-only, run after the state is set
    when: Callable | None = None  # branch selector for a trigger with several destinations
    danger: bool = False

    @property
    def label(self):
        return pick(self.en, self.zh)


@dataclass(frozen=True)
class State:
    name: str
    en: str
    zh: str
    final: bool = False
    description: str = ""
    deadline: Callable | None = None  # (case, rules) -> (date, kind); default: the stale-step limit

    @property
    def label(self):
        return pick(self.en, self.zh)


@dataclass
class Workflow:
    track: str
    states: tuple
    initial: str
    transitions: tuple
    states_by_name: dict = field(init=False)

    def __post_init__(self):
        # dest "=" means "stay where you are": one reflexive transition per source.
        expanded = []
        for t in self.transitions:
            if t.dest == "=":
                expanded += [replace(t, sources=(source,), dest=source) for source in t.sources]
            else:
                expanded.append(t)
        self.transitions = tuple(expanded)
        self.states_by_name = {s.name: s for s in self.states}
        for t in self.transitions:
            for name in (*t.sources, t.dest):
                assert name in self.states_by_name, f"{t.trigger}: unknown state {name}"

    def state(self, name) -> State:
        return self.states_by_name[name]

    def triggers(self):
        seen = []
        for t in self.transitions:
            if t.trigger not in seen:
                seen.append(t.trigger)
        return seen

    def candidates(self, state, trigger):
        return [t for t in self.transitions if t.trigger == trigger and state in t.sources]

    def from_state(self, state):
        """One entry per trigger available in ``state`` (the first branch stands for all)."""
        out, seen = [], set()
        for t in self.transitions:
            if state in t.sources and t.trigger not in seen:
                seen.add(t.trigger)
                out.append(t)
        return out

    def fields_for(self, trigger):
        return next(t.fields for t in self.transitions if t.trigger == trigger)


class DataError(Exception):
    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def clean(fields, raw: dict | None) -> dict:
    """Validate and coerce submitted values by the field specs; raise DataError on any problem."""
    raw = raw or {}
    out, errors = {}, {}
    for f in fields:
        try:
            value = _coerce(f, raw.get(f.name))
        except ValueError as exc:
            errors[f.name] = str(exc)
            continue
        if value in (None, "", []) and f.required and f.kind != "bool":
            errors[f.name] = _("Please fill in: %(field)s.", field=f.label)
            continue
        out[f.name] = value
    if errors:
        raise DataError(errors)
    return out


# Dates a step may carry: wide enough for any real record, narrow enough that date arithmetic
# (a year back, months ahead, working days ahead) never leaves what ``datetime.date`` can hold.
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2199, 12, 31)
MAX_LINES = 200
MAX_VOTES = 60


def text_problem(value: str) -> str | None:
    """Why a piece of typed text cannot be stored as it is, or None. NUL is refused by
    PostgreSQL's driver, a lone surrogate cannot be encoded as UTF-8, U+FFFD is what invalid
    UTF-8 bytes were decoded to, and other control characters are never typed by a person."""
    if not _UNSTORABLE.search(value):
        return None
    return _("contains a character that is not allowed (a control character or invalid Unicode).")


_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd\ufffe\uffff]")


def _text(f: Field, value, limit=None) -> str:
    limit = limit or f.max_length
    if len(value) > limit:
        raise ValueError(_("%(field)s is too long (at most %(limit)s characters).", field=f.label, limit=limit))
    if text_problem(value):
        raise ValueError(_("%(field)s contains a character that is not allowed (a control character or invalid Unicode).",
                           field=f.label))
    return value


def _coerce(f: Field, value):
    if isinstance(value, str):
        value = _text(f, value.strip())
    if value is None or value == "":
        return False if f.kind == "bool" else None
    if f.kind in ("text", "textarea"):
        if isinstance(value, (list, tuple, dict, set)):
            raise ValueError(_("%(field)s: enter text.", field=f.label))
        return _text(f, str(value))
    if f.kind == "date":
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            try:
                value = date.fromisoformat(str(value))
            except ValueError:
                raise ValueError(_("%(field)s: '%(value)s' is not a date (YYYY-MM-DD).", field=f.label,
                                   value=str(value)[:40])) from None
        if not MIN_DATE <= value <= MAX_DATE:
            raise ValueError(_("%(field)s: %(value)s is out of range (%(first)s–%(last)s).", field=f.label,
                               value=value.isoformat(), first=MIN_DATE.year, last=MAX_DATE.year))
        return value
    if f.kind in ("int", "objection", "position"):
        if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
            raise ValueError(_("%(field)s: '%(value)s' is not a whole number.", field=f.label, value=value))
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(_("%(field)s: '%(value)s' is not a whole number.", field=f.label, value=str(value)[:40])) from None
        if f.minimum is not None and number < f.minimum:
            raise ValueError(_("%(field)s must be at least %(minimum)s.", field=f.label, minimum=f.minimum))
        if number > 10_000_000 or number < -10_000_000:
            raise ValueError(_("%(field)s is too large.", field=f.label))
        return number
    if f.kind == "bool":
        return value in (True, "y", "yes", "on", "true", "1", 1)
    if f.kind == "select":
        if not isinstance(value, str) or value not in f.choices:
            raise ValueError(_("%(field)s: '%(value)s' is not one of the choices.", field=f.label, value=str(value)[:40]))
        return value
    if f.kind == "lines":
        if isinstance(value, (list, tuple)):
            items = value
        elif isinstance(value, dict):
            raise ValueError(_("%(field)s: enter one item per line.", field=f.label))
        else:
            items = str(value).splitlines()
        if len(items) > MAX_LINES:
            raise ValueError(_("%(field)s: at most %(count)s lines.", field=f.label, count=MAX_LINES))
        items = [_text(f, str(item).strip(), 200) for item in items if not isinstance(item, (list, dict))]
        items = [item for item in items if item]
        if sum(len(item) for item in items) > f.max_length:
            raise ValueError(_("%(field)s is too long (at most %(limit)s characters).", field=f.label, limit=f.max_length))
        return items
    if f.kind == "votes":
        return _votes(f, value)
    raise ValueError(f"unknown field kind {f.kind}")


def _votes(f: Field, rows):
    from .terms import VOTES

    if not isinstance(rows, (list, tuple)) or not all(isinstance(row, dict) for row in rows):
        raise ValueError(_("List each member with a vote."))
    if len(rows) > MAX_VOTES:
        raise ValueError(_("At most %(count)s members.", count=MAX_VOTES))
    out, names = [], set()
    for row in rows:
        name = row.get("name")
        name = str(name).strip() if isinstance(name, (str, int)) else ""
        vote = row.get("vote") or ""
        if not name and not vote:
            continue
        if not name:
            raise ValueError(_("Every vote needs the member's name."))
        _text(f, name, 60)
        if not isinstance(vote, str) or vote not in VOTES:
            raise ValueError(_("Choose a vote or attendance for %(name)s.", name=name))
        if name in names:
            raise ValueError(_("%(name)s is listed twice.", name=name))
        names.add(name)
        out.append({"name": name, "vote": vote})
    return out
