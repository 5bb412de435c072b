"""Distributed tracing: spans, rollups, search, trace view, service graph, Jaeger reads."""
