"""golden_member (source, source_key): the API's lookup of a source id without its stream

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_golden_member_source_key", "golden_member", ["source", "source_key"])


def downgrade() -> None:
    op.drop_index("ix_golden_member_source_key", table_name="golden_member")
