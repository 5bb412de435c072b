"""Severity normalisation and the log search language."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentinel.logs import severity
from sentinel.logs.query import QuerySyntaxError, parse


@pytest.mark.parametrize(
    ("number", "text", "expected"),
    [
        (9, None, (9, "INFO")),
        (13, "whatever", (13, "WARN")),
        (24, None, (24, "FATAL")),
        (17, None, (17, "ERROR")),
        (None, "WARN", (13, "WARN")),
        (None, "warning", (13, "WARN")),
        (None, "Warning", (13, "WARN")),
        (None, "err", (17, "ERROR")),
        (None, "CRITICAL", (21, "FATAL")),
        (None, "emerg", (24, "FATAL")),
        (None, "notice", (10, "INFO")),
        (None, "SEVERITY_NUMBER_WARN2", (14, "WARN")),
        (None, "syslog:3", (17, "ERROR")),
        (None, "syslog:7", (5, "DEBUG")),
        (None, "18", (18, "ERROR")),
        (0, "", (9, "INFO")),
        (99, "nonsense", (9, "INFO")),
    ],
)
def test_severity_normalised(number: object, text: object, expected: tuple[int, str]) -> None:
    assert severity.normalize(number, text) == expected


def test_syslog_levels_map_in_order() -> None:
    numbers = [severity.from_syslog(n) for n in range(8)]
    assert numbers == sorted(numbers, reverse=True)
    assert severity.level_of(severity.from_syslog(4)) == "WARN"
    with pytest.raises(ValueError):
        severity.from_syslog(8)


@given(st.integers(min_value=1, max_value=24))
def test_every_otlp_number_keeps_its_number_and_level_range(number: int) -> None:
    stored, level = severity.normalize(number)
    low, high = severity.LEVEL_RANGES[level]
    assert stored == number and low <= number <= high


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("2024-01-01 12:00:00 ERROR db: connection refused", "ERROR"),
        ('ts=1 level=warn msg="slow"', "WARN"),
        ("[main] INFO started", "INFO"),
        ("no level in here at all", None),
    ],
)
def test_sniff_finds_a_written_level(line: str, level: str | None) -> None:
    number = severity.sniff(line)
    assert (severity.level_of(number) if number else None) == level


def test_levels_merge_into_ranges() -> None:
    assert severity.levels_to_ranges({"ERROR", "FATAL"}) == [(17, 24)]
    assert severity.levels_to_ranges({"DEBUG", "WARN"}) == [(5, 8), (13, 16)]


def test_query_language_parts() -> None:
    q = parse(
        'timeout "connection reset by peer" -healthcheck service:api -service:batch '
        "level:error,FATAL trace_id:4BF92F3577B34DA6A3CE929D0E0E4736 http.status_code:503 "
        '-env:staging user.id:"a b" pattern:12'
    )
    assert q.terms == ["timeout"]
    assert q.phrases == ["connection reset by peer"]
    assert q.exclude == ["healthcheck"]
    assert q.services == ["api"] and q.exclude_services == ["batch"]
    assert q.levels == ["ERROR", "FATAL"]
    assert q.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert q.attributes == {"http.status_code": "503", "user.id": "a b"}
    assert q.exclude_attributes == {"env": "staging"}
    assert q.pattern_ids == [12]


def test_plain_words_with_colons_stay_terms() -> None:
    q = parse("error: disk full")
    assert q.terms == ["error:", "disk", "full"]


@pytest.mark.parametrize(
    "bad",
    ["level:loud", "trace_id:xyz", "span_id:12", "pattern:abc", "-level:error", "x" * 2001],
)
def test_query_errors_say_what_is_wrong(bad: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse(bad)


@given(st.text(max_size=200))
def test_parser_never_crashes(text: str) -> None:
    with contextlib.suppress(QuerySyntaxError):
        parse(text)
