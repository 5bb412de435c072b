"""Severity normalisation: OTLP numbers (1-24), level names in any case, syslog levels.

Every record is stored with an OTLP severity number and one canonical level name, so a
search for `level:warn` finds WARN, WARNING, warning and syslog's 4 alike.
"""

from __future__ import annotations

import re
from typing import Any

TRACE, DEBUG, INFO, WARN, ERROR, FATAL = "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"
LEVELS: tuple[str, ...] = (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)
# The OTLP severity number range of each canonical level (inclusive).
LEVEL_RANGES: dict[str, tuple[int, int]] = {
    TRACE: (1, 4),
    DEBUG: (5, 8),
    INFO: (9, 12),
    WARN: (13, 16),
    ERROR: (17, 20),
    FATAL: (21, 24),
}
LEVEL_NUMBER = {level: low for level, (low, _high) in LEVEL_RANGES.items()}
ERROR_NUMBER = LEVEL_NUMBER[ERROR]
UNSPECIFIED = 0

_NAMES: dict[str, int] = {
    "trace": 1,
    "finest": 1,
    "finer": 2,
    "verbose": 3,
    "debug": 5,
    "dbg": 5,
    "fine": 5,
    "config": 7,
    "info": 9,
    "information": 9,
    "informational": 9,
    "notice": 10,  # syslog notice: above info, below warning
    "warn": 13,
    "warning": 13,
    "error": 17,
    "err": 17,
    "severe": 17,
    "exception": 17,
    "fatal": 21,
    "critical": 21,
    "crit": 21,
    "alert": 22,
    "panic": 23,
    "emerg": 24,
    "emergency": 24,
}
# OTLP SeverityNumber enum names (OTLP JSON may send them as strings).
for _level, (_low, _high) in LEVEL_RANGES.items():
    for _i, _n in enumerate(range(_low, _high + 1)):
        _suffix = "" if _i == 0 else str(_i + 1)
        _NAMES[f"severity_number_{_level.lower()}{_suffix}"] = _n
        _NAMES[f"{_level.lower()}{_suffix}"] = _n
_NAMES["severity_number_unspecified"] = UNSPECIFIED

# Syslog severities (RFC 5424): 0 emergency ... 7 debug.
_SYSLOG = (24, 22, 21, 17, 13, 10, 9, 5)


def level_of(number: int) -> str:
    """The canonical level name of an OTLP severity number (0 counts as INFO)."""
    if number <= 0:
        return INFO
    if number > 24:
        return FATAL
    return LEVELS[(number - 1) // 4]


def from_syslog(number: int) -> int:
    """A syslog severity (0 emergency ... 7 debug) as an OTLP severity number."""
    if not 0 <= number <= 7:
        raise ValueError(f"syslog severity {number} is not 0..7")
    return _SYSLOG[number]


def parse_level_name(text: str) -> int | None:
    """A level name in any case ('WARNING', 'warn', 'Err', 'SEVERITY_NUMBER_INFO2')."""
    return _NAMES.get(text.strip().lower())


def normalize(number: Any = None, text: Any = None) -> tuple[int, str]:
    """(OTLP severity number, canonical level) from whatever a sender gave.

    A valid OTLP number wins; otherwise the text is read as a level name, an OTLP number
    in digits, or 'syslog:N'. With neither, the record is INFO (number 0 kept as 9).
    """
    if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= 24:
        return number, level_of(number)
    if isinstance(text, str) and text:
        named = _NAMES.get(text.strip().lower())
        if named is None:
            named = _parse_numeric(text.strip())
        if named:
            return named, level_of(named)
    if isinstance(text, int) and not isinstance(text, bool) and 1 <= text <= 24:
        return text, level_of(text)
    return LEVEL_NUMBER[INFO], INFO


def _parse_numeric(text: str) -> int | None:
    lowered = text.lower()
    if lowered.startswith("syslog:") and lowered[7:].isdigit():
        value = int(lowered[7:])
        return _SYSLOG[value] if 0 <= value <= 7 else None
    if text.isdigit():
        value = int(text)
        return value if 1 <= value <= 24 else None
    return None


def levels_to_ranges(levels: set[str]) -> list[tuple[int, int]]:
    """Merge canonical levels into contiguous severity-number ranges for SQL."""
    ranges: list[tuple[int, int]] = []
    for level in LEVELS:
        if level not in levels:
            continue
        low, high = LEVEL_RANGES[level]
        if level == INFO:
            low = 0  # unspecified severities are stored as INFO's 9, but be lenient
        if ranges and ranges[-1][1] + 1 >= low:
            ranges[-1] = (ranges[-1][0], high)
        else:
            ranges.append((low, high))
    return ranges


_SNIFF = re.compile(
    r"(?:\b(?:level|lvl|severity)[=:]\s*\"?([A-Za-z]+)"
    r"|\b(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|PANIC|SEVERE)\b)"
)


def sniff(body: str) -> int | None:
    """A level written in the line itself ('... ERROR ...', 'level=warn'), for senders
    that have no severity field (Loki lines, plain NDJSON). Looks at the first 160
    characters only: the level sits at the start of every common layout."""
    match = _SNIFF.search(body, 0, 160)
    if match is None:
        return None
    return _NAMES.get((match.group(1) or match.group(2)).lower())
