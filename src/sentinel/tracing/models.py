"""Span storage: promoted hot columns, compact JSON for the rest, per-minute rollups.

Ids are lowercase hex strings (32/16 characters), times are integer nanoseconds since the
epoch. Attributes, events and links stay in the span's OTLP protobuf encoding (`payload`):
ingest does no per-attribute work, and attribute filters match the exact bytes of an
attribute's KeyValue encoding (instr on SQLite, position on PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sentinel.storage.base import Base


class SpanResource(Base):
    """A resource + instrumentation scope, stored once and shared by every span it sent.

    The id is a 63-bit hash of the content, so ingest can name it without a round trip.
    `last_seen_ns` is the newest span start stored with it, give or take the writer's
    LAST_SEEN_STEP_NS, so retention can delete resources whose spans have all expired
    without looking for spans that use them.
    """

    __tablename__ = "span_resources"
    # Retention deletes by it.
    __table_args__ = (Index("ix_span_resources_last_seen", "last_seen_ns"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    service: Mapped[str] = mapped_column(String(255))
    attributes: Mapped[str] = mapped_column(Text)  # JSON object of resource attributes
    scope_name: Mapped[str] = mapped_column(String(255), default="")
    scope_version: Mapped[str] = mapped_column(String(100), default="")
    last_seen_ns: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Span(Base):
    __tablename__ = "spans"
    __table_args__ = (
        # Trace view and de-duplication of re-sent spans.
        Index("uq_spans_trace_span", "trace_id", "span_id", unique=True),
        # Search by service (and operation) over a time range; retention by time.
        Index("ix_spans_service_start", "service", "start_ns"),
        Index("ix_spans_service_name_start", "service", "name", "start_ns"),
        Index("ix_spans_start", "start_ns"),
    )

    # A surrogate key keeps rows in arrival order (cheap appends on both databases).
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    trace_id: Mapped[str] = mapped_column(String(32))
    span_id: Mapped[str] = mapped_column(String(16))
    parent_span_id: Mapped[str] = mapped_column(String(16), default="")  # "" for a root
    service: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[int] = mapped_column(SmallInteger, default=0)  # OTLP SpanKind number
    start_ns: Mapped[int] = mapped_column(BigInteger)
    duration_ns: Mapped[int] = mapped_column(BigInteger)
    status_code: Mapped[int] = mapped_column(SmallInteger, default=0)  # 0 unset, 1 ok, 2 error
    status_message: Mapped[str] = mapped_column(Text, default="")
    http_method: Mapped[str | None] = mapped_column(String(16), nullable=True)
    http_route: Mapped[str | None] = mapped_column(String(255), nullable=True)
    http_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    db_system: Mapped[str | None] = mapped_column(String(64), nullable=True)
    peer_service: Mapped[str | None] = mapped_column(String(255), nullable=True)
    is_error: Mapped[bool] = mapped_column(Boolean, default=False)
    resource_id: Mapped[int] = mapped_column(BigInteger)
    # The span's OTLP protobuf encoding: attributes, events and links (see payload.py).
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class OperationRollup(Base):
    """Per-minute partial aggregate of one service+operation, written by one ingest batch.

    Several rows may exist per key and minute (one per batch); reads merge them and the
    compaction job folds closed minutes into one row, so ingest never read-modify-writes.
    """

    __tablename__ = "span_operation_rollups"
    __table_args__ = (Index("ix_span_operation_rollups_minute", "minute", "service", "name"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    minute: Mapped[int] = mapped_column(BigInteger)  # epoch minutes
    service: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    count: Mapped[int] = mapped_column(BigInteger)
    error_count: Mapped[int] = mapped_column(BigInteger)
    duration_sum_ns: Mapped[int] = mapped_column(BigInteger)
    sketch: Mapped[bytes] = mapped_column(LargeBinary)  # DDSketch protobuf, nanoseconds


class EdgeRollup(Base):
    """Per-minute partial aggregate of calls from one service to another.

    `traced` edges pair a parent span with a child span in another service; untraced
    edges come from client spans that name their callee (peer.service / server.address).
    """

    __tablename__ = "span_edge_rollups"
    __table_args__ = (Index("ix_span_edge_rollups_minute", "minute", "caller", "callee"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    minute: Mapped[int] = mapped_column(BigInteger)
    caller: Mapped[str] = mapped_column(String(255))
    callee: Mapped[str] = mapped_column(String(255))
    traced: Mapped[bool] = mapped_column(Boolean)
    count: Mapped[int] = mapped_column(BigInteger)
    error_count: Mapped[int] = mapped_column(BigInteger)
    sketch: Mapped[bytes] = mapped_column(LargeBinary)


class SpanBlock(Base):
    """One ingest batch's spans, compressed (tracing/blocks.py): the block store of
    docs/storage-shape.md, written beside `spans` when SENTINEL_TRACES_BLOCKS is on."""

    __tablename__ = "span_blocks"
    # Retention deletes blocks whose newest span has expired.
    __table_args__ = (Index("ix_span_blocks_last_start", "last_start_ns"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    first_start_ns: Mapped[int] = mapped_column(BigInteger)
    last_start_ns: Mapped[int] = mapped_column(BigInteger)
    span_count: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class SpanIndexRow(Base):
    """A span's narrow, all-integer index row: where it is (block, position) and what a
    search filters on. Keys and flags are described in tracing/blocks.py."""

    __tablename__ = "span_index"
    __table_args__ = (
        Index("ix_span_index_trace", "trace_key"),
        Index("ix_span_index_operation", "service_id", "name_id", "start_ns"),
        Index("ix_span_index_start", "start_ns"),
    )

    # SQLite: the rowid itself, no extra index; rows are appended in block order.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    block_id: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer)
    trace_key: Mapped[int] = mapped_column(BigInteger)
    span_key: Mapped[int] = mapped_column(BigInteger)
    parent_key: Mapped[int] = mapped_column(BigInteger)  # 0 for a root span
    service_id: Mapped[int] = mapped_column(Integer)
    name_id: Mapped[int] = mapped_column(Integer)
    start_ns: Mapped[int] = mapped_column(BigInteger)
    duration_ns: Mapped[int] = mapped_column(BigInteger)
    flags: Mapped[int] = mapped_column(Integer)


class SpanName(Base):
    """The dictionary of service and operation names that index rows refer to by id."""

    __tablename__ = "span_names"
    __table_args__ = (Index("uq_span_names_name", "name", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
