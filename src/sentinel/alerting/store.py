"""Queries of the alerting domain. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from time import monotonic
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, delete, event, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import muting
from sentinel.alerting.matchers import Matcher, parse_matchers
from sentinel.alerting.models import (
    Alert,
    AlertGroup,
    AlertGroupMember,
    AlertRoute,
    InhibitionRule,
    MaintenanceWindow,
    Silence,
)
from sentinel.alerting.pipeline import Known, match_labels
from sentinel.alerting.routing import Route, RouteSpec, build_tree
from sentinel.alerting.severity import OPEN_STATUSES

_CHUNK = 500  # keeps IN lists under SQLite's parameter limit


async def known_alerts(session: AsyncSession, fingerprints: Sequence[str]) -> dict[str, Known]:
    out: dict[str, Known] = {}
    for start in range(0, len(fingerprints), _CHUNK):
        chunk = fingerprints[start : start + _CHUNK]
        rows = await session.execute(
            select(
                Alert.fingerprint,
                Alert.id,
                Alert.status,
                Alert.count,
                Alert.group_id,
                Alert.muted_by,
            ).where(Alert.fingerprint.in_(chunk))
        )
        for fp, id_, status, count, group_id, muted_by in rows:
            out[fp] = Known(id_, status, count, group_id, muted_by)
    return out


async def memberships(session: AsyncSession, alert_ids: Sequence[int]) -> dict[int, list[int]]:
    """The groups each alert is in now, in route order (its primary group first)."""
    out: dict[int, list[int]] = {i: [] for i in alert_ids}
    for start in range(0, len(alert_ids), _CHUNK):
        chunk = alert_ids[start : start + _CHUNK]
        rows = await session.execute(
            select(AlertGroupMember.alert_id, AlertGroupMember.group_id)
            .where(AlertGroupMember.alert_id.in_(chunk))
            .order_by(AlertGroupMember.alert_id, AlertGroupMember.position)
        )
        for alert_id, group_id in rows:
            out[alert_id].append(group_id)
    return out


MAX_OPEN_ALERTS = 10_000


@dataclass(frozen=True)
class OpenAlerts:
    """The open alerts (oldest first, at most MAX_OPEN_ALERTS), the groups each is in
    (route order, primary first) and those groups by id."""

    alerts: list[Alert]
    memberships: dict[int, list[int]]
    groups: dict[int, AlertGroup]


async def open_alerts(session: AsyncSession) -> OpenAlerts:
    stmt = select(Alert).where(Alert.status.in_(OPEN_STATUSES)).order_by(Alert.id)
    alerts = list((await session.scalars(stmt.limit(MAX_OPEN_ALERTS))).all())
    member = await memberships(session, [a.id for a in alerts])
    ids = sorted({g for group_ids in member.values() for g in group_ids})
    groups: dict[int, AlertGroup] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = await session.scalars(
            select(AlertGroup).where(AlertGroup.id.in_(ids[start : start + _CHUNK]))
        )
        groups.update((g.id, g) for g in rows.all())
    return OpenAlerts(alerts, member, groups)


async def leave_groups(session: AsyncSession, alert_ids: Sequence[int]) -> None:
    """Forget the memberships of alerts that resolved (their groups counted them out)."""
    for start in range(0, len(alert_ids), _CHUNK):
        chunk = alert_ids[start : start + _CHUNK]
        await session.execute(delete(AlertGroupMember).where(AlertGroupMember.alert_id.in_(chunk)))


def silence_matchers(raw: list[dict[str, Any]]) -> tuple[Matcher, ...]:
    """Stored silences keep Alertmanager's matcher shape (name, value, isRegex, isEqual)."""
    out = []
    for m in raw:
        regex, equal = bool(m.get("isRegex")), m.get("isEqual", True) is not False
        op = ("=~" if equal else "!~") if regex else ("=" if equal else "!=")
        out.append(Matcher.create(str(m["name"]), op, str(m["value"])))
    return tuple(out)


def silence_rule(row: Silence) -> muting.Silence:
    return muting.Silence(row.uid, silence_matchers(row.matchers), row.starts_at, row.ends_at)


def window_rule(row: MaintenanceWindow) -> muting.MaintenanceWindow:
    hour, minute = (int(p) for p in row.start_time.split(":"))
    return muting.MaintenanceWindow(
        str(row.id),
        tuple(m for text in row.matchers for m in parse_matchers(text)),
        frozenset(row.weekdays),
        time(hour, minute),
        timedelta(seconds=row.duration_s),
        row.time_zone,
    )


