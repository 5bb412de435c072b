"""logs: a trace's lines through log_trace_refs instead of an index on trace_id

Revision ID: 0016_logs_trace_refs
Revises: 0015_tracing_span_blocks

Log trace ids are random, so the partial index ix_log_records_trace put every traced line
at a random place in a B-tree on the ingest path: most of a log insert's cost
(docs/storage-shape.md). The derive worker now writes, per batch and trace id in it, the
smallest and largest id of that trace's lines (sentinel/logs/trace_refs.py). This
revision creates that table, fills it for the lines already behind the derive cursor (one
range per trace per 5,000 ids, the worker's batch size), then drops the index. Downgrade
recreates the index and drops the table.

On PostgreSQL the index stays and reads use it (trace_refs.py says why); the table is
created there too, empty, so both databases have one schema to migrate from.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_logs_trace_refs"
down_revision = "0015_tracing_span_blocks"
branch_labels = None
depends_on = None

CHUNK_IDS = 5_000  # sentinel.logs.derive.BATCH_ROWS when this was written


def upgrade() -> None:
    op.create_table(
        "log_trace_refs",
        sa.Column("trace_id", sa.String(length=32), nullable=False),
        sa.Column("first_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("trace_id", "first_id", name=op.f("pk_log_trace_refs")),
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    # Every line with a trace id at or below the cursor must lie in one of its trace's
    # ranges; the lines after it are scanned by the reads until the worker gets there.
    op.execute(
        sa.text(
            "INSERT INTO log_trace_refs (trace_id, first_id, last_id) "
            "SELECT trace_id, min(id), max(id) FROM log_records "
            "WHERE trace_id <> '' AND id <= "
            "(SELECT coalesce(max(last_id), 0) FROM log_derive_cursor) "
            "GROUP BY trace_id, id / :chunk"
        ).bindparams(chunk=CHUNK_IDS)
    )
    op.drop_index("ix_log_records_trace", table_name="log_records")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_table("log_trace_refs")
        return
    op.create_index(
        "ix_log_records_trace",
        "log_records",
        ["trace_id"],
        unique=False,
        sqlite_where=sa.text("trace_id != ''"),
        postgresql_where=sa.text("trace_id <> ''"),
    )
    op.drop_table("log_trace_refs")
