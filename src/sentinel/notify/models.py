"""Tables of the notify domain: the outbox (one row per page per contact method, unique
by idempotency key) and every delivery attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sentinel.storage.base import Base, IdType, JsonType, UTCDateTime, utcnow


class OutboxMessage(Base):
    """A notification to send. `idempotency_key` is unique: a step that runs twice (two
    replicas, a retry after a crash) cannot queue the same page twice."""

    __tablename__ = "notify_outbox"
    __table_args__ = (Index("ix_notify_outbox_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    group_id: Mapped[int | None] = mapped_column(IdType, nullable=True, index=True)
    escalation_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    step_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    user_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    contact_method_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # pending → sending (leased) → sent | failed | cancelled
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    # Delayed rules (SMS after 5 min) are cancelled if the group is acknowledged first.
    cancel_on_ack: Mapped[bool] = mapped_column(Boolean, default=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationAttempt(Base):
    """One delivery attempt: the history at /api/notifications."""

    __tablename__ = "notify_attempts"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("notify_outbox.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    latency_ms: Mapped[float] = mapped_column(Float)
