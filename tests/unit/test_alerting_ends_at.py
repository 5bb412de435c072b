"""Alertmanager's endsAt for Sentinel's alerts (ingest.alertmanager.views.ends_at). Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sentinel.alerting.models import Alert
from sentinel.ingest.alertmanager.views import ends_at

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TIMEOUT = timedelta(minutes=5)


def alert(status: str, **fields: object) -> Alert:
    values: dict[str, object] = {"last_seen_at": NOW - timedelta(hours=1), "ends_at": None}
    return Alert(status=status, **{**values, **fields})


def test_an_open_alert_without_an_end_runs_on_the_resolve_timeout_from_now() -> None:
    for status in ("firing", "acknowledged", "silenced"):
        assert ends_at(alert(status), NOW, TIMEOUT) == NOW + TIMEOUT
    # A clock a little behind the last receipt never puts the end before it.
    fresh = alert("firing", last_seen_at=NOW + timedelta(seconds=2))
    assert ends_at(fresh, NOW, TIMEOUT) == NOW + timedelta(seconds=2) + TIMEOUT


def test_a_senders_end_is_reported_as_sent() -> None:
    sent = NOW + timedelta(minutes=3)
    assert ends_at(alert("firing", ends_at=sent), NOW, TIMEOUT) == sent


def test_a_resolved_alert_ends_when_it_resolved() -> None:
    resolved = NOW - timedelta(minutes=20)
    done = alert("resolved", resolved_at=resolved, ends_at=resolved)
    assert ends_at(done, NOW, TIMEOUT) == resolved
