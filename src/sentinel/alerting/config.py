"""Alerting settings (SENTINEL_ALERT_*), read where the app factory or a job needs them."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AlertingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SENTINEL_ALERT_", env_file=".env", extra="ignore")

    # Alertmanager's resolve_timeout: an alert sent without endsAt resolves this long after
    # its last re-send.
    resolve_timeout_seconds: float = Field(300.0, gt=0)
    # How often the worker resolves expired alerts, lifts ended silences and evaluates rules.
    tick_seconds: float = Field(5.0, gt=0)
    # Smart grouping: join a related open group (same service, dependency neighbour,
    # similar title) started within this window; 0 turns it off.
    smart_group_window_seconds: float = Field(300.0, ge=0)
    smart_group_title_similarity: float = Field(0.8, ge=0, le=1)
    max_batch: int = Field(10_000, ge=1)
    # Retention: lifecycle events and resolved occurrences older than this are deleted
    # (never anything of an open alert, never an event a consumer has not read yet).
    event_retention_days: float = Field(90.0, gt=0)
    retention_batch: int = Field(5_000, ge=1, le=20_000)
    retention_interval_seconds: float = Field(3600.0, gt=0)
