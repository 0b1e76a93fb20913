"""What is due: every dated obligation, derived from the domain tables as they stand.

Nothing here is stored: an item exists while its condition holds (a case still in probation
after its end, a publicity that ended with an objection open) and disappears once acted on.
Each query is bounded by an indexed date or state, so its cost follows what is due.
"""
import gc
from collections import namedtuple
from contextlib import contextmanager
from datetime import date, timedelta
from functools import cache
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from babel.dates import format_date
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from models import Cadre, Case, Objection, Sanction, StepRecord

from .clock import add_months
from .i18n import Lazy, _l, language, pick
from .terms import MEASURES, label

# Each item's title carries both names (shown in the reader's language, like the terms of
# workflow/terms.py); its text is lazy (``_l``): made in the language of the page that shows it, or
# of the reminder pass that stores it (workflow/reminders.py), never while the items are gathered.
KINDS = {  # kind: (English, Chinese, an action is expected by the date → escalates when overdue)
    "publicity_ending": ("Publicity ends", "任前公示即将期满", False),
    "publicity_objection_open": ("Publicity ended with an objection open", "公示期满仍有反映未答复", True),
    "probation_ending": ("Probation ends: assessment due", "试用期满，应进行考核", True),
    "inspection_start": ("Inspection may begin (notice period over)", "考察预告期满，可开始考察", False),
    "stale_step": ("Step time limit (stale when passed)", "步骤办理时限（逾期未推进即为滞留）", True),
    "influence_period_ending": ("Influence period ends: expiry evaluation due", "影响期满，应进行期满评估", True),
    "admonishment_ending": ("Admonishment tracking period ends", "诫勉跟踪期满", False),
    "training_deadline": ("Training deadline (1 year after appointment)", "任职培训期限（任职后一年内）", False),
    "reassignment_due": ("Adjustment to be carried out (1 month after the decision)", "调整决定应在一个月内落实", True),
    "helper_due": ("Helper to be named (1 month after the adjustment)", "应在调整后一个月内明确帮带责任人", True),
    "return_visit_due": ("Follow-up review (return visit) due", "跟踪回访到期", True),
    "appeal_window_closing": ("Appeal window closes", "申诉期限届满", False),
    "appeal_decision_due": ("Appeal to be decided", "申诉应作出决定", True),
}


class DueItem(NamedTuple):  # a tuple: tens of thousands are made per scan, cheaply
    kind: str
    subject: str
    due_on: date
    notify_on: date
    unit_id: int
    case_id: int | None
    cadre_id: int | None
    text: str  # lazy: in the language of whoever reads it
    reference: str
    owner_id: int | None = None  # the person responsible (the assigned officer, else the case's opener), if any

    @property
    def title(self):
        en, zh, _expects = KINDS[self.kind]
        return pick(en, zh)

    @property
    def expects_action(self):
        return KINDS[self.kind][2]


def due_items(session, today: date, rules, calendar, horizon_days=0, units=None):
    """Items whose reminder date has come (horizon 0), or that fall due within ``horizon_days``."""
    lead = rules["reminder_lead_days"]
    lookback = today - timedelta(days=rules["reminder_lookback_days"])
    until = today + timedelta(days=horizon_days)
    items = []
    with _without_collector():
        for producer in (_publicity, _objections_open, _probation, _inspection_start, _stale, _sanctions, _training,
                         _reassignment, _follow_up, _appeals):
            items.extend(producer(session, today, lead, lookback, until, calendar, units))
        return sorted(items, key=itemgetter(2, 0, 1))  # due_on, kind, subject


@contextmanager
def _without_collector():
    """The scan makes tens of thousands of small objects (rows, items, their lazy texts), none of
    them in a reference cycle; Python's cycle collector, set off by that many allocations, would
    walk the whole heap again and again and take a third of the scan's time (bench/reminders.py).
    Paused while the items are gathered; what is garbage is freed by reference counting anyway."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _format_day(day):
    return format_date(day, "medium", locale="zh" if language() == "zh" else "en")


def _day(day):
    """A date in the reader's language when the text is shown: 2026年4月10日 / Apr 10, 2026."""
    return Lazy(_format_day, day)


def _rows(session, query):
    """Plain rows through the session's connection (its transaction), without the ORM's result
    machinery (the scan reads columns, never entities), as named tuples: their fields are read
    ten times faster than a Row's, and the scan reads a dozen per item."""
    result = session.connection().execute(query)
    return map(_row_type(tuple(result.keys()))._make, result)


@cache
def _row_type(fields):
    return namedtuple("Row", fields)


