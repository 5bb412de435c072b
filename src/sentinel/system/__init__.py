"""The service's own endpoints: health, suite info, Prometheus metrics."""
