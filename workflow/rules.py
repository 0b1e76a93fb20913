"""The versioned rule set: every period, threshold and list of domain.md, with its source.

Code asks ``Rules`` for a value; it never writes the number itself. Each case records the
rule-set version it was opened under and is judged by that version for its whole life.
"""
from fractions import Fraction

from sqlalchemy import select

from models import RuleSet

from .i18n import _l

# key: (default value, source note: shown on the rules page in the reader's language)
DEFAULTS = {
    "publicity_min_working_days": (5, _l("2019 selection regulations: publicity at least 5 working days")),
    "publicity_counts_start_day": (True, _l("local practice: the posting day counts when it is a working day")),
    "inspection_team_min": (2, _l("2019 selection regulations: inspection team of at least 2")),
    "inspection_notice_lead_working_days": (1, _l("local: notice 1-3 working days before inspection")),
    "quorum_fraction": ("2/3", _l("collective decision: at least two thirds of members present")),
    "majority_fraction": ("1/2", _l("passes with more than half of the members who should attend")),
    "probation_months": (12, _l("2019 selection regulations: probation of one year")),
    "probation_start": ("decision", _l("local: probation starts at the 'decision' or the 'notice' date")),
    "training_deadline_months": (12, _l("training may be completed within 1 year after appointment")),
    "min_years_in_rank": (
        {
            "staff>section_deputy": 3,
            "section_deputy>section_chief": 2,
            "section_chief>division_deputy": 3,
            "division_deputy>division_chief": 2,
            "division_chief>bureau_deputy": 3,
            "bureau_deputy>bureau_chief": 2,
        },
        _l("deputy->chief same level 2 years; lower chief->upper deputy 3 years (local defaults)"),
    ),
    "division_min_work_years": (5, _l("county/division level: at least 5 years of work")),
    "division_min_grassroots_years": (2, _l("county/division level: at least 2 years at grassroots")),
    "education_min": (
        {"section": "college", "division": "college", "bureau": "bachelor"},
        _l("education by level (local defaults)"),
    ),
    "excluded_assessments": (
        ["basically_competent", "incompetent"],
        _l("exclusion: last year's assessment 'basically competent' or worse"),
    ),
    "low_recognition_percent": (50, _l("local: democratic rating approval below this is 'low recognition'")),
    "exception_min_months_since_promotion": (12, _l("no exception less than 1 year after the last promotion")),
    "influence_months": (
        {
            "party_warning": 12, "party_serious_warning": 18, "party_post_removal": 24,
            "party_probation": 24, "gov_warning": 6, "gov_demerit": 12, "gov_major_demerit": 18,
            "gov_downgrade": 24, "gov_dismissal": 24, "transfer_from_post": 12, "removal": 24,
            "ordered_resignation": 24, "demotion": 24, "admonishment": 6,
        },
        _l("influence periods by measure (domain.md; organizational adjustment: older rule, verify)"),
    ),
    "backdating_days": (7, _l("local: a step may be recorded at most this many days after it happened")),
    "future_days": (30, _l("local: a planned date (notice, publicity start, appointment) at most this far ahead")),
    "reminder_lead_days": (
        {
            "publicity_ending": 1, "publicity_objection_open": 0, "probation_ending": 7, "inspection_start": 0,
            "stale_step": 0, "influence_period_ending": 30, "admonishment_ending": 14, "training_deadline": 30,
            "reassignment_due": 7, "helper_due": 7, "return_visit_due": 14, "appeal_window_closing": 3,
            "appeal_decision_due": 5,
        },
        _l("local: how many days before a date its reminder goes out"),
    ),
    "escalation_days": (3, _l("local: an overdue item not acted on this many days is sent to the unit's supervisor")),
    "reminder_lookback_days": (60, _l("how far back a scheduler that was off catches up on informational dates")),
    "influence_cap_months": (48, _l("several measures: at most 48 months in all")),
    "same_kind_combination": ("sum", _l("same kind decided together: 'sum' (upper bound) or 'heaviest'")),
    "reassignment_due_months": (1, _l("an adjustment decision is carried out within 1 month")),
    "helper_due_months": (1, _l("a helper is named within 1 month of the adjustment")),
    "return_visit_interval_months": (12, _l("local: return visits at least yearly")),
    "return_visits_max_per_year": (2, _l("local: at most twice a year")),
    "return_visit_min_visitors": (2, _l("return visits by at least 2 people")),
    "appeal_window_days": (15, _l("older text: appeal within 15 days of the decision (configurable)")),
    "appeal_decision_days": (30, _l("older text: an appeal is decided within 30 days")),
    "false_report_blacklist": (True, _l("seeds: a malicious false accusation is recorded against the accuser")),
    "step_expected_days": (
        {
            "nomination": 30, "inspection": 30, "decision": 30, "approved": 10,
            "publicity_suspended": 15, "on_hold": 60,
            "intake": 10, "verification": 30, "clarification": 15, "handling": 15, "fault_tolerance": 20,
            "proposal": 15,
        },
        _l("local: a step with no movement for longer than this is stale"),
    ),
}


class Rules:
    """Read-only view of one rule-set version."""

    def __init__(self, version: int, data: dict):
        self.version = version
        self._data = data

    def __getitem__(self, key):
        if key in self._data:
            return self._data[key]
        return DEFAULTS[key][0]

    def fraction(self, key) -> Fraction:
        return Fraction(self[key])

    def min_years(self, from_rank, to_rank):
        return self["min_years_in_rank"].get(f"{from_rank}>{to_rank}")

    def expected_days(self, state):
        return self["step_expected_days"].get(state)


def default_data() -> dict:
    return {key: value for key, (value, _source) in DEFAULTS.items()}


def active_rule_set(session) -> RuleSet:
    rule_set = session.scalars(
        select(RuleSet).where(RuleSet.active.is_(True)).order_by(RuleSet.version.desc())
    ).first()
    if rule_set is None:
        raise LookupError("No active rule set. Run 'flask --app wsgi demo load' or 'rules init'.")
    return rule_set


def rules_of(rule_set: RuleSet) -> Rules:
    return Rules(rule_set.version, rule_set.data)


# Rule sets read, per database, while the ``rule_set`` change token is the one they were read under
# (a version is never edited: a new version is a new row, and any change moves the token).
_KEPT: dict = {}


def rules_by_id(session, rule_set_id, token) -> Rules:
    """The rules of the rule set ``rule_set_id``, as read under ``token`` (the ``rule_set`` change
    token of this transaction; None: read afresh and not kept)."""
    key = str(session.get_bind().url)
    kept = _KEPT.get(key)
    if kept is None or kept[0] != token:
        kept = (token, {})
        if token is not None:
            _KEPT[key] = kept
    rules = kept[1].get(rule_set_id)
    if rules is None:
        rules = kept[1][rule_set_id] = rules_of(session.get(RuleSet, rule_set_id))
    return rules


def ensure_rule_set(session, note="Defaults of domain.md", actor=None):
    """Create version 1 from the defaults when no rule set exists; returns the active one."""
    from . import audit, clock

    existing = session.scalars(select(RuleSet).order_by(RuleSet.version.desc())).first()
    if existing is not None:
        return active_rule_set(session)
    rule_set = RuleSet(version=1, note=note, data=default_data(), active=True, created_at=clock.now(),
                       created_by_id=actor.id if actor else None)
    session.add(rule_set)
    session.flush()
    audit.append(session, kind="rules.created", actor=actor, at=clock.now(), summary="Rule set v1 created from defaults",
                 after={"version": 1, "data": rule_set.data})
    return rule_set
