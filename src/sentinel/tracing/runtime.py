"""The tracing domain's per-app state: the write gate and the RED metrics collector."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from sentinel.config import Settings
from sentinel.ingest.otlp.protocol import WriteGate
from sentinel.tracing.metrics import RedMetrics


@dataclass
class TracingRuntime:
    gate: WriteGate
    red: RedMetrics

    @classmethod
    def build(cls, settings: Settings, registry: CollectorRegistry) -> TracingRuntime:
        writers = settings.ingest_writers or (1 if settings.is_sqlite else 4)
        return cls(
            gate=WriteGate(writers=writers, max_pending=settings.ingest_max_pending),
            red=RedMetrics(registry),
        )
