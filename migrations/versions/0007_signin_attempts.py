"""sign-in attempts (rate limiting and lockout)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signin_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.CheckConstraint("outcome IN ('success', 'failure', 'refused', 'lockout')", name=op.f('ck_signin_attempt_outcome_known')),
    sa.CheckConstraint("scope IN ('', 'username', 'address')", name=op.f('ck_signin_attempt_scope_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signin_attempt'))
    )
    with op.batch_alter_table('signin_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_signin_attempt_address', ['address', 'at'], unique=False)
        batch_op.create_index('ix_signin_attempt_at', ['at'], unique=False)
        batch_op.create_index('ix_signin_attempt_username', ['username', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('signin_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_signin_attempt_username')
        batch_op.drop_index('ix_signin_attempt_at')
        batch_op.drop_index('ix_signin_attempt_address')

    op.drop_table('signin_attempt')
