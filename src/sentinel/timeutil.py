"""Time at the edges: everything inside is aware UTC. Pure."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator


def assume_utc(value: datetime) -> datetime:
    """Treat a naive timestamp as UTC; convert an aware one to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(assume_utc)]


_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """'90s', '15m', '72h', '7d', '2w' (or a bare number of seconds) as a timedelta."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*", text or "")
    if not match:
        raise ValueError(f"{text!r} is not a duration such as '30s', '15m', '72h' or '7d'")
    return timedelta(seconds=float(match.group(1)) * _DURATION_UNITS[match.group(2) or "s"])


def local_to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall-clock time in `tz` as aware UTC. An ambiguous fall-back time maps to its
    first occurrence; a time inside a spring-forward gap (it never shows on the wall clock)
    maps to the instant the clocks jump. So later wall times never map to earlier instants:
    rotation shift boundaries stay in order and a layer's shifts never overlap. (fold=0
    alone would read 02:30 in a 02:00 -> 03:00 gap as 03:30, after the 03:00 that follows
    it.) On-call rotations and recurring SLO exclusions both use this rule."""
    instant = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == local:
        return instant
    return _jump_instant(local, tz)


def _jump_instant(local: datetime, tz: ZoneInfo) -> datetime:
    """The instant the wall clock jumps over `local` (a time in a spring-forward gap). The
    readings with the offsets after and before the change bracket it; the wall clock is
    before `local` up to the jump and past it from the jump on."""
    lo = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    lo, hi = min(lo, hi), max(lo, hi)
    step = timedelta(microseconds=1)
    while hi - lo > step:  # about 33 halvings for a one-hour gap
        mid = lo + (hi - lo) // 2
        if mid.astimezone(tz).replace(tzinfo=None) > local:
            hi = mid
        else:
            lo = mid
    return hi
