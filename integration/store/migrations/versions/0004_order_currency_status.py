"""activity.currency and activity.status: an order's currency and its state, landed with it

Revenue is kept per currency, and cancelled / refunded orders do not count towards the
golden record's 360° facts.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activity") as batch:
        batch.add_column(sa.Column("currency", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activity") as batch:
        batch.drop_column("status")
        batch.drop_column("currency")
