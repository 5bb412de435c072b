"""The derive worker's faster mining gives what the line-by-line way gave: the same shape
cache keys, the same pattern per line, the same per-minute counts and pattern stats."""

from __future__ import annotations

import dataclasses
import re

from hypothesis import given
from hypothesis import strategies as st

from sentinel.logs.derive import (
    MAX_EXAMPLE_CHARS,
    MAX_SERVICES_PER_PATTERN,
    MINUTE_NS,
    Miner,
    PatternStats,
    mine_batch,
)
from sentinel.logs.drain import Drain, shape_key
from sentinel.logs.severity import ERROR_NUMBER

_DIGITS = re.compile(r"\d+")


def _reference_key(message: str) -> str:
    return _DIGITS.sub("0", message)


# ASCII letters and digits, spaces, and Unicode digits (Arabic-Indic, fullwidth, Devanagari)
# that \d matches too, plus a non-digit non-ASCII letter.
_CHARS = st.sampled_from([*"ab xyz=/.-0123456789", "\u0663", "\uff15", "\u0967", "é"])


@given(st.lists(st.text(_CHARS, max_size=30), min_size=2, max_size=6))
def test_shape_keys_are_equal_exactly_when_digit_runs_collapse_to_the_same_line(
    messages: list[str],
) -> None:
    for a in messages:
        for b in messages:
            same_shape = _reference_key(a) == _reference_key(b)
            assert (shape_key(a) == shape_key(b)) == same_shape, (a, b)


def test_a_line_with_other_digits_shares_the_shape_of_its_ascii_twin() -> None:
    assert shape_key("took \u0663\u0664 ms") == shape_key("took 9000 ms") == b"took 0 ms"
    assert shape_key("user 1 2") != shape_key("user 12")
    assert shape_key("0000") == shape_key("7") == b"0"


def _mine_line_by_line(
    miner: Miner, rows: list[tuple[int, int, str, int, str]]
) -> tuple[dict[int, int], dict[tuple[int, int, str], list[int]], set[int]]:
    """The derive worker's mining before it grouped lines first (the reference)."""
    stats = miner.stats
    assigned: dict[int, int] = {}
    minutes: dict[tuple[int, int, str], list[int]] = {}
    dirty: set[int] = set()
    for record_id, time_ns, service, number, body in rows:
        pid = miner.drain.add(body)[0].id
        assigned[record_id] = pid
        dirty.add(pid)
        is_error = number >= ERROR_NUMBER
        s = stats.get(pid)
        if s is None:
            s = stats[pid] = PatternStats(
                first_seen_ns=time_ns, last_seen_ns=time_ns, example=body[:MAX_EXAMPLE_CHARS]
            )
        s.count += 1
        s.error_count += is_error
        s.first_seen_ns = min(s.first_seen_ns, time_ns)
        s.last_seen_ns = max(s.last_seen_ns, time_ns)
        s.max_severity = max(s.max_severity, number)
        if service not in s.services and len(s.services) < MAX_SERVICES_PER_PATTERN:
            s.services.append(service)
        slot = minutes.setdefault((time_ns // MINUTE_NS, pid, service), [0, 0])
        slot[0] += 1
        slot[1] += is_error
    return assigned, minutes, dirty


_BODIES = st.one_of(
    st.builds("user {} logged in from 10.0.0.{}".format, st.integers(0, 999), st.integers(0, 9)),
    st.builds("payment {} declined after {} ms".format, st.integers(0, 99), st.integers(0, 9999)),
    st.builds("cache miss for key {}".format, st.sampled_from(["alpha", "beta", "db-3", "x7"])),
    st.sampled_from(["worker started", "worker stopped", "heartbeat ok"]),
)
_LINE = st.tuples(
    st.integers(1, 3),  # id step: 2 and 3 leave ids with no line
    st.integers(0, 5 * MINUTE_NS),  # time: out of order across minutes
    st.sampled_from(["api", "db", "web"]),
    st.sampled_from([5, 9, 13, 17, 21]),
    _BODIES,
)


def _rows(lines: list[tuple[int, int, str, int, str]], start: int) -> list[tuple[int, ...]]:
    rows: list[tuple[int, ...]] = []
    record_id = start
    for step, offset, service, number, body in lines:
        record_id += step
        rows.append((record_id, 10**18 + offset, service, number, body))  # type: ignore[arg-type]
    return rows


@given(st.lists(st.lists(_LINE, min_size=1, max_size=40), min_size=1, max_size=3))
def test_a_batch_mined_in_groups_equals_it_mined_line_by_line(
    batches: list[list[tuple[int, int, str, int, str]]],
) -> None:
    reference, grouped = Miner(drain=Drain()), Miner(drain=Drain())
    start = 0
    for lines in batches:
        rows = _rows(lines, start)
        start = rows[-1][0]
        assigned, minutes, dirty = _mine_line_by_line(reference, rows)  # type: ignore[arg-type]
        pattern_ids, groups, touched = mine_batch(grouped, rows)
        first = rows[0][0]
        assert {first + i: p for i, p in enumerate(pattern_ids) if p is not None} == assigned
        assert sum(p is not None for p in pattern_ids) == len(rows)
        assert {k: g[:2] for k, g in groups.items()} == minutes
        assert touched == dirty
        assert {p: dataclasses.asdict(s) for p, s in grouped.stats.items()} == {
            p: dataclasses.asdict(s) for p, s in reference.stats.items()
        }
