"""tracing: span_blocks, span_index and span_names, the block store (experimental)

Revision ID: 0015_tracing_span_blocks
Revises: 0014_incident_ids_never_reused

Slice 1 of docs/storage-shape.md: with SENTINEL_TRACES_BLOCKS on, ingest writes each
batch's spans as one compressed block, one narrow all-integer index row per span, and
the service and operation names those rows refer to, beside `spans`. Empty tables when
the setting is off. On PostgreSQL the block body is already compressed: it is stored
out of line without another compression attempt (STORAGE EXTERNAL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_tracing_span_blocks"
down_revision = "0014_incident_ids_never_reused"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "span_blocks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("first_start_ns", sa.BigInteger(), nullable=False),
        sa.Column("last_start_ns", sa.BigInteger(), nullable=False),
        sa.Column("span_count", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_span_blocks")),
    )
    op.create_index("ix_span_blocks_last_start", "span_blocks", ["last_start_ns"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE span_blocks ALTER COLUMN body SET STORAGE EXTERNAL")
    op.create_table(
        "span_index",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("block_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("trace_key", sa.BigInteger(), nullable=False),
        sa.Column("span_key", sa.BigInteger(), nullable=False),
        sa.Column("parent_key", sa.BigInteger(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("name_id", sa.Integer(), nullable=False),
        sa.Column("start_ns", sa.BigInteger(), nullable=False),
        sa.Column("duration_ns", sa.BigInteger(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_span_index")),
    )
    op.create_index("ix_span_index_trace", "span_index", ["trace_key"])
    op.create_index("ix_span_index_operation", "span_index", ["service_id", "name_id", "start_ns"])
    op.create_index("ix_span_index_start", "span_index", ["start_ns"])
    op.create_table(
        "span_names",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_span_names")),
    )
    op.create_index("uq_span_names_name", "span_names", ["name"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_span_names_name", table_name="span_names")
    op.drop_table("span_names")
    op.drop_index("ix_span_index_start", table_name="span_index")
    op.drop_index("ix_span_index_operation", table_name="span_index")
    op.drop_index("ix_span_index_trace", table_name="span_index")
    op.drop_table("span_index")
    op.drop_index("ix_span_blocks_last_start", table_name="span_blocks")
    op.drop_table("span_blocks")
