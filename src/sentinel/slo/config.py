"""SLO settings (SENTINEL_SLO_*), read where the app factory or a job needs them."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SloSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SENTINEL_SLO_", env_file=".env", extra="ignore")

    # How often the worker evaluates every SLO (status, burn rates, alerts).
    evaluation_seconds: float = Field(60.0, gt=0)
    # Status snapshots (history, trend) are kept at most this often per SLO...
    snapshot_minutes: int = Field(10, ge=1)
    # ...and for this many days.
    snapshot_retention_days: int = Field(90, ge=1)
    # Minute buckets must outlive the longest window (90d rolling, a quarter); hour
    # rollups serve reports over longer periods.
    minute_retention_days: int = Field(100, ge=93)
    hour_retention_days: int = Field(400, ge=100)
    # Span and PromQL sources are re-read this far back each cycle, for late data.
    source_lag_minutes: int = Field(5, ge=0)
    # How far back a new span or PromQL SLO is back-filled (at most its window).
    source_backfill_days: float = Field(7.0, gt=0)
    promql_timeout_seconds: float = Field(10.0, gt=0)
