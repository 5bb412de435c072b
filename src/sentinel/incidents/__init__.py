"""Incident management: lifecycle, automatic creation from alerts, timeline, runbooks,
root-cause suggestions and post-mortems."""
