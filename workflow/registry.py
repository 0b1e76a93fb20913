"""Every workflow by track, and its machine built once."""
from . import adjustment, promotion
from . import machine as _machine

WORKFLOWS = {"promotion": promotion.WORKFLOW, "adjustment": adjustment.WORKFLOW}
_MACHINES = {track: _machine.build(wf) for track, wf in WORKFLOWS.items()}
OPEN_FIELDS = {"promotion": promotion.OPEN_FIELDS, "adjustment": adjustment.OPEN_FIELDS}
OPEN_ROLES = {"promotion": frozenset({"case_officer"}), "adjustment": frozenset({"case_officer", "discipline_liaison"})}


def workflow_for(track):
    return WORKFLOWS[track]


def machine_for(track):
    return _MACHINES[track]


def open_fields(track):
    return OPEN_FIELDS[track]
