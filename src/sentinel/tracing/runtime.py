"""The tracing domain's per-app state: ingest admission, the RED metrics collector, and
whether spans also go to the block store (SENTINEL_TRACES_BLOCKS, experimental)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from sentinel.config import Settings
from sentinel.ingest.otlp.protocol import IngestAdmission
from sentinel.tracing.metrics import RedMetrics


@dataclass
class TracingRuntime:
    admission: IngestAdmission
    red: RedMetrics
    blocks: bool = False

    @classmethod
    def build(cls, settings: Settings, registry: CollectorRegistry) -> TracingRuntime:
        # SQLite: no writer bound here; the database's write gate takes one at a time.
        writers = None if settings.is_sqlite else settings.ingest_writers or 4
        return cls(
            admission=IngestAdmission(max_pending=settings.ingest_max_pending, writers=writers),
            red=RedMetrics(registry),
            blocks=settings.traces_blocks,
        )
