"""What is due: every dated obligation, derived from the domain tables as they stand.

Nothing here is stored: an item exists while its condition holds (a case still in probation
after its end, a publicity that ended with an objection open) and disappears once acted on.
Each query is bounded by an indexed date or state, so its cost follows what is due.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Cadre, Case, Objection, Sanction

from .clock import add_months
from .rules import rules_of
from .terms import MEASURES, label

KINDS = {  # kind: (English, Chinese, an action is expected by the date → escalates when overdue)
    "publicity_ending": ("Publicity ends", "任前公示即将期满", False),
    "publicity_objection_open": ("Publicity ended with an objection open", "公示期满仍有反映未答复", True),
    "probation_ending": ("Probation ends: assessment due", "试用期满，应进行考核", True),
    "inspection_start": ("Inspection may begin (notice period over)", "考察预告期满，可开始考察", False),
    "stale_step": ("Step time limit (stale when passed)", "步骤办理时限", True),
    "influence_period_ending": ("Influence period ends: expiry evaluation due", "影响期满，应进行期满评估", True),
    "admonishment_ending": ("Admonishment tracking period ends", "诫勉跟踪期满", False),
    "training_deadline": ("Training deadline (1 year after appointment)", "任职培训期限（任职后一年内）", False),
    "reassignment_due": ("Adjustment to be carried out (1 month after the decision)", "调整决定应在一个月内落实", True),
    "helper_due": ("Helper to be named (1 month after the adjustment)", "应在一个月内明确帮带责任人", True),
    "return_visit_due": ("Follow-up review (return visit) due", "跟踪回访到期", True),
    "appeal_window_closing": ("Appeal window closes", "申诉期限届满", False),
    "appeal_decision_due": ("Appeal to be decided", "申诉应作出决定", True),
}


@dataclass(frozen=True)
class DueItem:
    kind: str
    subject: str
    due_on: date
    notify_on: date
    unit_id: int
    case_id: int | None
    cadre_id: int | None
    text: str
    reference: str
    owner_id: int | None = None  # the person responsible (the assigned officer, else the case's opener), if any

    @property
    def title(self):
        en, zh, _ = KINDS[self.kind]
        return f"{zh} {en}"

    @property
    def expects_action(self):
        return KINDS[self.kind][2]


def due_items(session, today: date, rules, calendar, horizon_days=0, units=None):
    """Items whose reminder date has come (horizon 0), or that fall due within ``horizon_days``."""
    lead = rules["reminder_lead_days"]
    lookback = today - timedelta(days=rules["reminder_lookback_days"])
    until = today + timedelta(days=horizon_days)
    items = []
    for producer in (_publicity, _objections_open, _probation, _inspection_start, _stale, _sanctions, _training,
                     _reassignment, _follow_up, _appeals):
        items.extend(producer(session, today, lead, lookback, until, calendar, units))
    return sorted(items, key=lambda i: (i.due_on, i.kind, i.subject))


def _scoped(query, column, units):
    return query.where(column.in_(units)) if units is not None else query


def _window(lead_days, until):
    """Latest due date whose reminder date (due - lead) has come by ``until``."""
    return until + timedelta(days=lead_days)


def _case_item(kind, case, due, lead, text):
    return DueItem(kind, f"case:{case.id}", due, due - timedelta(days=lead.get(kind, 0)), case.unit_id, case.id, case.cadre_id,
                   text, case.reference, case.officer_id or case.opened_by_id)


def _publicity(session, today, lead, lookback, until, calendar, units):
    q = select(Case).options(joinedload(Case.cadre)).where(
        Case.state == "publicity", Case.publicity_end <= _window(lead["publicity_ending"], until), Case.publicity_end >= lookback)
    return [_case_item("publicity_ending", c, c.publicity_end, lead, f"{c.cadre.name}: publicity ends {c.publicity_end}")
            for c in session.scalars(_scoped(q, Case.unit_id, units))]


def _objections_open(session, today, lead, lookback, until, calendar, units):
    q = (select(Case).options(joinedload(Case.cadre)).join(Objection, Objection.case_id == Case.id)
         .where(Case.state.in_(("publicity", "publicity_suspended")), Objection.answered.is_(False),
                Case.publicity_end < until).distinct())
    return [_case_item("publicity_objection_open", c, c.publicity_end + timedelta(days=1), lead,
                       f"{c.cadre.name}: publicity ended {c.publicity_end} with an objection not answered")
            for c in session.scalars(_scoped(q, Case.unit_id, units))]


def _probation(session, today, lead, lookback, until, calendar, units):
    q = select(Case).options(joinedload(Case.cadre)).where(
        Case.state == "probation", Case.probation_end <= _window(lead["probation_ending"], until))
    return [_case_item("probation_ending", c, c.probation_end, lead, f"{c.cadre.name}: probation ends {c.probation_end}")
            for c in session.scalars(_scoped(q, Case.unit_id, units))]


def _inspection_start(session, today, lead, lookback, until, calendar, units):
    q = select(Case).options(joinedload(Case.cadre), joinedload(Case.records), joinedload(Case.rule_set)).where(Case.state == "inspection")
    out = []
    for case in session.scalars(_scoped(q, Case.unit_id, units)).unique():
        selected = case.last_record("select_for_inspection")
        if not selected or not selected.data.get("notice_on") or case.last_record("record_check"):
            continue
        days = case.rule_set.data.get("inspection_notice_lead_working_days", 1)
        begins = calendar.add(date.fromisoformat(selected.data["notice_on"]), days, count_start=False).day
        if lookback <= begins <= _window(lead["inspection_start"], until):
            out.append(_case_item("inspection_start", case, begins, lead, f"{case.cadre.name}: inspection may begin {begins}"))
    return out


def _state(case):
    from .registry import workflow_for

    return workflow_for(case.track).state(case.state).label


def _stale(session, today, lead, lookback, until, calendar, units):
    q = select(Case).options(joinedload(Case.cadre)).where(
        Case.due_kind == "step_limit", Case.closed_at.is_(None), Case.due_on <= _window(lead["stale_step"], until))
    return [_case_item("stale_step", c, c.due_on, lead, f"{c.cadre.name}: step '{_state(c)}' expected to move by {c.due_on}")
            for c in session.scalars(_scoped(q, Case.unit_id, units))]


def _sanctions(session, today, lead, lookback, until, calendar, units):
    latest = max(lead["influence_period_ending"], lead["admonishment_ending"])
    q = (select(Sanction, Cadre).join(Cadre, Cadre.id == Sanction.cadre_id)
         .where(Sanction.influence_ends_on <= _window(latest, until), Sanction.influence_ends_on >= lookback))
    out = []
    for sanction, cadre in session.execute(_scoped(q, Cadre.unit_id, units)):
        kind = "admonishment_ending" if sanction.measure == "admonishment" else "influence_period_ending"
        due = sanction.influence_ends_on
        if due - timedelta(days=lead[kind]) > until:
            continue
        out.append(DueItem(kind, f"sanction:{sanction.id}", due, due - timedelta(days=lead[kind]), cadre.unit_id, None, cadre.id,
                           f"{label(MEASURES, sanction.measure)} ends {due}", cadre.name))
    return out


def _training(session, today, lead, lookback, until, calendar, units):
    """Appointed cadres: training is due within the rule set's months of taking the post."""
    shortest, longest = _training_months(session)
    # A window on post_since wide enough for every rule set's period; the exact due date is checked below.
    earliest = add_months(lookback, -longest - 1)
    latest = add_months(_window(lead["training_deadline"], until), -shortest + 1)
    q = (select(Case, Cadre).join(Cadre, Cadre.id == Case.cadre_id).options(joinedload(Case.rule_set))
         .where(Case.state.in_(("probation", "appointed", "confirmed")), Cadre.position_id == Case.target_position_id,
                Cadre.post_since >= earliest, Cadre.post_since <= latest))
    out = []
    for case, cadre in session.execute(_scoped(q, Case.unit_id, units)):
        due = add_months(cadre.post_since, case.rule_set.data.get("training_deadline_months", 12))
        if lookback <= due and due - timedelta(days=lead["training_deadline"]) <= until:
            out.append(_case_item("training_deadline", case, due, lead, f"{cadre.name}: training due by {due}"))
    return out


