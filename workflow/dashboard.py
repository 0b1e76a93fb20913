"""The numbers on the dashboard, for the units a user works in.

Every figure is one aggregate query (GROUP BY in the database, a window function for the time
spent in each step), never a loop over all rows; overdue items and follow-up reviews come from
``workflow.deadlines``, the same source as the Deadlines page and the reminders, so the three
never disagree.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case as case_when
from sqlalchemy import func, or_, select

from models import Case, StepRecord

from .calendar import WorkingDays
from .clock import LOCAL_TZ
from .deadlines import due_items
from .i18n import _l
from .registry import WORKFLOWS
from .rules import active_rule_set, rules_of

TRACKS = {"promotion": ("Promotion", "晋升"), "adjustment": ("Adjustment", "调整")}  # (English, Chinese)
# What counts as "a promotion" / "an adjustment" in a year: the step that carries it out, and the
# name of the count (shown in the reader's language).
YEARLY = {"promotion": ("appoint", _l("Promotions (appointed)")),
          "adjustment": ("carry_out", _l("Adjustments (carried out)"))}
FOLLOW_UP_KINDS = ("helper_due", "return_visit_due")
MAX_YEARS = 10


@dataclass
class StateCount:
    track: str
    state: str
    label: str
    count: int


@dataclass
class StepTime:
    track: str
    state: str
    label: str
    average_days: float
    stays: int  # completed stays the average is taken over


@dataclass
class YearCount:
    year: int
    promotions: int
    adjustments: int


@dataclass
class Dashboard:
    today: date
    open_cases: list = field(default_factory=list)  # [StateCount] in the workflow's order
    overdue: list = field(default_factory=list)  # [DueItem], oldest first
    step_times: list = field(default_factory=list)  # [StepTime]
    per_year: list = field(default_factory=list)  # [YearCount], oldest year first
    follow_ups: list = field(default_factory=list)  # [DueItem] due this month

    def open_by_track(self, track):
        return [c for c in self.open_cases if c.track == track]

    def open_total(self, track=None):
        return sum(c.count for c in self.open_cases if track is None or c.track == track)

    def step_times_for(self, track):
        return [s for s in self.step_times if s.track == track]

    @staticmethod
    def pairs(rows, attribute):
        """[(label, number)] for a chart."""
        return [(row.label, getattr(row, attribute)) for row in rows]

    def overdue_by_kind(self):
        """[(kind title, count)] most frequent first."""
        counts = {}
        for item in self.overdue:
            counts[item.title] = counts.get(item.title, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def build(session, scope, today: date) -> Dashboard:
    """Everything on the page, for the unit ids in ``scope`` (already including sub-units)."""
    scope = set(scope)
    board = Dashboard(today=today)
    if not scope:
        return board
    board.open_cases = open_cases(session, scope)
    board.step_times = step_times(session, scope)
    board.per_year = per_year(session, scope, today)
    board.overdue, board.follow_ups = due_now(session, scope, today)
    return board


def open_cases(session, scope):
    rows = session.execute(
        select(Case.track, Case.state, func.count(Case.id))
        .where(Case.unit_id.in_(scope), Case.closed_at.is_(None))
        .group_by(Case.track, Case.state)
    ).all()
    counts = {(track, state): n for track, state, n in rows}
    out = []
    for track, workflow in WORKFLOWS.items():
        for state in workflow.states:
            if (track, state.name) in counts:
                out.append(StateCount(track, state.name, state.label, counts.pop((track, state.name))))
    # A state no longer in the definition (renamed since) still counts, under its code.
    out.extend(StateCount(track, state, state, n) for (track, state), n in sorted(counts.items()))
    return out


def _seconds_between(session, later, earlier):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later) - func.extract("epoch", earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def step_times(session, scope):
    """Average days from entering a state to leaving it, over the stays already completed.

    Each state change is a step record whose ``from_state`` differs from its ``to_state`` (the
    opening record has none); the next such record of the same case (LEAD over the case's
    records) is when the state was left. Records that stay in their state are not changes."""
    changes = (
        select(
            Case.track.label("track"),
            StepRecord.to_state.label("state"),
            StepRecord.recorded_at.label("entered"),
            func.lead(StepRecord.recorded_at).over(partition_by=StepRecord.case_id, order_by=StepRecord.id).label("left"),
        )
        .join(Case, Case.id == StepRecord.case_id)
        .where(Case.unit_id.in_(scope), or_(StepRecord.from_state.is_(None), StepRecord.from_state != StepRecord.to_state))
        .subquery()
    )
    seconds = _seconds_between(session, changes.c.left, changes.c.entered)
    rows = session.execute(
        select(changes.c.track, changes.c.state, func.avg(seconds), func.count())
        .where(changes.c.left.is_not(None))
        .group_by(changes.c.track, changes.c.state)
    ).all()
    found = {(track, state): (float(avg or 0) / 86400.0, n) for track, state, avg, n in rows}
    out = []
    for track, workflow in WORKFLOWS.items():
        for state in workflow.states:
            if (track, state.name) in found:
                days, n = found[(track, state.name)]
                out.append(StepTime(track, state.name, state.label, round(days, 1), n))
    return out


def _local_new_year(year):
    return datetime(year, 1, 1, tzinfo=LOCAL_TZ)


def per_year(session, scope, today):
    """Promotions carried out (appointed) and adjustments carried out, per calendar year in
    China's time zone, from the first year with any up to this year (at most ten years)."""
    triggers = {trigger: track for track, (trigger, _name) in YEARLY.items()}
    scoped = (select(StepRecord.recorded_at, StepRecord.trigger).join(Case, Case.id == StepRecord.case_id)
              .where(Case.unit_id.in_(scope), StepRecord.trigger.in_(triggers)))
    first = session.scalar(select(func.min(scoped.subquery().c.recorded_at)))
    last_year = today.year
    if first is None:
        return [YearCount(last_year, 0, 0)]
    first_year = max(first.astimezone(LOCAL_TZ).year, last_year - MAX_YEARS + 1)
    years = list(range(first_year, last_year + 1))
    # The local year of each record as a CASE over the years' boundaries: the same on SQLite and PostgreSQL.
    year_of = case_when(*[(StepRecord.recorded_at < _local_new_year(y + 1), y) for y in years], else_=last_year + 1)
    rows = session.execute(
        select(year_of.label("year"), StepRecord.trigger, func.count())
        .join(Case, Case.id == StepRecord.case_id)
        .where(Case.unit_id.in_(scope), StepRecord.trigger.in_(triggers),
               StepRecord.recorded_at >= _local_new_year(first_year), StepRecord.recorded_at < _local_new_year(last_year + 1))
        .group_by(year_of, StepRecord.trigger)
    ).all()
    counts = {(year, triggers[trigger]): n for year, trigger, n in rows}
    return [YearCount(y, counts.get((y, "promotion"), 0), counts.get((y, "adjustment"), 0)) for y in years]


def month_bounds(today):
    start = today.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


def due_now(session, scope, today):
    """(overdue items that expect an action, follow-up reviews due this month)."""
    start, end = month_bounds(today)
    try:
        rules = rules_of(active_rule_set(session))
    except LookupError:  # no rule set yet (a fresh installation): nothing can be due
        return [], []
    items = due_items(session, today, rules, WorkingDays.from_db(session), horizon_days=(end - today).days, units=scope)
    overdue = [i for i in items if i.due_on < today and i.expects_action]
    follow_ups = [i for i in items if i.kind in FOLLOW_UP_KINDS and start <= i.due_on <= end]
    return overdue, follow_ups
