"""Tables of the alerting domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sentinel.storage.base import Base, IdType, JsonType, UTCDateTime, utcnow


class Alert(Base):
    """One alert identity (a label set). Each fire → resolve cycle is an occurrence."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_status_severity", "status", "severity"),
        Index("ix_alerts_status_ends_at", "status", "ends_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(16), unique=True)
    labels: Mapped[dict[str, str]] = mapped_column(JsonType)
    annotations: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    alert_name: Mapped[str] = mapped_column(String(200), index=True)
    service: Mapped[str] = mapped_column(String(200), default="", index=True)
    alert_type: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))
    generator_url: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the alert resolves unless re-sent (Alertmanager's endsAt / resolve timeout).
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=1)  # receipts, current occurrence
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    current_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    muted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    group_id: Mapped[int | None] = mapped_column(IdType, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertOccurrence(Base):
    """One fire → (acknowledge) → resolve cycle of an alert: the unit of MTTA/MTTR."""

    __tablename__ = "alert_occurrences"
    __table_args__ = (Index("ix_alert_occurrences_started_at", "started_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)


class AlertEvent(Base):
    """Lifecycle events (fired, grouped, routed, acknowledged, silenced, unsilenced,
    resolved) per alert, and `notify` per group when its timers say a notification is due
    (alert_id is then empty), in id order: the notification and incident layers read this
    like a log."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), nullable=True, index=True
    )
    group_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class AlertGroup(Base):
    """Alerts grouped under one route and group key, with the group's timers as rows."""

    __tablename__ = "alert_groups"
    __table_args__ = (Index("ix_alert_groups_status_next_flush_at", "status", "next_flush_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    group_key: Mapped[str] = mapped_column(String(80), unique=True)
    route_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    receiver: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    escalation_policy_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    channels: Mapped[list[str]] = mapped_column(JsonType, default=list)
    labels: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / resolved
    reason: Mapped[str] = mapped_column(Text, default="")
    service: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    group_wait_s: Mapped[float] = mapped_column(Float)
    group_interval_s: Mapped[float] = mapped_column(Float)
    repeat_interval_s: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_flush_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_flush_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    changed: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertGroupMember(Base):
    """The groups an open alert is in: one row per route it took (its primary group,
    alerts.group_id, and each group reached through `continue`). Placing an alert adds its
    rows; resolving it removes them, and each of those groups counts it out."""

    __tablename__ = "alert_group_members"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("alert_groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # order of the route in the tree walk
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertRoute(Base):
    """A node of the routing tree; parent_id None hangs it under the default route."""

    __tablename__ = "alert_routes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_routes.id", ondelete="CASCADE"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    matchers: Mapped[list[str]] = mapped_column(JsonType, default=list)
    continue_matching: Mapped[bool] = mapped_column(Boolean, default=False)
    receiver: Mapped[str | None] = mapped_column(String(200), nullable=True)
    team_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    escalation_policy_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    channels: Mapped[list[str] | None] = mapped_column(JsonType, nullable=True)
    group_by: Mapped[list[str] | None] = mapped_column(JsonType, nullable=True)
    group_wait_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    group_interval_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    repeat_interval_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Silence(Base):
    """A silence; `uid` is the UUID Alertmanager clients (amtool) see as its id."""

    __tablename__ = "silences"
    __table_args__ = (Index("ix_silences_ends_at", "ends_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    matchers: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MaintenanceWindow(Base):
    """A recurring silence (weekdays, local start time, duration, time zone)."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    matchers: Mapped[list[str]] = mapped_column(JsonType)
    weekdays: Mapped[list[int]] = mapped_column(JsonType)
    start_time: Mapped[str] = mapped_column(String(5))  # HH:MM local
    duration_s: Mapped[float] = mapped_column(Float)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InhibitionRule(Base):
    __tablename__ = "inhibition_rules"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    source_matchers: Mapped[list[str]] = mapped_column(JsonType)
    target_matchers: Mapped[list[str]] = mapped_column(JsonType)
    equal: Mapped[list[str]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertRule(Base):
    """A custom rule the worker evaluates: source query, threshold, `for`, no-data policy."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    condition: Mapped[str] = mapped_column(String(10), default="threshold")
    comparator: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float] = mapped_column(Float)
    for_s: Mapped[float] = mapped_column(Float, default=0)
    no_data: Mapped[str] = mapped_column(String(10), default="ok")
    severity: Mapped[str] = mapped_column(String(10))
    labels: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    annotations: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(10), default="normal")
    state_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_eval_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Recent values, for anomaly rules (their robust z-score baseline).
    baseline: Mapped[list[float]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertRuleStateChange(Base):
    __tablename__ = "alert_rule_state_history"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_state: Mapped[str] = mapped_column(String(10))
    to_state: Mapped[str] = mapped_column(String(10))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
