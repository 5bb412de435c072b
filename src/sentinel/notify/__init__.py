"""Notification delivery: an outbox of pages, channels, signed action links, history."""
