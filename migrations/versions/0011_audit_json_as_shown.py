"""audit events say whether before/after are stored as the export shows them (passed through as stored)

Events written before this revision keep their text and say false: the export renders those as before.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # A constant default: PostgreSQL adds the column without rewriting the table; no event is updated.
    op.add_column('audit_event', sa.Column('json_as_shown', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    # a plain ALTER TABLE on SQLite too (3.35+): a rebuilt table would lose the append-only triggers
    op.drop_column('audit_event', 'json_as_shown')
