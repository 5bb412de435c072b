"""The demo's telemetry as plain values (spans and log records), and a builder for one trace."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from sentinel.demo.topology import SERVICES, AttrValue

MS = 1_000_000

# OTLP severity numbers of the levels the demo writes.
SEVERITY = {"DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17}


@dataclass(slots=True)
class SpanEvent:
    name: str
    time_ns: int
    attributes: dict[str, AttrValue]


@dataclass(slots=True)
class SpanRecord:
    trace_id: bytes
    span_id: bytes
    parent_id: bytes  # b"" for a root span
    service: str
    instance: int
    name: str
    kind: int
    start_ns: int
    end_ns: int
    attributes: dict[str, AttrValue]
    error: str | None = None  # the status message of a span with status ERROR
    events: list[SpanEvent] = field(default_factory=list)


@dataclass(slots=True)
class LogRecord:
    time_ns: int
    service: str
    instance: int
    level: str
    body: str
    attributes: dict[str, AttrValue] = field(default_factory=dict)
    trace_id: bytes = b""
    span_id: bytes = b""


@dataclass
class Batch:
    """Spans and log records for one time window."""

    spans: list[SpanRecord] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)

    def extend(self, other: Batch) -> None:
        self.spans += other.spans
        self.logs += other.logs


class TraceBuilder:
    """Collects the spans and logs of one trace; ids and latencies come from `rng`."""

    def __init__(self, rng: random.Random, batch: Batch) -> None:
        self.rng = rng
        self.batch = batch
        self.trace_id = self._nonzero(16)
        # Each service answers this request from one of its instances.
        self.instances = {name: rng.randrange(len(s.instances)) for name, s in SERVICES.items()}

    def _nonzero(self, size: int) -> bytes:
        while True:
            value = self.rng.randbytes(size)
            if any(value):
                return value

    def new_id(self) -> bytes:
        return self._nonzero(8)

    def ms(self, median: float, sigma: float = 0.35) -> int:
        """A log-normal latency around `median` milliseconds, in nanoseconds."""
        return max(1000, int(self.rng.lognormvariate(math.log(median), sigma) * MS))

    def span(
        self,
        span_id: bytes,
        parent_id: bytes,
        service: str,
        name: str,
        kind: int,
        start_ns: int,
        end_ns: int,
        attributes: dict[str, AttrValue],
        error: str | None = None,
        events: list[SpanEvent] | None = None,
    ) -> SpanRecord:
        record = SpanRecord(
            self.trace_id,
            span_id,
            parent_id,
            service,
            self.instances.get(service, 0),
            name,
            kind,
            start_ns,
            max(end_ns, start_ns + 1000),
            attributes,
            error,
            events or [],
        )
        self.batch.spans.append(record)
        return record

    def log(
        self,
        service: str,
        level: str,
        body: str,
        at_ns: int,
        span_id: bytes = b"",
        **attributes: AttrValue,
    ) -> None:
        self.batch.logs.append(
            LogRecord(
                at_ns,
                service,
                self.instances[service],
                level,
                body,
                dict(attributes),
                self.trace_id if span_id else b"",
                span_id,
            )
        )
