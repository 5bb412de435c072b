"""tracing: spans, span resources, per-minute operation and edge rollups

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 03:58:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "span_edge_rollups",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("minute", sa.BigInteger(), nullable=False),
        sa.Column("caller", sa.String(length=255), nullable=False),
        sa.Column("callee", sa.String(length=255), nullable=False),
        sa.Column("traced", sa.Boolean(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("error_count", sa.BigInteger(), nullable=False),
        sa.Column("sketch", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_span_edge_rollups")),
    )
    op.create_index(
        "ix_span_edge_rollups_minute",
        "span_edge_rollups",
        ["minute", "caller", "callee"],
        unique=False,
    )
    op.create_table(
        "span_operation_rollups",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("minute", sa.BigInteger(), nullable=False),
        sa.Column("service", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("error_count", sa.BigInteger(), nullable=False),
        sa.Column("duration_sum_ns", sa.BigInteger(), nullable=False),
        sa.Column("sketch", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_span_operation_rollups")),
    )
    op.create_index(
        "ix_span_operation_rollups_minute",
        "span_operation_rollups",
        ["minute", "service", "name"],
        unique=False,
    )
    op.create_table(
        "span_resources",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("service", sa.String(length=255), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("scope_name", sa.String(length=255), nullable=False),
        sa.Column("scope_version", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_span_resources")),
    )
    op.create_table(
        "spans",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=False),
        sa.Column("span_id", sa.String(length=16), nullable=False),
        sa.Column("parent_span_id", sa.String(length=16), nullable=False),
        sa.Column("service", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("start_ns", sa.BigInteger(), nullable=False),
        sa.Column("duration_ns", sa.BigInteger(), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=False),
        sa.Column("http_method", sa.String(length=16), nullable=True),
        sa.Column("http_route", sa.String(length=255), nullable=True),
        sa.Column("http_status_code", sa.Integer(), nullable=True),
        sa.Column("db_system", sa.String(length=64), nullable=True),
        sa.Column("peer_service", sa.String(length=255), nullable=True),
        sa.Column("is_error", sa.Boolean(), nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spans")),
    )
    op.create_index(
        "ix_spans_service_name_start", "spans", ["service", "name", "start_ns"], unique=False
    )
    op.create_index("ix_spans_service_start", "spans", ["service", "start_ns"], unique=False)
    op.create_index("ix_spans_start", "spans", ["start_ns"], unique=False)
    op.create_index("uq_spans_trace_span", "spans", ["trace_id", "span_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_spans_trace_span", table_name="spans")
    op.drop_index("ix_spans_start", table_name="spans")
    op.drop_index("ix_spans_service_start", table_name="spans")
    op.drop_index("ix_spans_service_name_start", table_name="spans")
    op.drop_table("spans")
    op.drop_table("span_resources")
    op.drop_index("ix_span_operation_rollups_minute", table_name="span_operation_rollups")
    op.drop_table("span_operation_rollups")
    op.drop_index("ix_span_edge_rollups_minute", table_name="span_edge_rollups")
    op.drop_table("span_edge_rollups")
