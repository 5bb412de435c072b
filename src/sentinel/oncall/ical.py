"""iCalendar (RFC 5545) export of final shifts. Pure: text out, no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sentinel.oncall.rotation import Shift


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on the next line after a space."""
    raw = line.encode()
    if len(raw) <= 75:
        return [line]
    parts: list[str] = []
    chunk = ""
    for char in line:
        if len((chunk + char).encode()) > (75 if not parts else 74):
            parts.append(chunk)
            chunk = ""
        chunk += char
    parts.append(chunk)
    return [parts[0]] + [" " + p for p in parts[1:]]


def calendar(
    name: str,
    uid_prefix: str,
    shifts: Sequence[tuple[str, Shift]],
    user_names: Mapping[int, str],
    generated_at: datetime,
) -> str:
    """A VCALENDAR with one VEVENT per (schedule name, shift)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Sentinel//On-call//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for schedule_name, shift in shifts:
        who = user_names.get(shift.user_id, f"user {shift.user_id}")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid_prefix}-{shift.user_id}-{_stamp(shift.start)}@sentinel",
            f"DTSTAMP:{_stamp(generated_at)}",
            f"DTSTART:{_stamp(shift.start)}",
            f"DTEND:{_stamp(shift.end)}",
            f"SUMMARY:{_escape(f'On call: {who} ({schedule_name})')}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(folded for line in lines for folded in _fold(line)) + "\r\n"


def feed_token(secret: str, feed: str) -> str:
    """The token that lets a calendar client read `feed` ("schedule:3", "user:7")."""
    digest = hmac.new(secret.encode(), f"ics:{feed}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()
