"""Collective decisions: quorum of those who should attend, majority of those who should attend,
and the separation of duties around them (domain.md, "Who uses it"):

- the person who proposed the case (opened it: the nomination, or registered the trigger; or made
  the adjustment proposal) does not record its decision;
- a member with a personal or family link to the cadre recuses (vote "recused 回避"): recorded by
  name, counted neither as present nor among the members who should attend;
- no decision without the integrity opinion (each track's guard says where it is recorded).
"""
from dataclasses import dataclass

from .i18n import _, _l


@dataclass(frozen=True)
class Tally:
    members: int  # every member listed
    recused: int
    present: int  # attended and not recused
    agree: int
    disagree: int
    defer: int

    @property
    def should_attend(self):
        """Recused members are excluded from the count (they take no part in the matter)."""
        return self.members - self.recused


def tally(votes: list[dict]) -> Tally:
    count = {kind: sum(1 for v in votes if v["vote"] == kind) for kind in ("agree", "disagree", "defer", "absent", "recused")}
    return Tally(
        members=len(votes),
        recused=count["recused"],
        present=count["agree"] + count["disagree"] + count["defer"],
        agree=count["agree"],
        disagree=count["disagree"],
        defer=count["defer"],
    )


def quorum_problem(t: Tally, rules) -> str | None:
    if t.should_attend <= 0:
        return _("List the members who should attend the meeting.")
    fraction = rules.fraction("quorum_fraction")
    if t.present < fraction * t.should_attend:
        return _("No quorum: %(present)s of %(should_attend)s members who should attend were present; at least %(fraction)s must be.",
                 present=t.present, should_attend=t.should_attend, fraction=str(fraction))
    return None


def majority_reached(t: Tally, rules) -> bool:
    return t.agree > rules.fraction("majority_fraction") * t.should_attend


# Guards for a step that records a collective decision (both tracks): the votes are in ctx.data.

def g_quorum(ctx):
    return quorum_problem(tally(ctx.data["votes"]), ctx.rules)


def passed(ctx):
    return majority_reached(tally(ctx.data["votes"]), ctx.rules)


# --- separation of duties --------------------------------------------------------------------

# Steps that propose, besides opening the case (which is the nomination or the registered trigger).
PROPOSING_STEPS = {"promotion": (), "adjustment": ("propose_adjustment",)}


def proposers(case) -> set:
    """The users who proposed this case: who opened it, and who made a proposing step."""
    ids = {case.opened_by_id}
    ids.update(r.actor_id for r in case.records_for(*PROPOSING_STEPS.get(case.track, ())))
    return ids


NOT_PROPOSER = _l("The person who proposed this case may not record its decision.")


def g_not_proposer(ctx):
    """The person who proposes is not the person who decides."""
    return str(NOT_PROPOSER) if ctx.actor.id in proposers(ctx.case) else None
