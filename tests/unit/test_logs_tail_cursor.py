"""The live tail's cursor: what a stream has sent, with PostgreSQL's late commits."""

from __future__ import annotations

from sentinel.logs.query import parse
from sentinel.logs.tail import Cursor, tail_query


def test_sqlite_cursor_moves_to_the_highest_id_at_once() -> None:
    cursor = Cursor(floor=10, settle_seconds=0)
    cursor.sent = {11, 14}
    cursor.settle(20, now=100.0)
    assert cursor.floor == 20 and cursor.sent == set()


def test_postgres_cursor_trails_by_the_settle_time_and_remembers_what_it_sent() -> None:
    cursor = Cursor(floor=10, settle_seconds=2)
    cursor.sent = {12, 15}
    cursor.settle(15, now=100.0)
    # Id 11 or 13 may still commit: the floor stays, the sent ids are kept.
    assert cursor.floor == 10 and cursor.sent == {12, 15}
    cursor.sent.add(18)
    cursor.settle(18, now=101.0)
    assert cursor.floor == 10
    cursor.settle(18, now=102.0)  # 15 was the highest id 2 s ago
    assert cursor.floor == 15 and cursor.sent == {18}
    cursor.settle(21, now=104.5)  # 18 seen at 101.0 and 102.0, both settled now
    assert cursor.floor == 18 and cursor.sent == set()


def test_the_floor_never_moves_back() -> None:
    cursor = Cursor(floor=50, settle_seconds=0)
    cursor.settle(40, now=1.0)  # resumed from Last-Event-ID above a rolled-back id
    assert cursor.floor == 50


def test_a_tail_ignores_the_time_range_of_the_query() -> None:
    query = parse("timeout service:api")
    query.start_ns, query.end_ns = 1, 2
    tailed = tail_query(query)
    assert tailed.start_ns is None and tailed.end_ns is None
    assert tailed.terms == ["timeout"] and tailed.services == ["api"]
