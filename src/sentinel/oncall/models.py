"""Tables of the on-call domain: people's contact methods and notification rules,
schedules with layers and overrides, escalation policies, and the running escalations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sentinel.storage.base import Base, IdType, JsonType, UTCDateTime, utcnow


class ContactMethod(Base):
    """Where a user can be reached: email, sms, voice, slack, webhook, pagerduty, catchall."""

    __tablename__ = "oncall_contact_methods"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationRule(Base):
    """Page this contact method `delay_minutes` after the user is paged (0 = at once)."""

    __tablename__ = "oncall_notification_rules"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    contact_method_id: Mapped[int] = mapped_column(
        ForeignKey("oncall_contact_methods.id", ondelete="CASCADE"), index=True
    )
    delay_minutes: Mapped[float] = mapped_column(Float, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Schedule(Base):
    __tablename__ = "oncall_schedules"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    team_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    # Layers as data: [{name, priority, participants, start (local ISO), shift_length_s,
    # restrictions: [{weekdays, start, end}]}]; evaluated by oncall.schedule.
    layers: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScheduleOverride(Base):
    """user_id takes the schedule for [starts_at, ends_at); with replaces_user_id set it is
    a swap: only that person's layer shifts in the window change hands."""

    __tablename__ = "oncall_schedule_overrides"
    __table_args__ = (Index("ix_oncall_schedule_overrides_window", "schedule_id", "ends_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("oncall_schedules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    replaces_user_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EscalationPolicy(Base):
    __tablename__ = "oncall_escalation_policies"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Escalation(Base):
    """One alert group's escalation: the chain frozen when it started, and its timer
    (`next_step_at` for `step_index`), picked by workers with FOR UPDATE SKIP LOCKED."""

    __tablename__ = "oncall_escalations"
    __table_args__ = (Index("ix_oncall_escalations_status_next", "status", "next_step_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    group_id: Mapped[int] = mapped_column(IdType, unique=True)
    policy_id: Mapped[int] = mapped_column(IdType)
    chain: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(String(16), default="active")
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    steps_run: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    stopped_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    stop_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)


class EventCursor(Base):
    """How far a consumer has read alert_events (restart-safe, one row per consumer)."""

    __tablename__ = "oncall_event_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(IdType, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
