"""Who may see and act: the role groups and the unit subtree each user works in.

The permission matrix (``workflow/permissions.py``) is built from these groups and from the
workflow definitions; what a page lets a role do is looked up there, not decided here.
"""
from typing import NamedTuple

from sqlalchemy import and_, bindparam, func, inspect, select, true

from models import ChangeToken, Unit, User
from models.user import user_unit

from . import change_tokens
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


# The unit tree is kept per database and reused while the tree's change token is the one it was
# read under (workflow/change_tokens.py: triggers move it whenever a unit is added, removed or
# moved). A province has thousands of units, and every page and every state change asks for a
# scope: one key lookup instead of every unit row each time.
_TREES: dict = {}


class UnitRow(NamedTuple):
    id: int
    name: str
    code: str
    depth: int
    parent_id: int | None


class Scope(set):
    """A user's unit ids, knowing the user's own units (``roots``), the tree it was read from
    (``children``: unit id -> the ids under it; ``units``: unit id -> UnitRow), whether it is the
    whole tree, and the change tokens read with it (``tokens``: name -> token, for the calendar and
    rule sets kept under them)."""

    def __init__(self, ids, roots, children, whole, tokens=None, units=None):
        super().__init__(ids)
        self.roots, self.children, self.whole, self.tokens = roots, children, whole, tokens or {}
        self.units = units or {}

    def under(self, unit_id) -> "Scope":
        """The part of this scope at ``unit_id`` and below (empty when the unit is not in it), from
        the tree this scope was read from: no query."""
        ids = _walk(self.children, [unit_id]) & self if unit_id in self else set()
        return Scope(ids, frozenset([unit_id]) & self, self.children, bool(ids) and len(ids) >= len(self.units),
                     self.tokens, self.units)


# The user's row, every change token, and the user's own units beside the tree's: one round trip.
# Read again after each commit (which expires the user), the user's role and units are current.
_TOKEN_TABLE = ChangeToken.__table__
USER_TOKENS_AND_UNITS = (
    select(User, _TOKEN_TABLE.c.name, _TOKEN_TABLE.c.token, user_unit.c.unit_id)
    .select_from(User).outerjoin(_TOKEN_TABLE, true())
    .outerjoin(user_unit, and_(_TOKEN_TABLE.c.name == "unit_tree", user_unit.c.user_id == User.id))
    .where(User.id == bindparam("user_id"))
)


def unit_scope(session, user) -> Scope:
    """The user's units and every unit below them (an expired user is read again on the way)."""
    state = inspect(user)
    user_id = state.identity[0] if state.identity else user.id  # without loading an expired user first
    return scope_of(session, user, session.execute(USER_TOKENS_AND_UNITS, {"user_id": user_id}).all())


def scope_of(session, user, rows) -> Scope:
    """The scope from the rows of USER_TOKENS_AND_UNITS: (user, name, token, unit_id), one per token
    (and per unit of the user on the tree's token's row)."""
    tokens = {row.name: row.token for row in rows if row.name is not None}  # (name, token, unit_id), the user aside
    if "unit_tree" in tokens:
        token = tokens["unit_tree"]
        roots = frozenset(row.unit_id for row in rows if row.name == "unit_tree" and row.unit_id is not None)
    else:  # no token to trust: the tree is read afresh and not kept
        token, roots = None, frozenset(u.id for u in user.units)
    tree = _kept_tree(session, token)
    scopes = tree[2]
    ids = scopes.get(roots)
    if ids is None:
        if len(scopes) > 1000:
            scopes.clear()
        ids = scopes[roots] = frozenset(_walk(tree[1], roots))
    return Scope(ids, roots, tree[1], len(ids) >= tree[3], tokens, tree[4])


def levels_below(scope: Scope, levels) -> set[int]:
    """The user's own units and ``levels - 1`` levels under them."""
    found, layer = set(scope.roots), set(scope.roots)
    for _ in range(levels - 1):
        layer = {child for unit_id in layer for child in scope.children.get(unit_id, ())}
        found |= layer
    return found


def _kept_tree(session, token):
    """(token, children of each unit, scopes worked out, unit count, units by id) while ``token`` holds."""
    key = str(session.get_bind().url)
    tree = _TREES.get(key)
    if tree is None or tree[0] != token:
        units = {row.id: UnitRow(*row) for row in session.execute(
            select(Unit.id, Unit.name, Unit.code, Unit.depth, Unit.parent_id))}
        children = {}
        for unit in units.values():
            children.setdefault(unit.parent_id, []).append(unit.id)
        tree = (token, children, {}, len(units), units)
        if token is not None:
            _TREES[key] = tree
    return tree


def in_scope(session, query, column, scope):
    """``query`` limited to the units of ``scope``; a scope that is the whole tree (the province
    officer's) adds no condition: an IN list of every unit costs the planner and every row."""
    return query if whole_tree(session, scope) else query.where(column.in_(scope))


def whole_tree(session, scope) -> bool:
    """Does ``scope`` hold every unit? (A Scope knows; any other set of ids is counted against the tree.)"""
    if isinstance(scope, Scope):
        return scope.whole
    return len(scope) >= _unit_count(session)


def _unit_count(session):
    token = change_tokens.current(session, "unit_tree")
    tree = _TREES.get(str(session.get_bind().url))
    if token is not None and tree is not None and tree[0] == token:
        return tree[3]
    return session.scalar(select(func.count()).select_from(Unit))


def _walk(children, roots):
    scope, stack = set(), list(roots)
    while stack:
        unit_id = stack.pop()
        if unit_id not in scope:
            scope.add(unit_id)
            stack.extend(children.get(unit_id, []))
    return scope


def may_manage_cadres(user) -> bool:
    return user.role in CADRE_MANAGERS
