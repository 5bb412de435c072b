"""The natural-language parser: one table of phrasings and the structured query each runs."""

from __future__ import annotations

from typing import Any

import pytest

from sentinel.logs.nlquery import interpret, looks_natural

NOW = 1_800_000_000 * 10**9 + 123  # a fixed clock: no test depends on the time of day
S = 10**9
SERVICES = ["database", "api-gateway", "payments-api", "user-service", "checkout", "search", "auth"]
E = ["ERROR", "FATAL"]

# (question, expected levels, services, terms, seconds back or None, also 'end' check)
TABLE: list[tuple[str, list[str], list[str], list[str], int | None]] = [
    ("show me errors from database", E, ["database"], [], None),
    ("find timeout issues in API", [], ["api-gateway", "payments-api"], ["timeout"], None),
    ("get critical logs from last hour", ["FATAL"], [], [], 3600),
    ("show errors in checkout in the last 15 minutes", E, ["checkout"], [], 900),
    ("warnings from user service", ["WARN"], ["user-service"], [], None),
    ("find connection refused in database", [], ["database"], ["connection", "refused"], None),
    ("any fatal errors today?", ["FATAL", "ERROR"], [], [], -1),
    ("list debug logs from auth past 2 hours", ["DEBUG"], ["auth"], [], 7200),
    ("show me all exceptions from payments", E, ["payments-api"], [], None),
    ("what happened in checkout in the last 30 min", [], ["checkout"], [], 1800),
    ("errors mentioning disk full", E, [], ["mentioning", "disk", "full"], None),
    ("find slow queries in database last day", [], ["database"], ["slow", "quer"], 86400),
    (
        "show warnings and errors from gateway",
        ["WARN", "ERROR", "FATAL"],
        ["api-gateway"],
        [],
        None,
    ),
    ("get logs from search over the past 10 minutes", [], ["search"], [], 600),
    ("find out of memory errors", E, [], ["out", "memory"], None),
    ('show "payment declined" errors from checkout', E, ["checkout"], ["payment declined"], None),
    ("critical issues in auth in the last 5 minutes", ["FATAL"], ["auth"], [], 300),
    ("show me info logs from database for the previous hour", ["INFO"], ["database"], [], 3600),
    ("find 503 errors in api", E, ["api-gateway", "payments-api"], ["503"], None),
    ("recent errors from user-service", E, ["user-service"], [], 3600),
    ("find null pointer exceptions in checkout", E, ["checkout"], ["null", "pointer"], None),
    ("show me failed login attempts from auth", [], ["auth"], ["failed", "login", "attempt"], None),
    ("errors from unknownsvc", E, [], ["unknownsvc"], None),
    ("show panics in the last 3 days", ["FATAL"], [], [], 3 * 86400),
    ("get warning logs from the last week", ["WARN"], [], [], 604800),
    ("timeout errors from database and checkout", E, ["database", "checkout"], ["timeout"], None),
    ("show me errors from search yesterday", E, ["search"], [], -2),
    (
        "find rate limit exceeded in gateway in the past 45 mins",
        [],
        ["api-gateway"],
        ["rate", "limit", "exceeded"],
        2700,
    ),
]


@pytest.mark.parametrize(("question", "levels", "services", "terms", "back"), TABLE)
def test_phrasing(
    question: str, levels: list[str], services: list[str], terms: list[str], back: int | None
) -> None:
    query = interpret(question, SERVICES, NOW).query
    assert sorted(query.levels) == sorted(levels)
    assert sorted(query.services) == sorted(services)
    assert sorted(query.terms + query.phrases) == sorted(terms)
    day = 86400 * S
    if back is None:
        assert query.start_ns is None and query.end_ns is None
    elif back == -1:  # today
        assert query.start_ns == NOW - NOW % day and query.end_ns is None
    elif back == -2:  # yesterday
        assert query.start_ns == NOW - NOW % day - day and query.end_ns == NOW - NOW % day
    else:
        assert query.start_ns == NOW - back * S


def test_table_is_big_enough() -> None:
    assert len(TABLE) >= 25


def test_trace_ids_are_picked_out() -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    query = interpret(f"show logs for trace {trace}", SERVICES, NOW).query
    assert query.trace_id == trace and query.terms == []


@pytest.mark.parametrize(
    ("text", "natural"),
    [
        ("show me errors from database", True),
        ("find timeout issues in API", True),
        ("timeout", False),
        ("service:api level:error", False),
        ('"connection reset" -health', False),
        ("errors today", True),
    ],
)
def test_detection(text: str, natural: bool) -> None:
    assert looks_natural(text) is natural


def test_same_question_same_query() -> None:
    first: Any = interpret("find timeout issues in API", SERVICES, NOW).query
    assert first == interpret("find timeout issues in API", SERVICES, NOW).query
