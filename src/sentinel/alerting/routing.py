"""The routing tree, with Alertmanager's semantics. Pure.

The root route matches everything (it is the default route). An alert walks the children
in order; a matching child is descended into, and the walk stops at the first match
unless that child has `continue`. A node none of whose children match is itself the
result. Unset settings (receiver, group_by, timers, team, policy) inherit from the parent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from sentinel.alerting.matchers import Matcher, matches_all


@dataclass(frozen=True)
class RouteSpec:
    """One route as configured; None means "inherit from the parent"."""

    id: int | None
    parent_id: int | None = None
    position: int = 0
    matchers: tuple[Matcher, ...] = ()
    continue_matching: bool = False
    receiver: str | None = None
    team_id: int | None = None
    escalation_policy_id: int | None = None
    channels: tuple[str, ...] | None = None
    group_by: tuple[str, ...] | None = None
    group_wait: timedelta | None = None
    group_interval: timedelta | None = None
    repeat_interval: timedelta | None = None


@dataclass(frozen=True)
class Route:
    """A route with every setting resolved (inheritance applied)."""

    id: int | None
    matchers: tuple[Matcher, ...]
    continue_matching: bool
    receiver: str
    team_id: int | None
    escalation_policy_id: int | None
    channels: tuple[str, ...]
    group_by: tuple[str, ...]
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    children: tuple[Route, ...] = field(default=())


DEFAULT_ROOT = Route(
    id=None,
    matchers=(),
    continue_matching=False,
    receiver="default",
    team_id=None,
    escalation_policy_id=None,
    channels=(),
    group_by=("alertname", "service"),
    group_wait=timedelta(seconds=30),
    group_interval=timedelta(minutes=5),
    repeat_interval=timedelta(hours=4),
)


def _inherit(spec: RouteSpec, parent: Route) -> Route:
    return Route(
        id=spec.id,
        matchers=spec.matchers,
        continue_matching=spec.continue_matching,
        receiver=spec.receiver if spec.receiver is not None else parent.receiver,
        team_id=spec.team_id if spec.team_id is not None else parent.team_id,
        escalation_policy_id=(
            spec.escalation_policy_id
            if spec.escalation_policy_id is not None
            else parent.escalation_policy_id
        ),
        channels=spec.channels if spec.channels is not None else parent.channels,
        group_by=spec.group_by if spec.group_by is not None else parent.group_by,
        group_wait=spec.group_wait if spec.group_wait is not None else parent.group_wait,
        group_interval=(
            spec.group_interval if spec.group_interval is not None else parent.group_interval
        ),
        repeat_interval=(
            spec.repeat_interval if spec.repeat_interval is not None else parent.repeat_interval
        ),
    )


def build_tree(specs: Sequence[RouteSpec], root: Route = DEFAULT_ROOT) -> Route:
    """Assemble flat rows (parent_id None = child of the default route) into a tree."""
    by_parent: dict[int | None, list[RouteSpec]] = {}
    for spec in specs:
        by_parent.setdefault(spec.parent_id, []).append(spec)

    def attach(node: Route, key: int | None, seen: frozenset[int]) -> Route:
        kids = sorted(by_parent.get(key, []), key=lambda s: (s.position, s.id or 0))
        built = []
        for spec in kids:
            if spec.id is not None and spec.id in seen:
                continue  # a cycle in stored rows must not hang ingest
            child = _inherit(spec, node)
            built.append(attach(child, spec.id, seen | {spec.id or -1}))
        return replace(node, children=tuple(built))

    return attach(root, None, frozenset())


def match_routes(root: Route, labels: Mapping[str, str]) -> list[Route]:
    """The routes an alert with `labels` is delivered through (at least one)."""

    def walk(node: Route) -> list[Route]:
        found: list[Route] = []
        for child in node.children:
            if not matches_all(child.matchers, labels):
                continue
            found.extend(walk(child))
            if not child.continue_matching:
                break
        return found or [node]

    return walk(root)
