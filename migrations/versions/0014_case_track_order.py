"""case list by track: counted from an index and read in the order of last change

Chosen from the query plan at province size: the case list filtered by track alone (``/cases?track=
adjustment``) counted its cases with a sequential scan of the case table (24,000 rows read to count
10,001; 7.6 ms), and sorted them by last change with no index to read in that order. With
``(track, updated_at, id)``: an index-only count (3.1 ms) and the page read in order.

Revision ID: 0014
Revises: 0013
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_track_updated_at_id', ['track', 'updated_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_track_updated_at_id')
