"""Retry timing for failed jobs. Pure."""

from __future__ import annotations

from datetime import timedelta


def retry_delay(
    attempt: int,
    *,
    base: timedelta = timedelta(seconds=5),
    cap: timedelta = timedelta(hours=1),
    jitter: float = 1.0,
) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base … up to cap, scaled by jitter in [0.5, 1]."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    if not 0.5 <= jitter <= 1.0:
        raise ValueError("jitter must be within [0.5, 1]")
    exponent = min(attempt - 1, 32)
    delay: timedelta = min(base * (2**exponent), cap)
    return delay * jitter
