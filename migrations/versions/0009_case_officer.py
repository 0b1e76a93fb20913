"""case officer: the responsible officer of a case (assigned, alone or in bulk)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('officer_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_officer_id'), ['officer_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_case_officer_id_app_user'), 'app_user', ['officer_id'], ['id'])


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_officer_id_app_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_case_officer_id'))
        batch_op.drop_column('officer_id')
