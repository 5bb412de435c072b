"""Tables of the incidents domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sentinel.storage.base import Base, IdType, JsonType, UTCDateTime, utcnow


class Incident(Base):
    """One incident. The first time each milestone status is reached is kept as a column
    (MTTA/MTTR read them); every change, with its author, is on the timeline."""

    __tablename__ = "incidents"
    # Links sent out (notifications, post-mortems) name an incident by id: without
    # AUTOINCREMENT SQLite would give the next incident a deleted newest one's id
    # (migration 0014).
    __table_args__ = (
        Index("ix_incidents_status_started_at", "status", "started_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(10))
    priority: Mapped[str | None] = mapped_column(String(8), nullable=True)
    affected_services: Mapped[list[str]] = mapped_column(JsonType, default=list)
    commander: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The owning team (from the alert's route, or set by hand): lists filter on it.
    team_id: Mapped[int | None] = mapped_column(IdType, nullable=True, index=True)
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual | alert
    creation_reason: Mapped[str] = mapped_column(Text, default="")
    chat_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The policy that opened it (auto-resolve reads the policy's setting); None by hand.
    policy_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    # Set when this incident was merged into another (it is then closed).
    merged_into_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    root_cause: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    identified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentParticipant(Base):
    __tablename__ = "incident_participants"
    __table_args__ = (UniqueConstraint("incident_id", "name", "role"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # commander | communications | scribe | responder
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentAlert(Base):
    """An alert linked to an incident; group and service are copied for the attach rule."""

    __tablename__ = "incident_alerts"
    # The incident worker follows this table by id (notifications.LINKS_CURSOR). Deleting
    # an incident or merging one deletes links; without AUTOINCREMENT SQLite would give
    # the next link a deleted newest link's id, below the cursor (migration 0013).
    __table_args__ = (UniqueConstraint("incident_id", "alert_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    alert_id: Mapped[int] = mapped_column(IdType, index=True)
    group_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    service: Mapped[str] = mapped_column(String(200), default="")
    linked_by: Mapped[str] = mapped_column(String(200))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TimelineEntry(Base):
    """One thing that happened to an incident, in id order (ties on `at` keep order).

    `dedup_key` names the outside fact an entry records (e.g. `notify:42`, a delivery
    attempt), so that a fact reached twice is written once per incident."""

    __tablename__ = "incident_timeline"
    __table_args__ = (
        Index("ix_incident_timeline_incident_id_id", "incident_id", "id"),
        Index(
            "uq_incident_timeline_incident_id_dedup_key", "incident_id", "dedup_key", unique=True
        ),
        # SSE clients resume after Last-Event-ID (an entry id): ids are never handed out
        # again after an incident (or a merged duplicate entry) is deleted.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(24))
    author: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    dedup_key: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ActionItem(Base):
    __tablename__ = "incident_action_items"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | in_progress | done
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentPolicy(Base):
    """A rule for opening incidents from alerts (see policy.py)."""

    __tablename__ = "incident_policies"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    min_severity: Mapped[str | None] = mapped_column(String(10), nullable=True)
    group_threshold: Mapped[int | None] = mapped_column(Integer, nullable=True)
    group_window_s: Mapped[float] = mapped_column(Float, default=300.0)
    route_ids: Mapped[list[int]] = mapped_column(JsonType, default=list)
    matchers: Mapped[list[str]] = mapped_column(JsonType, default=list)
    # Resolve an incident it opened once all linked alerts have been resolved this long.
    auto_resolve_minutes: Mapped[float | None] = mapped_column(Float, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentCursor(Base):
    """How far the incident worker has read alert_events (its own cursor)."""

    __tablename__ = "incident_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Runbook(Base):
    """A Markdown runbook attached to services and alert names, with automated HTTP
    steps. Secret header values are stored encrypted and never returned."""

    __tablename__ = "runbooks"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    markdown: Mapped[str] = mapped_column(Text, default="")
    services: Mapped[list[str]] = mapped_column(JsonType, default=list)
    alert_names: Mapped[list[str]] = mapped_column(JsonType, default=list)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RunbookRun(Base):
    """One run of one automated step on one incident."""

    __tablename__ = "runbook_runs"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    runbook_id: Mapped[int] = mapped_column(ForeignKey("runbooks.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_excerpt: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
