"""Ingest authentication: an API key (or token) with the `ingest` permission.

The shared principal dependency authenticates in a short transaction of its own, so an
ingest request that writes through its own transaction holds one pooled connection at a
time (see `sentinel.api.deps.current_principal`)."""

from __future__ import annotations

from sentinel.api.deps import Ingester

IngestKey = Ingester

__all__ = ["IngestKey"]
