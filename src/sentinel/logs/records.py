"""The log row that every ingest path produces and the writer stores: a plain tuple.

Limits (SPEC §6), the same for every ingest path and documented in the API:
- MAX_RECORDS_PER_REQUEST records per request; the rest are rejected and counted.
- MAX_BODY_CHARS characters per line; longer lines are cut (and the cut is reported).
- MAX_ATTRIBUTES attributes per record (ingest.otlp.values); extra ones are dropped.
- Timestamps: 0 or missing means "when observed" (then "now"); a time more than
  MAX_FUTURE_NS ahead of the server clock, or before 2000-01-01, rejects the record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sentinel.ingest.otlp.values import MAX_ATTRIBUTES

MAX_RECORDS_PER_REQUEST = 100_000
MAX_BODY_CHARS = 32_768
MAX_SERVICE_CHARS = 255
MAX_FUTURE_NS = 24 * 3600 * 10**9
MIN_TIME_NS = 946_684_800 * 10**9  # 2000-01-01T00:00:00Z
UNKNOWN_SERVICE = "unknown_service"
__all__ = ["LOG_COLUMNS", "MAX_ATTRIBUTES", "LogBatch"]

LOG_COLUMNS: tuple[str, ...] = (
    "time_ns",
    "observed_ns",
    "service",
    "severity_number",
    "severity_text",
    "body",
    "trace_id",
    "span_id",
    "attributes",
    "resource",
)
LogRow = tuple[Any, ...]


@dataclass
class LogBatch:
    """What one request decoded to: good rows, the rejects, and what was cut."""

    rows: list[LogRow] = field(default_factory=list)
    rejected: int = 0
    truncated: int = 0
    problems: list[str] = field(default_factory=list)
    services: set[str] = field(default_factory=set)
    now_ns: int = field(default_factory=time.time_ns)

    def reject(self, message: str, count: int = 1) -> None:
        self.rejected += count
        if len(self.problems) < 5:
            self.problems.append(message)

    def body(self, text: str) -> str:
        """The line, cut at MAX_BODY_CHARS (counted)."""
        if len(text) <= MAX_BODY_CHARS:
            return text
        if not self.truncated and len(self.problems) < 5:
            self.problems.append(f"lines longer than {MAX_BODY_CHARS} characters were cut")
        self.truncated += 1
        return text[:MAX_BODY_CHARS]

    def check_time(self, time_ns: int, observed_ns: int) -> tuple[int, int] | str:
        """(time, observed) with defaults filled in, or why the record is rejected."""
        if observed_ns <= 0:
            observed_ns = self.now_ns
        if time_ns <= 0:
            time_ns = observed_ns
        if time_ns < MIN_TIME_NS or time_ns > self.now_ns + MAX_FUTURE_NS:
            return f"timestamp {time_ns} ns is before 2000 or more than a day in the future"
        return time_ns, observed_ns

    def over_limit(self) -> bool:
        return len(self.rows) >= MAX_RECORDS_PER_REQUEST

    def messages(self) -> list[str]:
        """Problems for the response, with the count of cut lines."""
        note = f"lines longer than {MAX_BODY_CHARS} characters were cut"
        return [f"{self.truncated} {note}" if p == note else p for p in self.problems]
