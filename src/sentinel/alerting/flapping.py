"""Flapping detection as Nagios does it. Pure.

Over the last 21 states there are 20 possible changes. Each change is weighted from 0.8
(oldest) to 1.2 (newest), so recent flapping counts more; the weighted share of changes
is the state-change percentage. An alert starts flapping when the percentage reaches the
high threshold and stops when it falls below the low one (hysteresis, so it does not
flap in and out of flapping).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

WINDOW = 21
# Below this many states there is too little history to call anything flapping: one
# fire and one resolve is a 100% change rate and says nothing.
MIN_STATES = 6
HIGH_THRESHOLD = 50.0
LOW_THRESHOLD = 25.0

S = TypeVar("S")


def _weight(index: int, changes: int) -> float:
    if changes <= 1:
        return 1.0
    return 0.8 + 0.4 * index / (changes - 1)


def state_change_percent(states: Sequence[S]) -> float:
    """Weighted % of state changes among the last 21 states (oldest first)."""
    recent = list(states)[-WINDOW:]
    changes = len(recent) - 1
    if len(recent) < MIN_STATES:
        return 0.0
    total = sum(_weight(i, changes) for i in range(changes))
    changed = sum(_weight(i, changes) for i in range(changes) if recent[i] != recent[i + 1])
    return 100.0 * changed / total


def is_flapping(
    percent: float,
    was_flapping: bool,
    high: float = HIGH_THRESHOLD,
    low: float = LOW_THRESHOLD,
) -> bool:
    """Hysteresis: start at >= high, stop only below low."""
    if was_flapping:
        return percent >= low
    return percent >= high
