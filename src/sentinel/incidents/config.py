"""Incident settings (SENTINEL_INCIDENT_*), read where a job or the app factory needs them."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sentinel.incidents.hostguard import AllowList, parse_allow_list


class IncidentSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SENTINEL_INCIDENT_", env_file=".env", extra="ignore"
    )

    # How often the worker reads new alert events and opens or attaches incidents.
    tick_seconds: float = Field(2.0, gt=0)
    batch_events: int = Field(500, ge=1, le=10_000)
    # With no policy configured, alerts at least this severe open an incident;
    # "off" opens none until a policy exists.
    default_min_severity: str = Field("high", pattern="^(critical|high|medium|low|info|off)$")
    # Incidents opened by the built-in default policy (no policy rows) resolve themselves
    # once all their alerts have been resolved this many minutes; 0 = never (the default).
    default_auto_resolve_minutes: float = Field(0.0, ge=0, le=10_080)
    # A later alert of the same service joins an incident opened at most this long ago.
    attach_window_seconds: float = Field(1800.0, ge=0)
    # No longer used: the worker reads only up to the id below which every insert has
    # committed or rolled back (storage/commit_order.py), so it needs no guess from the
    # age of an id gap. Still accepted, so an existing configuration keeps starting.
    gap_settle_seconds: float = Field(10.0, ge=0)
    # Live streams write a comment line when nothing else was sent for this long, so
    # proxies with an idle timeout (often 30-60 s) keep them open.
    sse_heartbeat_seconds: float = Field(10.0, gt=0, le=15)
    # Runbook HTTP steps: the default and the longest allowed timeout.
    runbook_timeout_seconds: float = Field(10.0, gt=0, le=300)


class RunbookSettings(BaseSettings):
    """SENTINEL_RUNBOOK_*: where runbook HTTP steps may go (see hostguard.py)."""

    model_config = SettingsConfigDict(
        env_prefix="SENTINEL_RUNBOOK_", env_file=".env", extra="ignore"
    )

    # Comma separated: `*.internal`, `10.0.0.0/8`, `localhost:8080`, `[::1]:8080`, `*`.
    # Empty: every host. Link-local and metadata addresses are denied either way.
    allowed_hosts: str = ""

    @field_validator("allowed_hosts")
    @classmethod
    def _patterns(cls, value: str) -> str:
        parse_allow_list(value)  # a bad pattern stops the server at start, with its name
        return value

    def allow_list(self) -> AllowList:
        return AllowList(parse_allow_list(self.allowed_hosts))
