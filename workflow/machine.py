"""One ``transitions`` machine per workflow, built once at import.

No model is registered with it: the door builds a small stand-in from the case row's column,
fires the event on it, and reads the resulting state back. ``transitions`` checks that the
trigger is valid from the state and picks the first branch whose conditions (our guards and
branch selector) hold.
"""
from enum import Enum

from transitions import Machine


class CaseStandIn:
    __slots__ = ("state",)

    def __init__(self, state):
        self.state = state


def build(workflow):
    state_enum = Enum(f"{workflow.track.title()}State", {s.name: s.name for s in workflow.states})
    spec = []
    for t in workflow.transitions:
        spec.append({
            "trigger": t.trigger,
            "source": [state_enum[s] for s in t.sources],
            "dest": state_enum[t.dest],
            "conditions": [lambda event, t=t: event.kwargs["ctx"].passes(t)],
        })
    machine = Machine(
        model=None, states=state_enum, transitions=spec, initial=state_enum[workflow.initial],
        auto_transitions=False, send_event=True,
    )
    return machine, state_enum


def fire(machine, state_enum, trigger, state, ctx):
    """Run ``trigger`` from ``state``; returns the destination's name or None if no branch holds."""
    stand_in = CaseStandIn(state_enum[state])
    if not machine.events[trigger].trigger(stand_in, ctx=ctx):
        return None
    return stand_in.state.name
