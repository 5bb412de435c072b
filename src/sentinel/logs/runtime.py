"""The log domain's per-app state: the write gate and the services seen recently."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sentinel.config import Settings
from sentinel.ingest.otlp.protocol import WriteGate


@dataclass
class LogsRuntime:
    gate: WriteGate
    # Services seen at ingest by this process (the NL parser matches names against
    # these and the ones in the database).
    services: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, shared_gate: WriteGate | None = None) -> LogsRuntime:
        if shared_gate is not None and settings.is_sqlite:
            # SQLite has one writer anyway: one queue for every signal beats two queues
            # fighting over the lock in the busy handler.
            return cls(gate=shared_gate)
        writers = settings.ingest_writers or (1 if settings.is_sqlite else 4)
        return cls(gate=WriteGate(writers=writers, max_pending=settings.ingest_max_pending))

    def saw(self, services: set[str]) -> None:
        now = time.monotonic()
        for service in services:
            self.services[service] = now
        if len(self.services) > 10_000:
            for name, _seen in sorted(self.services.items(), key=lambda kv: kv[1])[:5000]:
                del self.services[name]
