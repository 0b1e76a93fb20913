"""indexes chosen from the benchmark's query plans at province size (bench/, README "Performance")

- case (due_kind, due_on): the reminder scan finds step limits, probation ends, reassignments and
  follow-up reviews due by their planned deadline instead of reading every open case;
- case (state, due_on) and case (updated_at): the case list filtered by state and sorted by due date,
  and the default list sorted by last change, read one page instead of sorting the table;
- step_record (trigger, case_id): "which cases have an appeal / a check on record";
- sanction (influence_ends_on): expiry evaluations and admonishment ends due (300,000 rows);
- cadre (post_since): training deadlines of the newly appointed.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_case_due_kind_due_on", "case", ["due_kind", "due_on"]),
    ("ix_case_state_due_on", "case", ["state", "due_on"]),
    ("ix_case_updated_at", "case", ["updated_at"]),
    ("ix_step_record_trigger_case_id", "step_record", ["trigger", "case_id"]),
    ("ix_sanction_influence_ends_on", "sanction", ["influence_ends_on"]),
    ("ix_cadre_post_since", "cadre", ["post_since"]),
]


def upgrade():
    for name, table, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