def _training_months(session):
    from sqlalchemy import select as select_

    from models import RuleSet

    values = [rs.get("training_deadline_months", 12) for rs in session.scalars(select_(RuleSet.data))] or [12]
    return min(values), max(values)


def _reassignment(session, today, lead, lookback, until, calendar, units):
    q = select(Case).options(joinedload(Case.cadre)).where(
        Case.state == "reassignment", Case.due_kind == "reassignment_due", Case.due_on <= _window(lead.get("reassignment_due", 7), until))
    return [_case_item("reassignment_due", c, c.due_on, lead, f"{c.cadre.name}: the adjustment decision is to be carried out by {c.due_on}")
            for c in session.scalars(_scoped(q, Case.unit_id, units))]


def _follow_up(session, today, lead, lookback, until, calendar, units):
    """Sanctioned cadres: a helper within a month, then return visits at the rule set's interval."""
    q = select(Case).options(joinedload(Case.cadre), joinedload(Case.records), joinedload(Case.rule_set)).where(Case.state == "follow_up")
    out = []
    for case in session.scalars(_scoped(q, Case.unit_id, units)).unique():
        due, kind = follow_up_due(case, rules_of(case.rule_set))
        text = f"{case.cadre.name}: " + (f"name the helper by {due}" if kind == "helper_due" else f"return visit due by {due}")
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


def _appeals(session, today, lead, lookback, until, calendar, units):
    q = select(Case).options(joinedload(Case.cadre), joinedload(Case.records), joinedload(Case.rule_set)).where(
        Case.state.in_(("reassignment", "follow_up")))
    out = []
    for case in session.scalars(_scoped(q, Case.unit_id, units)).unique():
        rules = case.rule_set.data
        filed, decided = case.records_for("file_appeal"), case.records_for("decide_appeal")
        if len(filed) > len(decided):
            due = date.fromisoformat(filed[-1].data["filed_on"]) + timedelta(days=rules.get("appeal_decision_days", 30))
            if due <= _window(lead.get("appeal_decision_due", 5), until):
                out.append(_case_item("appeal_decision_due", case, due, lead, f"{case.cadre.name}: decide the appeal by {due}"))
            continue
        meeting = case.last_record("record_decision")
        if meeting and not filed:
            closes = date.fromisoformat(meeting.data["meeting_on"]) + timedelta(days=rules.get("appeal_window_days", 15))
            if lookback <= closes <= _window(lead.get("appeal_window_closing", 3), until):
                out.append(_case_item("appeal_window_closing", case, closes, lead, f"{case.cadre.name}: the appeal window closes {closes}"))
    return out
