"""Silences, maintenance windows and inhibition behind one Muter interface. Pure.

As in Alertmanager, each muter answers one question — is this label set muted now, and
by what? — so the pipeline can stack them and tests can exercise each alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sentinel.alerting.matchers import Matcher, matches_all

Labels = Mapping[str, str]


@dataclass(frozen=True)
class MuteReason:
    kind: str  # "silence", "maintenance" or "inhibition"
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


class Muter(Protocol):
    def mutes(self, labels: Labels, now: datetime) -> MuteReason | None: ...


@dataclass(frozen=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime

    def state(self, now: datetime) -> str:
        """Alertmanager's silence states: pending, active, expired."""
        if now < self.starts_at:
            return "pending"
        return "active" if now < self.ends_at else "expired"

    def mutes(self, labels: Labels, now: datetime) -> MuteReason | None:
        if self.state(now) == "active" and matches_all(self.matchers, labels):
            return MuteReason("silence", self.id)
        return None


@dataclass(frozen=True)
class MaintenanceWindow:
    """A recurring silence: on `weekdays` (0 = Monday) from `start` for `duration`, in
    `time_zone` (so a 02:00 window stays at 02:00 local across DST changes)."""

    id: str
    matchers: tuple[Matcher, ...]
    weekdays: frozenset[int]
    start: time
    duration: timedelta
    time_zone: str = "UTC"

    def active(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.time_zone))
        # A window may cross midnight, so look at today's and earlier days' openings.
        days_back = int(self.duration / timedelta(days=1)) + 1
        for back in range(days_back + 1):
            day = local.date() - timedelta(days=back)
            if day.weekday() not in self.weekdays:
                continue
            opened = datetime.combine(day, self.start, tzinfo=local.tzinfo)
            if opened <= local < opened + self.duration:
                return True
        return False

    def mutes(self, labels: Labels, now: datetime) -> MuteReason | None:
        if self.active(now) and matches_all(self.matchers, labels):
            return MuteReason("maintenance", self.id)
        return None


@dataclass(frozen=True)
class InhibitRule:
    id: str
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]


@dataclass(frozen=True)
class Inhibitor:
    """Mutes a target alert while a firing source alert shares its `equal` labels."""

    rules: Sequence[InhibitRule]
    firing: Sequence[Labels]  # label sets of the alerts firing now

    def mutes(self, labels: Labels, now: datetime) -> MuteReason | None:
        for rule in self.rules:
            if not matches_all(rule.target, labels):
                continue
            for source in self.firing:
                if source is labels or dict(source) == dict(labels):
                    continue  # an alert never inhibits itself
                if not matches_all(rule.source, source):
                    continue
                if all(source.get(n, "") == labels.get(n, "") for n in rule.equal):
                    return MuteReason("inhibition", rule.id)
        return None


@dataclass(frozen=True)
class MuteStage:
    """The muters in the order they are asked; the first that mutes wins."""

    muters: Sequence[Muter]

    def mutes(self, labels: Labels, now: datetime) -> MuteReason | None:
        for muter in self.muters:
            reason = muter.mutes(labels, now)
            if reason is not None:
                return reason
        return None
