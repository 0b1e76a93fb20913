"""Workflows as data: states, transitions, guards, roles and the fields each step records.

The buttons a user sees, the permission check, the forms, the transition table in the tests
and the state machine that ``transitions`` runs are all derived from one ``Workflow`` value.
"""
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date


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
        return f"{self.zh} {self.en}"


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
        return f"{self.zh} {self.en}"


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
        return f"{self.zh} {self.en}"


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
            errors[f.name] = f"Please fill in: {f.en}. 请填写{f.zh}。"
            continue
        out[f.name] = value
    if errors:
        raise DataError(errors)
    return out


def _coerce(f: Field, value):
    if isinstance(value, str):
        value = value.strip()
        if len(value) > f.max_length:
            raise ValueError(f"{f.en} is too long (at most {f.max_length} characters).")
        if "\x00" in value:
            raise ValueError(f"{f.en} contains a character that is not allowed.")
    if value is None or value == "":
        return False if f.kind == "bool" else None
    if f.kind in ("text", "textarea"):
        return str(value)
    if f.kind == "date":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"{f.en}: '{value}' is not a date (YYYY-MM-DD).") from None
    if f.kind in ("int", "objection", "position"):
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"{f.en}: '{value}' is not a whole number.") from None
        if f.minimum is not None and number < f.minimum:
            raise ValueError(f"{f.en} must be at least {f.minimum}.")
        if number > 10_000_000:
            raise ValueError(f"{f.en} is too large.")
        return number
    if f.kind == "bool":
        return value in (True, "y", "yes", "on", "true", "1", 1)
    if f.kind == "select":
        if value not in f.choices:
            raise ValueError(f"{f.en}: '{value}' is not one of the choices.")
        return value
    if f.kind == "lines":
        items = value if isinstance(value, list) else str(value).splitlines()
        items = [str(item).strip() for item in items if str(item).strip()]
        if any(len(item) > 200 for item in items):
            raise ValueError(f"{f.en}: each line must be at most 200 characters.")
        return items
    if f.kind == "votes":
        return _votes(f, value)
    raise ValueError(f"unknown field kind {f.kind}")


def _votes(f: Field, rows):
    from .terms import VOTES

    out, names = [], set()
    for row in rows or []:
        name = str(row.get("name") or "").strip()
        vote = row.get("vote") or ""
        if not name and not vote:
            continue
        if not name:
            raise ValueError("Every vote needs the member's name.")
        if vote not in VOTES:
            raise ValueError(f"Choose a vote or attendance for {name}.")
        if name in names:
            raise ValueError(f"{name} is listed twice.")
        names.add(name)
        out.append({"name": name[:60], "vote": vote})
    return out
