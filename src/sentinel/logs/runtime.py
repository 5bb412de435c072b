"""The log domain's per-app state: ingest admission and the services seen recently."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sentinel.config import Settings
from sentinel.ingest.otlp.protocol import IngestAdmission


@dataclass
class LogsRuntime:
    admission: IngestAdmission
    # Services seen at ingest by this process (the NL parser matches names against
    # these and the ones in the database).
    services: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> LogsRuntime:
        # SQLite: no writer bound here; the database's write gate takes one at a time
        # (ingest of every signal and the derive worker alike).
        writers = None if settings.is_sqlite else settings.ingest_writers or 4
        return cls(
            admission=IngestAdmission(max_pending=settings.ingest_max_pending, writers=writers)
        )

    def saw(self, services: set[str]) -> None:
        now = time.monotonic()
        for service in services:
            self.services[service] = now
        if len(self.services) > 10_000:
            for name, _seen in sorted(self.services.items(), key=lambda kv: kv[1])[:5000]:
                del self.services[name]
