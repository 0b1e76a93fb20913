"""rule sets and unit names move change tokens, so a process keeps the rule sets and unit rows it read

A case is judged by the rule-set version it was opened under, and every state change read that
version's row again. Rule sets are never edited (a new version is made); now a trigger moves the
``rule_set`` token whenever the table changes (workflow/change_tokens.py), so the door reads it once
with the other tokens and the unit scope.

The kept unit tree now holds each unit's name and code too (every list's unit filter read them on
every page), so renaming a unit, or changing its code, moves the tree's token as well.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

from workflow import change_tokens

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    table = sa.table('change_token', sa.column('name', sa.String), sa.column('token', sa.String))
    op.bulk_insert(table, change_tokens.fresh_rows(["rule_set"]))
    change_tokens.remove(op.get_bind(), ["unit"])
    change_tokens.install(op.get_bind(), ["unit", "rule_set"])


def downgrade():
    # The unit trigger stays as it is now (moving the token on a rename too is only more cautious).
    change_tokens.remove(op.get_bind(), ["rule_set"])
    op.execute("DELETE FROM change_token WHERE name = 'rule_set'")