def _scoped(query, column, units):
    return query.where(column.in_(units)) if units is not None else query


def _window(lead_days, until):
    """Latest due date whose reminder date (due - lead) has come by ``until``."""
    return until + timedelta(days=lead_days)


# What an item needs of a case, read as plain rows (no ORM objects: the scan's cost stays that of
# its queries, and the scheduler's memory that of the items).
CASE_COLUMNS = (Case.id, Case.unit_id, Case.cadre_id, Case.reference, Case.opened_by_id, Case.track, Case.state,
                Case.due_on, Case.due_kind, Case.publicity_end, Case.probation_end, Case.officer_id)


def _case_rows(*extra):
    return select(*CASE_COLUMNS, CADRE_NAME, *extra)


# The cadre's name looked up by key for each case found: a join lets the planner hash all 200,000
# cadres whenever it expects a few thousand cases (bench/explain.py), where a thousand key lookups
# cost a few milliseconds.
CADRE_NAME = select(Cadre.name).where(Cadre.id == Case.cadre_id).correlate(Case).scalar_subquery().label("cadre_name")


def _case_item(kind, case, due, lead, text):
    return DueItem(kind, f"case:{case.id}", due, due - _days(lead.get(kind, 0)), case.unit_id, case.id, case.cadre_id,
                   text, case.reference, case.officer_id or case.opened_by_id)


@cache
def _days(count):
    return timedelta(days=count)


def _publicity(session, today, lead, lookback, until, calendar, units):
    q = _case_rows().where(
        Case.state == "publicity", Case.publicity_end <= _window(lead["publicity_ending"], until), Case.publicity_end >= lookback)
    return [_case_item("publicity_ending", c, c.publicity_end, lead,
                       _l("%(name)s: publicity ends %(date)s", name=c.cadre_name, date=_day(c.publicity_end)))
            for c in _rows(session, _scoped(q, Case.unit_id, units))]


def _objections_open(session, today, lead, lookback, until, calendar, units):
    unanswered = select(Objection.id).where(Objection.case_id == Case.id, Objection.answered.is_(False)).exists()
    q = _case_rows().where(Case.state.in_(("publicity", "publicity_suspended")), Case.publicity_end < until, unanswered)
    return [_case_item("publicity_objection_open", c, c.publicity_end + timedelta(days=1), lead,
                       _l("%(name)s: publicity ended %(date)s with an objection not answered", name=c.cadre_name,
                          date=_day(c.publicity_end)))
            for c in _rows(session, _scoped(q, Case.unit_id, units))]


def _probation(session, today, lead, lookback, until, calendar, units):
    # The door plans a probation case's deadline as its probation end (due_kind "probation_end"):
    # the (due_kind, due_on) index finds the ones ending soon without reading every probation.
    q = _case_rows().where(
        Case.due_kind == "probation_end", Case.due_on <= _window(lead["probation_ending"], until),
        Case.state == "probation", Case.probation_end <= _window(lead["probation_ending"], until))
    return [_case_item("probation_ending", c, c.probation_end, lead,
                       _l("%(name)s: probation ends %(date)s", name=c.cadre_name, date=_day(c.probation_end)))
            for c in _rows(session, _scoped(q, Case.unit_id, units))]


def _inspection_start(session, today, lead, lookback, until, calendar, units):
    # Only inspections not begun (no check recorded) whose selection is recent enough for the start
    # to fall after the lookback: the notice date is at most ``future_days`` after the selection
    # was recorded, and the lead is a few working days (45 days cover it with any holiday).
    recent = _utc_start(lookback - timedelta(days=_max_rule(session, "future_days", 30) + 45))
    check, chosen = aliased(StepRecord), aliased(StepRecord)
    begun = select(check.id).where(check.case_id == Case.id, check.trigger == "record_check").correlate(Case).exists()
    selection = (select(func.max(chosen.id)).where(chosen.case_id == Case.id, chosen.trigger == "select_for_inspection")
                 .correlate(Case).scalar_subquery())
    notice = StepRecord.data["notice_on"].as_string().label("notice_on")  # the one field needed, not the record
    q = (_case_rows(notice, Case.rule_set_id).join(StepRecord, StepRecord.id == selection)
         .where(Case.state == "inspection", Case.state_since >= recent, ~begun))
    lead_days = _rule_values(session, "inspection_notice_lead_working_days", 1)
    latest = _window(lead["inspection_start"], until)
    begin_on = {}  # (notice date, working days) -> first day of inspection: many cases share a notice date
    out = []
    for case in _rows(session, _scoped(q, Case.unit_id, units)):
        if not case.notice_on:
            continue
        key = (case.notice_on, lead_days[case.rule_set_id])
        begins = begin_on.get(key)
        if begins is None:
            begins = begin_on[key] = calendar.add(date.fromisoformat(key[0]), key[1], count_start=False).day
        if lookback <= begins <= latest:
            out.append(_case_item("inspection_start", case, begins, lead,
                                  _l("%(name)s: inspection may begin %(date)s", name=case.cadre_name, date=_day(begins))))
    return out


