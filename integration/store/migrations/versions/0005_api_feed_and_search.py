"""the golden-record API: identity_event.txid for a complete change feed, search keys

identity_event.txid (PostgreSQL only: the id of the writing transaction, set by the
database) lets the feed hand out only events whose transaction has finished, so an id
that commits late is never skipped; golden_search_key holds the normalized names (and
their pinyin), phones, e-mails and companies the API searches by, with an index, and
search_index_state how far those keys follow the change feed.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # existing events all get the migration's own transaction id: one old batch
        op.add_column(
            "identity_event",
            sa.Column(
                "txid",
                sa.BigInteger(),
                nullable=True,
                server_default=sa.text("(pg_current_xact_id()::text::bigint)"),
            ),
        )
    else:
        with op.batch_alter_table("identity_event") as batch:
            batch.add_column(sa.Column("txid", sa.BigInteger(), nullable=True))
    op.create_index("ix_identity_event_txid", "identity_event", ["txid", "id"])
    op.create_table(
        "golden_search_key",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("golden_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_golden_search_key", "golden_search_key", ["kind", "key", "golden_id"])
    op.create_index("ix_golden_search_key_golden", "golden_search_key", ["golden_id"])
    op.create_table(
        "search_index_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.String(length=64), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("search_index_state")
    op.drop_index("ix_golden_search_key_golden", table_name="golden_search_key")
    op.drop_index("ix_golden_search_key", table_name="golden_search_key")
    op.drop_table("golden_search_key")
    op.drop_index("ix_identity_event_txid", table_name="identity_event")
    with op.batch_alter_table("identity_event") as batch:
        batch.drop_column("txid")
