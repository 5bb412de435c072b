"""Loki push API (JSON) decoding."""