def _state(case):
    from .registry import workflow_for

    return workflow_for(case.track).state(case.state).label


def _stale(session, today, lead, lookback, until, calendar, units):
    q = _case_rows().where(
        Case.due_kind == "step_limit", Case.closed_at.is_(None), Case.due_on <= _window(lead["stale_step"], until))
    return [_case_item("stale_step", c, c.due_on, lead,
                       _l("%(name)s: step '%(step)s' expected to move by %(date)s", name=c.cadre_name,
                          step=Lazy(_state, c), date=_day(c.due_on)))
            for c in _rows(session, _scoped(q, Case.unit_id, units))]


def _sanctions(session, today, lead, lookback, until, calendar, units):
    latest = max(lead["influence_period_ending"], lead["admonishment_ending"])
    # The periods ending in the window by their index, their cadres' unit and name by key (a join
    # would let the planner hash all 200,000 cadres for the thousands of periods due at once).
    cadre = aliased(Cadre)
    unit_id = select(cadre.unit_id).where(cadre.id == Sanction.cadre_id).scalar_subquery()
    name = select(cadre.name).where(cadre.id == Sanction.cadre_id).scalar_subquery()
    q = (select(Sanction.id, Sanction.measure, Sanction.influence_ends_on, Sanction.cadre_id, unit_id.label("unit_id"),
                name.label("name"))
         .where(Sanction.influence_ends_on <= _window(latest, until), Sanction.influence_ends_on >= lookback))
    out = []
    for period in _rows(session, _scoped(q, unit_id, units)):
        kind = "admonishment_ending" if period.measure == "admonishment" else "influence_period_ending"
        due = period.influence_ends_on
        notify_on = due - timedelta(days=lead[kind])
        if notify_on > until:
            continue
        out.append(DueItem(kind, f"sanction:{period.id}", due, notify_on, period.unit_id, None, period.cadre_id,
                           _l("%(measure)s ends %(date)s", measure=Lazy(label, MEASURES, period.measure),
                              date=_day(due)), period.name))
    return out


def _training(session, today, lead, lookback, until, calendar, units):
    """Appointed cadres: training is due within the rule set's months of taking the post."""
    shortest, longest = _training_months(session)
    # A window on post_since wide enough for every rule set's period; the exact due date is checked below.
    earliest = add_months(lookback, -longest - 1)
    latest = add_months(_window(lead["training_deadline"], until), -shortest + 1)
    months = _rule_values(session, "training_deadline_months", 12)
    q = (_case_rows(Cadre.post_since, Case.rule_set_id).join(Cadre, Cadre.id == Case.cadre_id)
         .where(Case.state.in_(("probation", "appointed", "confirmed")), Cadre.position_id == Case.target_position_id,
                Cadre.post_since >= earliest, Cadre.post_since <= latest))
    out = []
    for case in _rows(session, _scoped(q, Case.unit_id, units)):
        due = add_months(case.post_since, months[case.rule_set_id])
        if lookback <= due and due - timedelta(days=lead["training_deadline"]) <= until:
            out.append(_case_item("training_deadline", case, due, lead,
                                  _l("%(name)s: training due by %(date)s", name=case.cadre_name, date=_day(due))))
    return out


def _rule_values(session, key, default):
    """{rule set id: value} of one rule (each case is judged by the rule set it opened under)."""
    from models import RuleSet

    return {rs_id: data.get(key, default) for rs_id, data in session.execute(select(RuleSet.id, RuleSet.data))}


def _max_rule(session, key, default):
    """The largest value of a rule over every rule set (cases keep the version they opened under)."""
    return max(_rule_values(session, key, default).values(), default=default)


def _utc_start(day):
    from datetime import datetime, time

    from .clock import LOCAL_TZ

    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


def _training_months(session):
    values = _rule_values(session, "training_deadline_months", 12).values()
    return min(values, default=12), max(values, default=12)


