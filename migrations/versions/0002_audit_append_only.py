"""audit events append-only: triggers refuse UPDATE, DELETE and TRUNCATE

Revision ID: 0002
Revises: 0001
"""
from alembic import op

from workflow import audit_guard

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    audit_guard.install(op.get_bind())


def downgrade():
    audit_guard.remove(op.get_bind())
