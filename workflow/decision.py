"""Collective decisions: quorum of those who should attend, majority of those who should attend."""
from dataclasses import dataclass


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
        return "List the members who should attend the meeting. 请填写应到会成员。"
    fraction = rules.fraction("quorum_fraction")
    if t.present < fraction * t.should_attend:
        return (
            f"No quorum: {t.present} of {t.should_attend} members who should attend were present; "
            f"at least {fraction} must be. 到会成员不足应到会成员的{fraction}，不能讨论决定。"
        )
    return None


def majority_reached(t: Tally, rules) -> bool:
    return t.agree > rules.fraction("majority_fraction") * t.should_attend


# Guards for a step that records a collective decision (both tracks): the votes are in ctx.data.

def g_quorum(ctx):
    return quorum_problem(tally(ctx.data["votes"]), ctx.rules)


def passed(ctx):
    return majority_reached(tally(ctx.data["votes"]), ctx.rules)
