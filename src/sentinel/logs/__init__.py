"""Log aggregation: ingest, full-text and natural-language search, patterns, anomalies."""
