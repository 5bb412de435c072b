"""Alertmanager API v2 (what Prometheus and amtool speak) and Alertmanager's webhook."""
