"""change tokens: the unit tree and the calendar say when they change (triggers), so processes may keep them

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

from workflow import change_tokens

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


# What this revision watched (later revisions add their own: 0013 the rule sets).
TOKENS = ["unit_tree", "calendar"]
TABLES = ["unit", "calendar_override", "calendar_year"]


def upgrade():
    table = op.create_table(
        'change_token',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('token', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_change_token')),
    )
    op.bulk_insert(table, change_tokens.fresh_rows(TOKENS))
    change_tokens.install(op.get_bind(), TABLES)


def downgrade():
    change_tokens.remove(op.get_bind())  # every trigger and the function
    op.drop_table('change_token')
