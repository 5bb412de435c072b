"""Alerting: ingest, dedup, grouping, routing, muting, fatigue and rules."""
