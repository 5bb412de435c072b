"""Alert groups: the key an alert is grouped under, and the group's timers as pure
functions of time (Alertmanager's group_wait / group_interval / repeat_interval)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from enum import StrEnum
from functools import lru_cache

from sentinel.alerting.fingerprint import fingerprint

GROUP_BY_ALL = "..."


def group_labels(group_by: Sequence[str], labels: Mapping[str, str]) -> dict[str, str]:
    """The labels that name the group; `...` groups by every label (no grouping)."""
    if GROUP_BY_ALL in group_by:
        return dict(labels)
    return {name: labels[name] for name in group_by if labels.get(name)}


def group_key(route_key: str, group_by: Sequence[str], labels: Mapping[str, str]) -> str:
    """Stable key of the group for one route: the route plus the grouped label values."""
    return f"{route_key}:{fingerprint(group_labels(group_by, labels))}"


@dataclass(frozen=True)
class GroupTimers:
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta


class FlushDecision(StrEnum):
    WAIT = "wait"  # not due yet
    NOTIFY = "notify"  # something changed since the last notification
    REPEAT = "repeat"  # nothing changed, but repeat_interval has passed
    SKIP = "skip"  # due, nothing to say


def first_flush_at(created_at: datetime, timers: GroupTimers) -> datetime:
    """A new group waits group_wait so that alerts firing together page together."""
    return created_at + timers.group_wait


def next_flush_at(last_flush_at: datetime, timers: GroupTimers) -> datetime:
    return last_flush_at + timers.group_interval


def flush_decision(
    now: datetime,
    due_at: datetime,
    last_notified_at: datetime | None,
    changed_since_notified: bool,
    timers: GroupTimers,
) -> FlushDecision:
    """What a group's flush does at `now`."""
    if now < due_at:
        return FlushDecision.WAIT
    if last_notified_at is None or changed_since_notified:
        return FlushDecision.NOTIFY
    if now - last_notified_at >= timers.repeat_interval:
        return FlushDecision.REPEAT
    return FlushDecision.SKIP


def _normalise(text: str) -> str:
    return "".join("#" if ch.isdigit() else ch for ch in text.lower())


@lru_cache(maxsize=8192)
def title_similarity(a: str, b: str) -> float:
    """0..1 similarity of two alert titles, ignoring case and digits (hosts, values)."""
    return SequenceMatcher(None, _normalise(a), _normalise(b)).ratio()


def titles_alike(a: str, b: str, at_least: float) -> float | None:
    """The similarity when it is at least `at_least`, else None; the cheap upper bounds
    are tried first because this runs against every candidate group."""
    matcher = SequenceMatcher(None, _normalise(a), _normalise(b))
    if matcher.real_quick_ratio() < at_least or matcher.quick_ratio() < at_least:
        return None
    score = matcher.ratio()
    return score if score >= at_least else None


@dataclass(frozen=True)
class Candidate:
    """An open group an arriving alert might belong to."""

    group_id: int
    service: str
    title: str
    started_at: datetime


def related_group(
    service: str,
    title: str,
    at: datetime,
    candidates: Sequence[Candidate],
    neighbours: frozenset[str],
    window: timedelta,
    similarity: float = 0.8,
) -> tuple[int, str] | None:
    """Smart grouping: the open group of a related alert inside `window`, with the reason.

    Related means the same service, a neighbouring service in the dependency graph, or a
    title at least `similarity` alike.
    """
    near = [c for c in candidates if abs(at - c.started_at) <= window]
    near.sort(key=lambda c: c.started_at, reverse=True)
    # The cheap, strong reasons first; title similarity only when they find nothing.
    for c in near:
        if service and c.service == service:
            return c.group_id, f"same service {service!r} within {window}"
    for c in near:
        if c.service in neighbours:
            return c.group_id, f"{c.service!r} is a dependency neighbour of {service!r}"
    for c in near:
        score = titles_alike(title, c.title, similarity)
        if score is not None:
            return c.group_id, f"title {score:.0%} similar to {c.title!r}"
    return None
