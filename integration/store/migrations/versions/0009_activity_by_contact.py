"""activity (phone) and (email): the incremental golden build looks up the activities that
carry a contact of a candidate record (``integration/golden/build.py``
``_activities_touching``); without them each lookup scans the whole activity table

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


# plain CREATE / DROP INDEX, no batch mode: on SQLite a batch operation copies the table,
# and the append-only triggers of 0008 (on audit_log) must not be touched by anything here
def upgrade() -> None:
    op.create_index("ix_activity_phone", "activity", ["phone"])
    op.create_index("ix_activity_email", "activity", ["email"])


def downgrade() -> None:
    op.drop_index("ix_activity_email", table_name="activity")
    op.drop_index("ix_activity_phone", table_name="activity")
