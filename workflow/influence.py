"""Influence periods (影响期): how long a measure bars promotion, and how several combine.

domain.md, "Influence periods", with the numbers in the rule set:
- several measures decided together: the heaviest applies; of the same kind, the periods are
  added (the upper bound the rules allow; ``same_kind_combination`` may say "heaviest" instead);
- a new measure while a period runs: the remaining period plus the new one;
- never more than ``influence_cap_months`` (48) from the decision that extends it.
"""
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from .clock import add_months

KIND_OF = {  # measures of the same kind combine by adding
    "party_warning": "party", "party_serious_warning": "party", "party_post_removal": "party", "party_probation": "party",
    "gov_warning": "government", "gov_demerit": "government", "gov_major_demerit": "government",
    "gov_downgrade": "government", "gov_dismissal": "government",
    "transfer_from_post": "organizational", "removal": "organizational", "ordered_resignation": "organizational",
    "demotion": "organizational", "admonishment": "handling",
}


@dataclass(frozen=True)
class Influence:
    ends_on: date | None
    making_it: tuple  # the sanctions that set or extended the end, oldest first

    def in_force(self, today):
        return self.ends_on is not None and self.ends_on > today


def months_for(measure, rules) -> int:
    return rules["influence_months"].get(measure, 0)


def own_end(measure, decided_on, rules) -> date:
    """One measure alone: the decision date plus its period."""
    return add_months(decided_on, months_for(measure, rules))


def combined(sanctions, rules) -> Influence:
    """The end of the influence period of all of a cadre's measures together.

    Each measure's own period is the one recorded with it (decision date to its end), which the
    rule set supplied when the measure was entered here, or the deciding body set."""
    cap = rules["influence_cap_months"]
    same_kind_adds = rules["same_kind_combination"] == "sum"
    end, making = None, []
    ordered = sorted(sanctions, key=lambda s: (s.decided_on, s.id or 0))
    for decided_on, group in groupby(ordered, key=lambda s: s.decided_on):
        group = list(group)
        length = _together(group, same_kind_adds)
        if length.days <= 0:
            continue
        if end is not None and end > decided_on:
            candidate = end + length  # the remaining period plus the new one
        else:
            candidate, making = decided_on + length, []
        end = min(candidate, add_months(decided_on, cap))
        making.extend(group)
    return Influence(end, tuple(making))


def _together(group, same_kind_adds):
    """Measures decided at once: per kind add (or take the heaviest), then the heaviest kind applies."""
    by_kind = {}
    for sanction in group:
        by_kind.setdefault(KIND_OF.get(sanction.measure, sanction.measure), []).append(sanction.influence_ends_on - sanction.decided_on)
    per_kind = [sum(lengths, start=lengths[0] * 0) if same_kind_adds else max(lengths) for lengths in by_kind.values()]
    return max(per_kind)
