"""match_pair (right_id) and (status, score): the pairs of one row found from either side,
and the review queue read in score order

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_match_pair_right", "match_pair", ["right_id"])
    op.create_index("ix_match_pair_status", "match_pair", ["status", "score"])


def downgrade() -> None:
    op.drop_index("ix_match_pair_status", table_name="match_pair")
    op.drop_index("ix_match_pair_right", table_name="match_pair")
