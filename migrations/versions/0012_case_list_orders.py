"""case list orders: each sort of the case list read from an index in its full order (key, then id)

Chosen from the query plans at province size (bench/explain.py, README "Performance"): a page sorted
by last change or due date, with or without a state filter, had to sort every case sharing the
sort key (thousands share a due date) because the id that breaks ties was not in the index; a state
filter sorted by reference read the reference index past tens of thousands of other cases.

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

DROPPED = [("ix_case_updated_at", ["updated_at"]), ("ix_case_state_due_on", ["state", "due_on"])]
CREATED = [
    ("ix_case_updated_at_id", ["updated_at", "id"]),
    ("ix_case_due_on_id", ["due_on", "id"]),
    ("ix_case_state_updated_at_id", ["state", "updated_at", "id"]),
    ("ix_case_state_due_on_id", ["state", "due_on", "id"]),
    ("ix_case_state_reference", ["state", "reference"]),
]


def upgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        for name, _columns in DROPPED:
            batch_op.drop_index(name)
        for name, columns in CREATED:
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        for name, _columns in reversed(CREATED):
            batch_op.drop_index(name)
        for name, columns in DROPPED:
            batch_op.create_index(name, columns, unique=False)
