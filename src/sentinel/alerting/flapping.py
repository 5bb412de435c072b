"""Flapping detection as Nagios does it. Pure.

Over the last 21 states there are 20 possible changes. Each change is weighted from 0.8
(oldest) to 1.2 (newest), so recent flapping counts more; the weighted share of changes
is the state-change percentage. An alert starts flapping when the percentage reaches the
high threshold and stops when it falls below the low one (hysteresis, so it does not
flap in and out of flapping).

An alert's states are what its sender reported: each send of the firing alert (the
first and every re-send, e.g. Prometheus's every minute) is one `firing` state and its
resolve one `resolved` state. So an alert that fires for hours and then resolves is
steady, and one that clears after a send or two and fires again is flapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def observed_states(cycles: Iterable[tuple[int, bool]]) -> list[str]:
    """The states of an alert, oldest first, from its fire → resolve cycles given as
    (sends, resolved). A run is cut to the window: 21 equal states already bring the
    percentage to 0, so the cut changes no verdict."""
    states: list[str] = []
    for sends, resolved in cycles:
        states += ["firing"] * max(1, min(sends, WINDOW))
        if resolved:
            states.append("resolved")
    return states


def flapping_now(
    states: Sequence[S], high: float = HIGH_THRESHOLD, low: float = LOW_THRESHOLD
) -> tuple[bool, float]:
    """Whether the alert is flapping after its last state, and its state-change
    percentage. The verdict is replayed state by state, as Nagios decides at each
    check, so an alert that started flapping stops only once it falls below `low`."""
    flapping = False
    for end in range(MIN_STATES, len(states) + 1):
        window = states[max(0, end - WINDOW) : end]
        flapping = is_flapping(state_change_percent(window), flapping, high, low)
    return flapping, state_change_percent(states[-WINDOW:])