def inhibit_rule(row: InhibitionRule) -> muting.InhibitRule:
    return muting.InhibitRule(
        str(row.id),
        tuple(m for text in row.source_matchers for m in parse_matchers(text)),
        tuple(m for text in row.target_matchers for m in parse_matchers(text)),
        tuple(row.equal),
    )


async def firing_label_sets(session: AsyncSession) -> list[dict[str, str]]:
    """Match labels of the open alerts that can inhibit others (not muted themselves)."""
    rows = await session.execute(
        select(Alert.labels, Alert.alert_name, Alert.service, Alert.severity).where(
            Alert.status.in_(OPEN_STATUSES), Alert.muted_by.is_(None)
        )
    )
    return [match_labels(lb, name, svc, sev) for lb, name, svc, sev in rows]


@dataclass(frozen=True)
class MutingConfig:
    silences: tuple[muting.Silence, ...]  # not yet expired when loaded
    windows: tuple[muting.MaintenanceWindow, ...]
    inhibit_rules: tuple[muting.InhibitRule, ...]
    routes: Route
    loaded_at: float
    generation: int


# Configuration changes rarely and every ingest batch needs it, so each process keeps it
# for CONFIG_TTL seconds. Changes made through this process take effect at once (the
# generation bump); changes made on another replica within CONFIG_TTL seconds (and the
# worker's periodic re-evaluation catches any alert that arrived in between).
CONFIG_TTL = 2.0
# Keyed by the engine, so each app (and each test's database) has its own.
_config: WeakKeyDictionary[Engine, MutingConfig] = WeakKeyDictionary()
_generation = [0]


def _bump(*_: Any) -> None:
    _generation[0] += 1


def config_changed(session: AsyncSession | None = None) -> None:
    """Call after changing silences, windows, inhibition rules or routes, with the
    session that changed them: the cache is dropped now and again when that transaction
    ends, because another task may have reloaded it in between without the change."""
    _bump()
    if session is not None:
        sync = session.sync_session
        event.listen(sync, "after_commit", _bump, once=True)
        event.listen(sync, "after_rollback", _bump, once=True)


async def _load_config(session: AsyncSession, now: datetime) -> MutingConfig:
    key = session.get_bind().engine
    cached = _config.get(key)
    clock, generation = monotonic(), _generation[0]
    if cached and cached.generation == generation and clock - cached.loaded_at < CONFIG_TTL:
        return cached
    silences = (await session.scalars(select(Silence).where(Silence.ends_at > now))).all()
    windows = (await session.scalars(select(MaintenanceWindow))).all()
    rules = (await session.scalars(select(InhibitionRule))).all()
    loaded = MutingConfig(
        tuple(silence_rule(s) for s in silences),
        tuple(window_rule(w) for w in windows),
        tuple(inhibit_rule(r) for r in rules),
        await route_tree(session),
        clock,
        generation,  # a change during the load makes this stale at once
    )
    _config[key] = loaded
    return loaded


async def cached_route_tree(session: AsyncSession, now: datetime) -> Route:
    return (await _load_config(session, now)).routes


async def mute_stage(
    session: AsyncSession,
    now: datetime,
    extra_firing: Sequence[dict[str, str]] = (),
    fresh: bool = False,
) -> muting.MuteStage:
    """Silences active at `now`, maintenance windows and inhibition, in that order."""
    if fresh:
        config_changed(session)
    config = await _load_config(session, now)
    muters: list[muting.Muter] = [s for s in config.silences if s.state(now) == "active"]
    muters += list(config.windows)
    if config.inhibit_rules:
        firing = await firing_label_sets(session) + list(extra_firing)
        muters.append(muting.Inhibitor(config.inhibit_rules, firing))
    return muting.MuteStage(muters)


def _seconds(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)


def route_spec(row: AlertRoute) -> RouteSpec:
    return RouteSpec(
        id=row.id,
        parent_id=row.parent_id,
        position=row.position,
        matchers=tuple(m for text in row.matchers for m in parse_matchers(text)),
        continue_matching=row.continue_matching,
        receiver=row.receiver,
        team_id=row.team_id,
        escalation_policy_id=row.escalation_policy_id,
        channels=tuple(row.channels) if row.channels is not None else None,
        group_by=tuple(row.group_by) if row.group_by is not None else None,
        group_wait=_seconds(row.group_wait_s),
        group_interval=_seconds(row.group_interval_s),
        repeat_interval=_seconds(row.repeat_interval_s),
    )


async def route_tree(session: AsyncSession) -> Route:
    rows = (await session.scalars(select(AlertRoute))).all()
    return build_tree([route_spec(r) for r in rows])