def _reassignment(session, today, lead, lookback, until, calendar, units):
    q = _case_rows().where(
        Case.state == "reassignment", Case.due_kind == "reassignment_due", Case.due_on <= _window(lead.get("reassignment_due", 7), until))
    return [_case_item("reassignment_due", c, c.due_on, lead,
                       _l("%(name)s: the adjustment decision is to be carried out by %(date)s", name=c.cadre_name,
                          date=_day(c.due_on)))
            for c in _rows(session, _scoped(q, Case.unit_id, units))]


def _follow_up(session, today, lead, lookback, until, calendar, units):
    """Sanctioned cadres: a helper within a month, then return visits at the rule set's interval.

    The door plans a follow-up case's deadline with ``follow_up_due`` at every step (due_kind
    helper_due / return_visit_due, due_on its date), so the indexed (due_kind, due_on) finds the
    ones due without reading every follow-up case and its records."""
    latest = _window(max(lead.get("helper_due", 14), lead.get("return_visit_due", 14)), until)
    q = _case_rows().where(
        Case.due_kind.in_(("helper_due", "return_visit_due")), Case.due_on <= latest, Case.state == "follow_up")
    out = []
    for case in _rows(session, _scoped(q, Case.unit_id, units)):
        due, kind = case.due_on, case.due_kind
        text = (_l("%(name)s: name the helper by %(date)s", name=case.cadre_name, date=_day(due)) if kind == "helper_due"
                else _l("%(name)s: return visit due by %(date)s", name=case.cadre_name, date=_day(due)))
        if due <= _window(lead.get(kind, 14), until):
            out.append(_case_item(kind, case, due, lead, text))
    return out


def follow_up_due(case, rules):
    """(date, kind): the helper within a month of the adjustment, then each return visit."""
    started = case.last_record("carry_out")
    start = date.fromisoformat(started.data["effective_on"]) if started else case.state_since.date()
    if not case.last_record("name_helper"):
        return add_months(start, rules["helper_due_months"]), "helper_due"
    visits = case.records_for("record_return_visit")
    last = date.fromisoformat(visits[-1].data["visit_on"]) if visits else start
    return add_months(last, rules["return_visit_interval_months"]), "return_visit_due"


APPEAL_TRIGGERS = ("file_appeal", "decide_appeal", "record_decision")


def _appeals(session, today, lead, lookback, until, calendar, units):
    # Only the cases that can have an appeal item: those with an appeal on record, and those whose
    # decision is recent enough for its window to close after the lookback (the decision meeting
    # precedes the case's entry into reassignment, and follow-up comes after that). Plain rows: the
    # cases with only their appeal and decision records (index on trigger, case_id), in one query.
    recent = _utc_start(lookback - timedelta(days=_max_rule(session, "appeal_window_days", 15) + 1))
    appealed = select(StepRecord.case_id).where(StepRecord.trigger == "file_appeal")
    q = (_case_rows(Case.rule_set_id, StepRecord.trigger, StepRecord.data.label("record"))
         .join(StepRecord, StepRecord.case_id == Case.id)
         .where(StepRecord.trigger.in_(APPEAL_TRIGGERS), Case.state.in_(("reassignment", "follow_up")),
                or_(Case.state_since >= recent, Case.id.in_(appealed)))
         .order_by(Case.id, StepRecord.id))
    window_days = _rule_values(session, "appeal_window_days", 15)
    decision_days = _rule_values(session, "appeal_decision_days", 30)
    out = []
    for _case_id, rows in groupby(_rows(session, _scoped(q, Case.unit_id, units)), key=lambda row: row.id):
        rows = list(rows)
        case, found = rows[0], {}
        for row in rows:
            found.setdefault(row.trigger, []).append(row.record)
        filed, decided = found.get("file_appeal", []), found.get("decide_appeal", [])
        if len(filed) > len(decided):
            due = date.fromisoformat(filed[-1]["filed_on"]) + timedelta(days=decision_days[case.rule_set_id])
            if due <= _window(lead.get("appeal_decision_due", 5), until):
                out.append(_case_item("appeal_decision_due", case, due, lead,
                                      _l("%(name)s: decide the appeal by %(date)s", name=case.cadre_name, date=_day(due))))
            continue
        meetings = found.get("record_decision")
        if meetings and not filed:
            closes = date.fromisoformat(meetings[-1]["meeting_on"]) + timedelta(days=window_days[case.rule_set_id])
            if lookback <= closes <= _window(lead.get("appeal_window_closing", 3), until):
                out.append(_case_item("appeal_window_closing", case, closes, lead,
                                      _l("%(name)s: the appeal window closes %(date)s", name=case.cadre_name,
                                         date=_day(closes))))
    return out
