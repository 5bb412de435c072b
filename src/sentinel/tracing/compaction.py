"""Folding an operation's or edge's partial per-minute rollup rows into one. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sentinel.tracing import sketch


def fold(rows: Sequence[Any]) -> tuple[int, int, int, bytes]:
    """(count, error_count, duration_sum_ns, sketch) of several partial rows. Rows without
    `duration_sum_ns` (edges) contribute 0 to it."""
    merged = sketch.MergedBins()
    for row in rows:
        merged.add_encoded(row.sketch)
    return (
        sum(r.count for r in rows),
        sum(r.error_count for r in rows),
        sum(getattr(r, "duration_sum_ns", 0) for r in rows),
        merged.encode(),
    )
