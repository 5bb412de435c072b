"""The log domain's per-app state: the write gate and the services seen recently."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sentinel.config import Settings
from sentinel.ingest.otlp.protocol import WriteGate

# SQLite has one writer: ingest and the derive worker of the same process queue on one
# gate (keyed by database URL) instead of meeting in SQLite's sleeping busy handler.
_SQLITE_GATES: dict[str, WriteGate] = {}


def sqlite_write_gate(database_url: str) -> WriteGate | None:
    """The in-process write gate of this SQLite database, when an app registered one."""
    return _SQLITE_GATES.get(database_url)


@dataclass
class LogsRuntime:
    gate: WriteGate
    # Services seen at ingest by this process (the NL parser matches names against
    # these and the ones in the database).
    services: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, shared_gate: WriteGate | None = None) -> LogsRuntime:
        if settings.is_sqlite:
            # One writer anyway: one queue for every signal (and the derive worker) beats
            # several queues fighting over the lock in the busy handler.
            gate = shared_gate or WriteGate(writers=1, max_pending=settings.ingest_max_pending)
            _SQLITE_GATES[settings.database_url] = gate
            return cls(gate=gate)
        writers = settings.ingest_writers or 4
        return cls(gate=WriteGate(writers=writers, max_pending=settings.ingest_max_pending))

    def saw(self, services: set[str]) -> None:
        now = time.monotonic()
        for service in services:
            self.services[service] = now
        if len(self.services) > 10_000:
            for name, _seen in sorted(self.services.items(), key=lambda kv: kv[1])[:5000]:
                del self.services[name]
