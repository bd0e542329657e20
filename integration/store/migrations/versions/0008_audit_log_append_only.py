"""audit_log append-only in the database: triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL), so an entry cannot be changed or removed by any client of the hub database, not
only by the application's code

No part of the hub purges or edits audit entries. Retention (removing entries older than a
legal period) is therefore a deliberate act of the database owner, outside the application:
on PostgreSQL ``ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`` (as the table's
owner) around the DELETE, on SQLite dropping and re-creating the triggers of this revision.

A later migration that rebuilds ``audit_log`` on SQLite (``batch_alter_table`` copies the
table) drops these triggers with the old table and must create them again.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: the refusal's text; tests and operators look for it
REFUSAL = "audit_log is append-only"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{REFUSAL}: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()"
        )
        # row triggers do not fire on TRUNCATE: a statement trigger covers it
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()"
        )
        return
    # SQLite (the other supported backend): RAISE(ABORT) rolls back the statement
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}: {verb} refused'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
