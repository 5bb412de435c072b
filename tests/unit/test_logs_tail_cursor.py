"""The live tail's cursor and query (late commits: tests/e2e/test_logs_tail_late_commit.py)."""

from __future__ import annotations

from sentinel.logs.query import parse
from sentinel.logs.tail import Cursor, tail_query


def test_the_cursor_moves_to_the_high_water_of_each_poll() -> None:
    cursor = Cursor(floor=10)
    cursor.advance(20)
    assert cursor.floor == 20


def test_the_floor_never_moves_back() -> None:
    cursor = Cursor(floor=50)
    cursor.advance(40)  # resumed from Last-Event-ID above a rolled-back id
    assert cursor.floor == 50


def test_a_tail_ignores_the_time_range_of_the_query() -> None:
    query = parse("timeout service:api")
    query.start_ns, query.end_ns = 1, 2
    tailed = tail_query(query)
    assert tailed.start_ns is None and tailed.end_ns is None
    assert tailed.terms == ["timeout"] and tailed.services == ["api"]
