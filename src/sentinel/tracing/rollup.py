"""Per-minute rollups of a span batch: per service+operation and per service-graph edge. Pure.

Every span counts once: a span already stored (a retried export) or repeated inside the
batch is dropped before counting (`first_copies`). Edges pair a parent span with a child
span in another service. The pair is counted once, when its second span arrives: in the
same batch, or against spans already stored (the caller looks up the stored spans of the
batch's traces before inserting the batch).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter

from sentinel.tracing import sketch
from sentinel.tracing.records import (
    DURATION,
    IS_ERROR,
    KIND,
    KIND_CLIENT,
    KIND_CONSUMER,
    KIND_PRODUCER,
    KIND_SERVER,
    NAME,
    PARENT_ID,
    PEER,
    SERVICE,
    SPAN_ID,
    START,
    TRACE_ID,
    SpanRow,
)

NS_PER_MINUTE = 60_000_000_000
ENTRY_KINDS = (KIND_SERVER, KIND_CONSUMER)
EXIT_KINDS = (KIND_CLIENT, KIND_PRODUCER)

# (minute, service, operation, count, errors, duration sum ns, sketch bytes)
OperationRollupRow = tuple[int, str, str, int, int, int, bytes]
# (minute, caller, callee, traced, count, errors, sketch bytes)
EdgeRollupRow = tuple[int, str, str, bool, int, int, bytes]


@dataclass(frozen=True)
class StoredSpan:
    """What edge pairing needs to know about a span that is already stored."""

    trace_id: str
    span_id: str
    parent_span_id: str
    service: str
    start_ns: int
    duration_ns: int
    is_error: bool


OperationGroups = dict[tuple[int, str, str], tuple[list[int], int]]


def group_operations(rows: Iterable[SpanRow]) -> OperationGroups:
    """Durations and error count per (minute, service, operation)."""
    groups: dict[tuple[int, str, str], list[int]] = defaultdict(list)
    errors: dict[tuple[int, str, str], int] = defaultdict(int)
    for row in rows:
        key = (row[START] // NS_PER_MINUTE, row[SERVICE], row[NAME])
        groups[key].append(row[DURATION])
        if row[IS_ERROR]:
            errors[key] += 1
    return {key: (durations, errors.get(key, 0)) for key, durations in groups.items()}


def operation_rollups(groups: OperationGroups) -> list[OperationRollupRow]:
    return [
        (minute, service, name, len(durations), errors, sum(durations),
         sketch.encode_values(durations))
        for (minute, service, name), (durations, errors) in groups.items()
    ]  # fmt: skip


def first_copies(rows: list[SpanRow], stored: set[tuple[str, str]]) -> list[SpanRow]:
    """The rows whose (trace id, span id) is not in `stored`, each span once (its first
    copy, the one INSERT OR IGNORE keeps). `rows` itself when nothing is dropped."""
    keys = list(zip(map(itemgetter(TRACE_ID), rows), map(itemgetter(SPAN_ID), rows), strict=True))
    if len(set(keys)) == len(keys) and stored.isdisjoint(keys):
        return rows  # the usual batch, checked without a Python loop per span
    seen = set(stored)
    fresh = []
    for key, row in zip(keys, rows, strict=True):
        if key not in seen:
            seen.add(key)
            fresh.append(row)
    return fresh


def stored_ends(
    stored: Iterable[StoredSpan], parents: set[tuple[str, str]], exits: set[tuple[str, str]]
) -> tuple[dict[tuple[str, str], StoredSpan], list[StoredSpan]]:
    """From the stored spans of a batch's traces: the parents it looks up (by trace id and
    span id) and the children of its exit spans (`parents_to_look_up`, `exits_to_look_up`)."""
    found_parents: dict[tuple[str, str], StoredSpan] = {}
    found_children: list[StoredSpan] = []
    for span in stored:
        if parents and (span.trace_id, span.span_id) in parents:
            found_parents[(span.trace_id, span.span_id)] = span
        if exits and span.parent_span_id and (span.trace_id, span.parent_span_id) in exits:
            found_children.append(span)
    return found_parents, found_children


def parents_to_look_up(rows: list[SpanRow]) -> set[tuple[str, str]]:
    """(trace id, parent span id) of entry spans whose parent is not in this batch."""
    present = {(row[TRACE_ID], row[SPAN_ID]) for row in rows}
    return {
        (row[TRACE_ID], row[PARENT_ID])
        for row in rows
        if row[PARENT_ID]
        and row[KIND] in ENTRY_KINDS
        and (row[TRACE_ID], row[PARENT_ID]) not in present
    }


def exits_to_look_up(rows: list[SpanRow]) -> set[tuple[str, str]]:
    """(trace id, span id) of exit spans whose callee span may already be stored."""
    children = {(row[TRACE_ID], row[PARENT_ID]) for row in rows if row[PARENT_ID]}
    return {
        (row[TRACE_ID], row[SPAN_ID])
        for row in rows
        if row[KIND] in EXIT_KINDS and (row[TRACE_ID], row[SPAN_ID]) not in children
    }


def edge_rollups(
    rows: list[SpanRow],
    stored_parents: Mapping[tuple[str, str], StoredSpan],
    stored_children: Iterable[StoredSpan],
) -> list[EdgeRollupRow]:
    """Edges completed by this batch, and untraced edges named by exit spans.

    A call's latency and error are the callee span's (the server's view).
    """
    by_id = {(row[TRACE_ID], row[SPAN_ID]): row for row in rows}
    groups: dict[tuple[int, str, str, bool], list[int]] = defaultdict(list)
    errors: dict[tuple[int, str, str, bool], int] = defaultdict(int)
    paired_exits: set[tuple[str, str]] = set()

    def add(caller: str, callee: str, traced: bool, start: int, duration: int, err: bool) -> None:
        key = (start // NS_PER_MINUTE, caller, callee, traced)
        groups[key].append(duration)
        if err:
            errors[key] += 1

    for row in rows:
        parent_id = row[PARENT_ID]
        if not parent_id:
            continue
        key = (row[TRACE_ID], parent_id)
        parent = by_id.get(key)
        if parent is not None:
            paired_exits.add(key)
            if parent[SERVICE] != row[SERVICE]:
                add(parent[SERVICE], row[SERVICE], True, row[START], row[DURATION], row[IS_ERROR])
            continue
        stored = stored_parents.get(key)
        if stored is not None and stored.service != row[SERVICE]:
            add(stored.service, row[SERVICE], True, row[START], row[DURATION], row[IS_ERROR])
    for child in stored_children:
        key = (child.trace_id, child.parent_span_id)
        parent = by_id.get(key)
        if parent is None:
            continue
        paired_exits.add(key)
        if parent[SERVICE] != child.service:
            add(parent[SERVICE], child.service, True, child.start_ns, child.duration_ns,
                child.is_error)  # fmt: skip
    for row in rows:
        peer = row[PEER]
        if (
            peer
            and row[KIND] in EXIT_KINDS
            and peer != row[SERVICE]
            and (row[TRACE_ID], row[SPAN_ID]) not in paired_exits
        ):
            add(row[SERVICE], peer, False, row[START], row[DURATION], row[IS_ERROR])
    return [
        (minute, caller, callee, traced, len(durations), errors.get(key, 0),
         sketch.encode_values(durations))
        for key in groups
        for (minute, caller, callee, traced), durations in [(key, groups[key])]
    ]  # fmt: skip
