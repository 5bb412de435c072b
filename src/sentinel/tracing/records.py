"""The span record that ingest produces and the store writes: a plain tuple, for speed.

A tuple per span (not an object) keeps the hot path cheap: the decoder builds it in one
expression and the store hands the list straight to the driver's executemany.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Column order of a span row (the INSERT uses the same order).
SPAN_COLUMNS: tuple[str, ...] = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "service",
    "name",
    "kind",
    "start_ns",
    "duration_ns",
    "status_code",
    "status_message",
    "http_method",
    "http_route",
    "http_status_code",
    "db_system",
    "peer_service",
    "is_error",
    "resource_id",
    "attributes",
    "events",
    "links",
)
(
    TRACE_ID,
    SPAN_ID,
    PARENT_ID,
    SERVICE,
    NAME,
    KIND,
    START,
    DURATION,
    STATUS,
    STATUS_MESSAGE,
    HTTP_METHOD,
    HTTP_ROUTE,
    HTTP_STATUS,
    DB_SYSTEM,
    PEER,
    IS_ERROR,
    RESOURCE_ID,
    ATTRIBUTES,
    EVENTS,
    LINKS,
) = range(len(SPAN_COLUMNS))

SpanRow = tuple[Any, ...]

# OTLP SpanKind numbers.
KIND_UNSPECIFIED, KIND_INTERNAL, KIND_SERVER, KIND_CLIENT, KIND_PRODUCER, KIND_CONSUMER = range(6)
KIND_NAMES = ("unspecified", "internal", "server", "client", "producer", "consumer")
STATUS_UNSET, STATUS_OK, STATUS_ERROR = 0, 1, 2
STATUS_NAMES = ("unset", "ok", "error")


@dataclass
class ResourceRow:
    id: int
    service: str
    attributes: str  # JSON text
    scope_name: str
    scope_version: str


@dataclass
class SpanBatch:
    """What one export request decoded to: good rows, their resources, and the rejects."""

    rows: list[SpanRow] = field(default_factory=list)
    resources: dict[int, ResourceRow] = field(default_factory=dict)
    rejected: int = 0
    problems: list[str] = field(default_factory=list)

    def reject(self, message: str, count: int = 1) -> None:
        self.rejected += count
        if len(self.problems) < 5:
            self.problems.append(message)
