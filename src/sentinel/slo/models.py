"""Tables of the SLO domain.

Events are kept as per-minute good/total buckets plus per-hour rollups of them, so a
30-day window is ~720 hour rows and at most ~240 edge minutes per SLO, not 43,200 minutes.
The hour rollup also counts bad minute slices for timeslices budgeting.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sentinel.storage.base import Base, IdType, JsonType, UTCDateTime, utcnow


class Slo(Base):
    __tablename__ = "slos"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    service: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[float] = mapped_column(Float)
    # {"kind": "rolling", "duration": "30d"} or {"kind": "calendar", "unit": "month", "tz": …}
    window: Mapped[dict[str, Any]] = mapped_column(JsonType)
    budgeting: Mapped[str] = mapped_column(String(16), default="occurrences")
    timeslice_target: Mapped[float | None] = mapped_column(Float, nullable=True)
    sli_source: Mapped[str] = mapped_column(String(20), default="measurements")
    sli_params: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # {"enabled", "min_events", "conditions": [...], "predict_horizon": "3d"}
    alerting: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    labels: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    # Span and PromQL sources: minutes before this one are fetched (epoch minutes).
    synced_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The last data-source error, kept until a fetch succeeds; never turned into numbers.
    source_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_snapshot_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SloMinute(Base):
    """Good/total events of one SLO in one minute (epoch minutes)."""

    __tablename__ = "slo_minutes"
    __table_args__ = ({"sqlite_with_rowid": False},)

    slo_id: Mapped[int] = mapped_column(ForeignKey("slos.id", ondelete="CASCADE"), primary_key=True)
    minute: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    good: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)


class SloHour(Base):
    """The sum of an SLO's minutes in one hour (`hour` = its first epoch minute)."""

    __tablename__ = "slo_hours"
    __table_args__ = ({"sqlite_with_rowid": False},)

    slo_id: Mapped[int] = mapped_column(ForeignKey("slos.id", ondelete="CASCADE"), primary_key=True)
    hour: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    good: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)
    bad_slices: Mapped[int] = mapped_column(Integer, default=0)
    slices: Mapped[int] = mapped_column(Integer, default=0)


class SloExclusion(Base):
    """A maintenance window left out of the SLI: one-time, or recurring daily/weekly."""

    __tablename__ = "slo_exclusions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    slo_id: Mapped[int] = mapped_column(ForeignKey("slos.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    every: Mapped[str | None] = mapped_column(String(8), nullable=True)  # "day" | "week"
    duration_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    days: Mapped[list[int]] = mapped_column(JsonType, default=list)
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SloSnapshot(Base):
    """What one evaluation found: the status history."""

    __tablename__ = "slo_snapshots"
    __table_args__ = (Index("ix_slo_snapshots_slo_at", "slo_id", "at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    slo_id: Mapped[int] = mapped_column(ForeignKey("slos.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    sli: Mapped[float | None] = mapped_column(Float, nullable=True)
    remaining_ratio: Mapped[float] = mapped_column(Float)
    good: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)
    burn_rates: Mapped[dict[str, float]] = mapped_column(JsonType, default=dict)
    firing: Mapped[list[str]] = mapped_column(JsonType, default=list)
    source_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class SloAlertState(Base):
    """One alert condition of one SLO (a burn-rate rule or the predicted breach)."""

    __tablename__ = "slo_alert_states"
    __table_args__ = ({"sqlite_with_rowid": False},)

    slo_id: Mapped[int] = mapped_column(ForeignKey("slos.id", ondelete="CASCADE"), primary_key=True)
    condition: Mapped[str] = mapped_column(String(40), primary_key=True)
    severity: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10))  # "firing" | "ok"
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    alert_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
