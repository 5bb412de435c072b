"""logs: records, full-text index, patterns, per-minute pattern volume, derive cursor

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-28 03:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "log_records",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("time_ns", sa.BigInteger(), nullable=False),
        sa.Column("observed_ns", sa.BigInteger(), nullable=False),
        sa.Column("service", sa.String(length=255), nullable=False),
        sa.Column("severity_number", sa.SmallInteger(), nullable=False),
        sa.Column("severity_text", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=False),
        sa.Column("span_id", sa.String(length=16), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("resource", sa.Text(), nullable=False),
        sa.Column("pattern_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_records")),
    )
    op.create_index("ix_log_records_time", "log_records", ["time_ns"], unique=False)
    op.create_index(
        "ix_log_records_service_time", "log_records", ["service", "time_ns"], unique=False
    )
    op.create_index(
        "ix_log_records_trace",
        "log_records",
        ["trace_id"],
        unique=False,
        sqlite_where=sa.text("trace_id != ''"),
        postgresql_where=sa.text("trace_id <> ''"),
    )
    op.create_index(
        "ix_log_records_errors",
        "log_records",
        ["time_ns"],
        unique=False,
        sqlite_where=sa.text("severity_number >= 17"),
        postgresql_where=sa.text("severity_number >= 17"),
    )
    op.create_index(
        "ix_log_records_pattern_time", "log_records", ["pattern_id", "time_ns"], unique=False
    )
    op.create_table(
        "log_patterns",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("error_count", sa.BigInteger(), nullable=False),
        sa.Column("first_seen_ns", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_ns", sa.BigInteger(), nullable=False),
        sa.Column("example", sa.Text(), nullable=False),
        sa.Column("services", sa.Text(), nullable=False),
        sa.Column("max_severity", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_patterns")),
    )
    op.create_table(
        "log_pattern_minutes",
        sa.Column("minute", sa.BigInteger(), nullable=False),
        sa.Column("pattern_id", sa.BigInteger(), nullable=False),
        sa.Column("service", sa.String(length=255), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("error_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "minute", "pattern_id", "service", name=op.f("pk_log_pattern_minutes")
        ),
    )
    op.create_index(
        "ix_log_pattern_minutes_minute", "log_pattern_minutes", ["minute"], unique=False
    )
    op.create_table(
        "log_derive_cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_log_derive_cursor")),
    )
    # The full-text index (not a model: autogenerate leaves it alone).
    if op.get_bind().dialect.name == "sqlite":
        # External content: the text lives once, in log_records.body; the worker adds
        # rows to the index from its cursor on.
        op.execute(
            "CREATE VIRTUAL TABLE log_fts USING fts5("
            "body, content='log_records', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE INDEX ix_log_records_fts ON log_records USING gin (to_tsvector('simple', body))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS log_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_log_records_fts")
    op.drop_table("log_derive_cursor")
    op.drop_index("ix_log_pattern_minutes_minute", table_name="log_pattern_minutes")
    op.drop_table("log_pattern_minutes")
    op.drop_table("log_patterns")
    op.drop_index("ix_log_records_pattern_time", table_name="log_records")
    op.drop_index("ix_log_records_errors", table_name="log_records")
    op.drop_index("ix_log_records_trace", table_name="log_records")
    op.drop_index("ix_log_records_service_time", table_name="log_records")
    op.drop_index("ix_log_records_time", table_name="log_records")
    op.drop_table("log_records")
