"""Natural-language log questions to a structured LogQuery, deterministically.

"show me errors from database", "find timeout issues in API", "get critical logs from
last hour": level words become levels, time phrases a time range, words naming a service
seen in the data become service filters, filler words go, and what is left are terms.
No model is involved, so the same question always runs the same query, and the API
shows that query next to the results.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sentinel.logs.query import LogQuery

NS = 1_000_000_000
_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "week": 604800,
    "weeks": 604800,
}
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "five": 5, "ten": 10}
_LEVEL_WORDS = {
    "error": ["ERROR", "FATAL"],
    "errors": ["ERROR", "FATAL"],
    "erroring": ["ERROR", "FATAL"],
    "failures": ["ERROR", "FATAL"],
    "exceptions": ["ERROR", "FATAL"],
    "critical": ["FATAL"],
    "crit": ["FATAL"],
    "fatal": ["FATAL"],
    "fatals": ["FATAL"],
    "panic": ["FATAL"],
    "panics": ["FATAL"],
    "emergency": ["FATAL"],
    "warning": ["WARN"],
    "warnings": ["WARN"],
    "warn": ["WARN"],
    "warns": ["WARN"],
    "info": ["INFO"],
    "informational": ["INFO"],
    "debug": ["DEBUG"],
}
# Words that shape the question but are not searched for.
_FILLER = frozenset(
    """
    a about all also an and any anything are as at be been being by can could did do does
    during entries entry every everything find for from get give got happened happening has
    have having how i in is issue issues it its just last latest let lines list log logged
    logs look me message messages my of on or over past please problem problems recent
    recently related search see service services show some something than that the their
    them there these this those to was were what when where which while who why with within
    would you
    """.split()  # noqa: SIM905 - a word list reads better as prose
)
_PREPOSITIONS = {"from", "in", "on", "for", "of", "by", "at"}
_TIME_RE = re.compile(
    r"\b(?:in\s+|during\s+|over\s+|within\s+)?(?:the\s+)?(?:last|past|previous)\s+"
    r"(?:(\d+|a|an|one|two|three|five|ten)\s+)?([a-z]+)\b"
)
_TODAY_RE = re.compile(r"\b(today|yesterday|this\s+hour|this\s+morning|recently|recent)\b")
_QUOTED_RE = re.compile(r'"([^"]+)"')
_TRACE_RE = re.compile(r"\b(?:trace(?:\s+id)?\s+)?([0-9a-f]{32})\b")
_WORD_RE = re.compile(r"[\w.\-/:]+")

# Words that suggest a question rather than the search language.
_CUES = {
    "show",
    "find",
    "get",
    "list",
    "give",
    "display",
    "search",
    "what",
    "which",
    "any",
    "me",
    "from",
    "last",
    "past",
    "today",
    "yesterday",
    "errors",
    "warnings",
    "critical",
    "logs",
    "issues",
    "problems",
    "recent",
}


@dataclass
class Interpretation:
    """The structured query and how each part of the question was read."""

    query: LogQuery
    notes: list[str] = field(default_factory=list)


def looks_natural(text: str) -> bool:
    """True when the text reads like a question, not like the search language."""
    if re.search(r'(^|\s)-\S|\w:\S|"', text):
        return False
    words = {w.lower() for w in _WORD_RE.findall(text)}
    return len(words & _CUES) >= 1 and len(words) >= 2


def _service_index(services: Iterable[str]) -> dict[str, set[str]]:
    """Each lowercased service name, and each of its parts (api-gateway: api, gateway)."""
    index: dict[str, set[str]] = {}
    for service in services:
        lowered = service.lower()
        index.setdefault(lowered, set()).add(service)
        for part in re.split(r"[-_.\s/]+", lowered):
            if len(part) >= 2:
                index.setdefault(part, set()).add(service)
    return index


def _singular(word: str) -> str:
    """A stem that, searched by prefix, finds singular and plural: queries -> quer."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _time_range(text: str, now_ns: int, notes: list[str]) -> tuple[str, int | None, int | None]:
    start = end = None
    match = _TIME_RE.search(text)
    if match and (match.group(2) in _UNIT_SECONDS):
        raw = match.group(1)
        count = 1 if raw is None else _NUMBER_WORDS.get(raw) or int(raw)
        seconds = count * _UNIT_SECONDS[match.group(2)]
        start = now_ns - seconds * NS
        notes.append(f"'{match.group(0).strip()}' -> the last {seconds} s")
        return text[: match.start()] + " " + text[match.end() :], start, end
    match = _TODAY_RE.search(text)
    if match:
        word = match.group(1)
        day = 86400 * NS
        midnight = now_ns - now_ns % day
        if word == "today":
            start = midnight
        elif word == "yesterday":
            start, end = midnight - day, midnight
        elif word.startswith("this hour"):
            start = now_ns - now_ns % (3600 * NS)
        elif word.startswith("this morning"):
            start, end = midnight, midnight + 12 * 3600 * NS
        else:  # recent, recently
            start = now_ns - 3600 * NS
        notes.append(f"'{word}' -> a time range (UTC)")
        return text[: match.start()] + " " + text[match.end() :], start, end
    return text, None, None


def interpret(text: str, known_services: Iterable[str], now_ns: int) -> Interpretation:
    """Turn a question into a LogQuery. `known_services` are the services seen in the
    data; only those can become service filters, anything else stays a search term."""
    query = LogQuery()
    notes: list[str] = []
    lowered = text.lower().strip().rstrip("?.!")
    for phrase in _QUOTED_RE.findall(lowered):
        (query.phrases if " " in phrase else query.terms).append(phrase)
    lowered = _QUOTED_RE.sub(" ", lowered)
    trace = _TRACE_RE.search(lowered)
    if trace:
        query.trace_id = trace.group(1)
        lowered = lowered[: trace.start()] + " " + lowered[trace.end() :]
        notes.append(f"trace id {query.trace_id}")
    lowered, query.start_ns, query.end_ns = _time_range(lowered, now_ns, notes)
    known = list(known_services)
    services = _service_index(known)
    full_names = {s.lower() for s in known}
    words = _WORD_RE.findall(lowered)
    previous = ""
    for i, raw in enumerate(words):
        word = raw.strip(".,;:!?'")
        if not word:
            continue
        levels = _LEVEL_WORDS.get(word)
        if levels is not None:
            for level in levels:
                if level not in query.levels:
                    query.levels.append(level)
            notes.append(f"'{word}' -> level {'/'.join(levels)}")
            previous = word
            continue
        following = words[i + 1] if i + 1 < len(words) else ""
        matched = _match_service(word, following, services, full_names)
        if matched:
            for service in sorted(matched):
                if service not in query.services:
                    query.services.append(service)
            notes.append(f"'{word}' -> service {', '.join(sorted(matched))}")
        elif word not in _FILLER and not (word.isdigit() and previous in _PREPOSITIONS):
            query.terms.append(_singular(word) if word.endswith("s") else word)
        previous = word
    return Interpretation(query, notes)


def _match_service(
    word: str, following: str, services: dict[str, set[str]], full_names: set[str]
) -> set[str]:
    if len(word) < 2:
        return set()
    if word in _FILLER:
        # A filler word names a service only when it is the service's whole name.
        return {s for s in services.get(word, set()) if s.lower() == word}
    if following and f"{word}-{following}" in full_names:
        return services[f"{word}-{following}"]
    return services.get(word) or services.get(_singular(word)) or set()
