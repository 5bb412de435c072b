"""A short-lived cache of authenticated principals, so the hot paths (ingest, UI reads)
do not look the same credential up on every request.

A revoked key or disabled user stops working in this process at once (the service clears
the cache) and in other replicas within `ttl_seconds`."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from sentinel.auth.roles import Principal


class PrincipalCache:
    def __init__(
        self,
        ttl_seconds: float = 10.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}

    @staticmethod
    def _key(credential: str) -> str:
        # Never keep the credential itself in memory longer than the request.
        return hashlib.sha256(credential.encode()).hexdigest()

    def get(self, credential: str) -> Principal | None:
        if self.ttl <= 0:
            return None
        entry = self._entries.get(self._key(credential))
        if entry is None:
            return None
        expires, principal = entry
        if self._clock() >= expires:
            self._entries.pop(self._key(credential), None)
            return None
        return principal

    def put(self, credential: str, principal: Principal) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[self._key(credential)] = (self._clock() + self.ttl, principal)

    def clear(self) -> None:
        self._entries.clear()
