"""The mute → route → group stages for alerts that open (new or firing again): which
muter (if any) holds them, which routes they take, and which group each route puts them
in — by group_by labels, or smart grouping of a related open group, with the reason."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import store, tracing_sources
from sentinel.alerting.config import AlertingSettings
from sentinel.alerting.events import lifecycle_event
from sentinel.alerting.grouping import Candidate, group_key, group_labels, related_group
from sentinel.alerting.models import Alert, AlertGroup, AlertGroupMember
from sentinel.alerting.pipeline import IncomingAlert, match_labels
from sentinel.alerting.routing import Route, match_routes
from sentinel.alerting.severity import AlertStatus

A = cast(Table, Alert.__table__)
M = cast(Table, AlertGroupMember.__table__)

_PLACE = (
    update(A)
    .where(A.c.id == bindparam("b_id"))
    .values(
        group_id=bindparam("b_group"), status=bindparam("b_status"), muted_by=bindparam("b_muted")
    )
)


async def mute_route_and_group(
    session: AsyncSession,
    opened: list[IncomingAlert],
    ids: dict[str, int],
    batch: dict[str, IncomingAlert],
    now: datetime,
    config: AlertingSettings,
    who: str,
) -> list[dict[str, Any]]:
    labels_of = {
        a.fingerprint: match_labels(a.labels, a.alert_name, a.service, a.severity.value)
        for a in opened
    }
    firing_now = [
        match_labels(a.labels, a.alert_name, a.service, a.severity.value)
        for a in batch.values()
        if not a.resolve and (a.ends_at is None or a.ends_at > now)
    ]
    stage = await store.mute_stage(session, now, firing_now)
    tree = await store.cached_route_tree(session, now)
    events: list[dict[str, Any]] = []
    placements: dict[str, tuple[list[Route], str]] = {}
    for a in opened:
        routes = match_routes(tree, labels_of[a.fingerprint])
        mute = stage.mutes(labels_of[a.fingerprint], now)
        placements[a.fingerprint] = (routes, str(mute) if mute else "")
    graph = (
        await tracing_sources.dependency_neighbours(session, now)
        if config.smart_group_window_seconds
        else {}
    )
    groups = await place_in_groups(session, opened, labels_of, placements, now, config, graph)
    place_params = []
    members = []
    for a in opened:
        alert_id = ids[a.fingerprint]
        routes, muted = placements[a.fingerprint]
        primary_group = groups[a.fingerprint][0][0]
        # Every group of every route it took tracks the alert until it resolves.
        members += [
            {"alert_id": alert_id, "group_id": g, "position": i, "joined_at": now}
            for i, g in enumerate(dict.fromkeys(g for g, _ in groups[a.fingerprint]))
        ]
        for (group_id, why), route in zip(groups[a.fingerprint], routes, strict=True):
            events.append(lifecycle_event(alert_id, "grouped", now, who, group_id, reason=why))
            if not muted:
                events.append(
                    lifecycle_event(
                        alert_id,
                        "routed",
                        now,
                        who,
                        group_id,
                        route_id=route.id,
                        receiver=route.receiver,
                        team_id=route.team_id,
                        escalation_policy_id=route.escalation_policy_id,
                        channels=list(route.channels),
                    )
                )
        if muted:
            events.append(
                lifecycle_event(alert_id, "silenced", now, who, primary_group, muted_by=muted)
            )
        place_params.append(
            {
                "b_id": alert_id,
                "b_group": primary_group,
                "b_status": AlertStatus.SILENCED.value if muted else AlertStatus.FIRING.value,
                "b_muted": muted or None,
            }
        )
    await session.execute(_PLACE, place_params)
    await session.execute(insert(M), members)
    return events


async def place_in_groups(
    session: AsyncSession,
    opened: list[IncomingAlert],
    labels_of: dict[str, dict[str, str]],
    placements: dict[str, tuple[list[Route], str]],
    now: datetime,
    config: AlertingSettings,
    graph: dict[str, frozenset[str]],
) -> dict[str, list[tuple[int, str]]]:
    """The group of each (alert, route), creating or reopening groups as needed."""
    wanted: dict[str, tuple[Route, IncomingAlert]] = {}
    keys_of: dict[str, list[str]] = {}
    for a in opened:
        keys = []
        for route in placements[a.fingerprint][0]:
            key = group_key(str(route.id or 0), route.group_by, labels_of[a.fingerprint])
            wanted.setdefault(key, (route, a))
            keys.append(key)
        keys_of[a.fingerprint] = keys
    existing = {
        g.group_key: g
        for g in (
            await session.scalars(select(AlertGroup).where(AlertGroup.group_key.in_(list(wanted))))
        ).all()
    }
    window = timedelta(seconds=config.smart_group_window_seconds)
    candidates: list[AlertGroup] = []
    if window:
        candidates = list(
            (
                await session.scalars(
                    select(AlertGroup).where(
                        AlertGroup.status == "open", AlertGroup.created_at >= now - window
                    )
                )
            ).all()
        )
    chosen: dict[str, tuple[AlertGroup, str]] = {}
    for key, (route, a) in wanted.items():
        group = existing.get(key)
        if group is not None and group.status == "open":
            chosen[key] = (group, f"group_by {list(route.group_by)}")
            continue
        if window and group is None:
            same_route = [g for g in candidates if g.route_id == route.id]
            related = related_group(
                a.service,
                a.title or a.alert_name,
                now,
                [Candidate(g.id, g.service, g.title, g.created_at) for g in same_route],
                graph.get(a.service, frozenset()),
                window,
                config.smart_group_title_similarity,
            )
            if related is not None:
                target = next(g for g in same_route if g.id == related[0])
                chosen[key] = (target, f"smart: {related[1]}")
                continue
        wait = route.group_wait.total_seconds()
        if group is None:
            group = AlertGroup(group_key=key, route_id=route.id)
            session.add(group)
        group.receiver = route.receiver
        group.team_id = route.team_id
        group.escalation_policy_id = route.escalation_policy_id
        group.channels = list(route.channels)
        group.labels = group_labels(route.group_by, labels_of[a.fingerprint])
        group.status = "open"
        group.service = a.service
        group.title = a.title or a.alert_name
        group.alert_count = 0
        group.group_wait_s = wait
        group.group_interval_s = route.group_interval.total_seconds()
        group.repeat_interval_s = route.repeat_interval.total_seconds()
        group.created_at = now
        group.next_flush_at = now + route.group_wait
        group.last_flush_at = None
        group.last_notified_at = None
        group.reason = f"group_by {list(route.group_by)}"
        chosen[key] = (group, group.reason)
        candidates.append(group)
    await session.flush()
    joined: Counter[int] = Counter()
    out: dict[str, list[tuple[int, str]]] = {}
    for a in opened:
        out[a.fingerprint] = []
        for key in keys_of[a.fingerprint]:
            group, why = chosen[key]
            out[a.fingerprint].append((group.id, why))
        joined.update({g for g, _ in out[a.fingerprint]})  # an alert counts once per group
    for group, _ in {id(g): (g, w) for g, w in chosen.values()}.values():
        group.alert_count += joined[group.id]
        group.changed = True
        group.updated_at = now
    return out
