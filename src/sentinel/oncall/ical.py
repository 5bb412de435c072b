"""iCalendar (RFC 5545) export of final shifts. Pure: text out, no I/O.

A calendar client re-fetches a subscribed feed every few hours and matches events by UID:
a shift must keep its UID from fetch to fetch, or the client shows it twice (or deletes
and re-creates it). The feed's window starts a week before *now*, so its first shift is cut
at a different instant on every fetch; its UID and DTSTART are therefore those of the
shift's natural start (see `lookbacks`), never of the window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


@dataclass(frozen=True)
class FeedShift:
    """A final shift of one schedule, with its natural (uncut) start."""

    schedule_id: int
    schedule_name: str
    shift: Shift


def shift_uid(feed: str, item: FeedShift) -> str:
    """Stable across fetches: the feed, the schedule, the layer ("o" for an override), the
    person and the shift's natural start. The schedule is part of it because a person's
    feed holds shifts of every schedule, and two may start at the same instant."""
    layer = "o" if item.shift.layer is None else f"l{item.shift.layer}"
    shift = item.shift
    return f"{feed}-s{item.schedule_id}-{layer}-u{shift.user_id}-{_stamp(shift.start)}@sentinel"


def lookbacks(at: datetime) -> list[datetime]:
    """Range starts in which to look for the natural start of the final shift holding `at`
    (where the same person began holding it for the same layer or override), nearest first:
    a range whose first shift starts after the range start has found it. Most shifts last
    days, so the first or second range decides. The last range starts on the first of a
    UTC month about ten months back (at most 366 days, the final-schedule limit): a shift
    held even longer (one person alone on a layer) is given that month's start, which moves
    once a month rather than on every fetch."""
    month = (at - timedelta(days=300)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return [at - timedelta(days=1), at - timedelta(days=8), at - timedelta(days=64), month]


def calendar(
    name: str,
    feed: str,
    shifts: Sequence[FeedShift],
    user_names: Mapping[int, str],
    generated_at: datetime,
) -> str:
    """A VCALENDAR with one VEVENT per final shift of a schedule."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Sentinel//On-call//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for item in shifts:
        shift, schedule_name = item.shift, item.schedule_name
        who = user_names.get(shift.user_id, f"user {shift.user_id}")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{shift_uid(feed, item)}",
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
