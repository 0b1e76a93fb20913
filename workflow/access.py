"""Who may see and act: roles and the unit subtree each user works in."""
from sqlalchemy import select

from models import Unit

CASE_ROLES = {"case_officer", "inspector", "discipline_liaison", "committee_secretary"}
READ_ALL_ROLES = {"auditor", "administrator"}


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
    return user.role in ("case_officer", "administrator")
