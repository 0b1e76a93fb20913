"""Who may see and act: the role groups and the unit subtree each user works in.

The permission matrix (``workflow/permissions.py``) is built from these groups and from the
workflow definitions; what a page lets a role do is looked up there, not decided here.
"""
from sqlalchemy import select

from models import Unit

from .terms import ROLES

ALL_ROLES = frozenset(ROLES)
# The roles that work on cases; which step each of them may take is in the workflow definitions.
CASE_ROLES = frozenset({"case_officer", "inspector", "discipline_liaison", "committee_secretary"})
# The roles that read everything in their units and act on no case (domain.md, "Who uses it").
READ_ALL_ROLES = frozenset({"auditor", "administrator"})
AUDIT_ROLES = READ_ALL_ROLES  # the audit trail: events, chain verification, exports
ADMINISTRATORS = frozenset({"administrator"})
# Cadre master data (create, edit, annual assessments). Administrators keep it as record keepers;
# an assessment only *proposes* an adjustment in the intake inbox, it opens no case.
CADRE_MANAGERS = frozenset({"case_officer", "administrator"})


def unit_scope(session, user) -> set[int]:
    """The user's units and every unit below them."""
    rows = session.execute(select(Unit.id, Unit.parent_id)).all()
    children = {}
    for unit_id, parent_id in rows:
        children.setdefault(parent_id, []).append(unit_id)
    scope, stack = set(), [u.id for u in user.units]
    while stack:
        unit_id = stack.pop()
        if unit_id not in scope:
            scope.add(unit_id)
            stack.extend(children.get(unit_id, []))
    return scope


def may_manage_cadres(user) -> bool:
    return user.role in CADRE_MANAGERS
