"""Log storage: raw records (hot columns + JSON text), mined patterns, per-minute volume,
where each trace's lines are, and the cursor of the derived work (full-text index, pattern
mining, trace refs).

The full-text index is not a model: on SQLite it is an FTS5 external-content table
`log_fts` over log_records.body, filled by the worker from the cursor on; on PostgreSQL
it is a GIN index on to_tsvector('simple', body), kept by the database itself. Both
live in migration 0004.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sentinel.storage.base import Base

FTS_TABLE = "log_fts"  # SQLite only; see the module docstring
PG_FTS_INDEX = "ix_log_records_fts"  # PostgreSQL only
# The migration test skips the FTS5 table, its shadow tables (log_fts_data, ...) and the
# PostgreSQL expression index, which the models cannot describe.
# On PostgreSQL, log_records keeps its partial index on trace_id (migration 0016 drops it
# on SQLite only; see trace_refs.py).
PG_TRACE_INDEX = "ix_log_records_trace"
Base.metadata.info.setdefault("unmanaged_table_prefixes", []).extend(
    (FTS_TABLE, PG_FTS_INDEX, PG_TRACE_INDEX)
)


class LogRecord(Base):
    __tablename__ = "log_records"
    __table_args__ = (
        Index("ix_log_records_time", "time_ns"),
        Index("ix_log_records_service_time", "service", "time_ns"),
        # No index on trace_id on SQLite: random keys made it most of the insert cost. A
        # trace's lines are found through log_trace_refs there (trace_refs.py).
        # The error views read only ERROR and FATAL lines.
        Index(
            "ix_log_records_errors",
            "time_ns",
            sqlite_where=text("severity_number >= 17"),
            postgresql_where=text("severity_number >= 17"),
        ),
        Index("ix_log_records_pattern_time", "pattern_id", "time_ns"),
    )

    # Arrival order: the derived work follows it with a cursor.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    time_ns: Mapped[int] = mapped_column(BigInteger)
    observed_ns: Mapped[int] = mapped_column(BigInteger)
    service: Mapped[str] = mapped_column(String(255))
    severity_number: Mapped[int] = mapped_column(SmallInteger)
    severity_text: Mapped[str] = mapped_column(String(16))  # canonical: INFO, WARN, ...
    body: Mapped[str] = mapped_column(Text)
    trace_id: Mapped[str] = mapped_column(String(32), default="")
    span_id: Mapped[str] = mapped_column(String(16), default="")
    attributes: Mapped[str] = mapped_column(Text, default="{}")  # JSON object
    resource: Mapped[str] = mapped_column(Text, default="{}")  # JSON object
    pattern_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class LogPattern(Base):
    """A Drain template. Ids are chosen by the miner (they are the cluster ids)."""

    __tablename__ = "log_patterns"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    template: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    error_count: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen_ns: Mapped[int] = mapped_column(BigInteger)
    last_seen_ns: Mapped[int] = mapped_column(BigInteger)
    example: Mapped[str] = mapped_column(Text)
    services: Mapped[str] = mapped_column(Text, default="[]")  # JSON list, at most 50
    max_severity: Mapped[int] = mapped_column(SmallInteger, default=0)


class LogPatternMinute(Base):
    """Lines per minute per pattern and service (and how many were errors): the volume
    series of a pattern, the per-service error rate, the anomaly baselines."""

    __tablename__ = "log_pattern_minutes"
    __table_args__ = (Index("ix_log_pattern_minutes_minute", "minute"),)

    minute: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch minutes
    pattern_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    service: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    error_count: Mapped[int] = mapped_column(BigInteger, default=0)


class LogTraceRef(Base):
    """Where a trace's lines are: per derive batch and trace id in it, the smallest and
    largest id of that trace's lines in the batch (other traces' lines may lie between).
    Written by the derive worker behind its cursor, so it covers the ids up to the cursor;
    reads scan the lines after it (trace_refs.py)."""

    __tablename__ = "log_trace_refs"
    # One B-tree, no other index: retention prunes by slices of the key (trace_refs.py).
    __table_args__ = ({"sqlite_with_rowid": False},)

    trace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger)


DERIVE_CURSOR = "derive"  # the name of the derive worker's cursor row


class LogDeriveCursor(Base):
    """How far the derived work has got: every record with id <= last_id is indexed and
    mined. `version` changes with every batch, so a replica whose in-memory miner is
    stale reloads the templates first."""

    __tablename__ = "log_derive_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_ns: Mapped[int] = mapped_column(BigInteger, default=0)
