"""Lean span decoding (tracing/lean.py): the same block, index rows, rejects and rollups
as today's decode_protobuf + blocks.index_rows + rollup.py give for the same request."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from benchmarks.span_factory import build_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from sentinel.ingest.otlp.traces import decode_protobuf
from sentinel.ingest.otlp.values import OtlpFormatError
from sentinel.tracing import blocks, lean, rollup
from sentinel.tracing.records import (
    DURATION,
    IS_ERROR,
    KIND,
    PARENT_ID,
    PEER,
    SERVICE,
    SPAN_ID,
    START,
    TRACE_ID,
    SpanRow,
)

# ---------------------------------------------------------------------------- requests

_text = st.text(max_size=40)
_peer_values = st.one_of(
    st.sampled_from(["", "db", "a", "cache.internal"]).map(lambda v: AnyValue(string_value=v)),
    st.integers(-5, 5).map(lambda v: AnyValue(int_value=v)),
)
_attributes = st.lists(
    st.builds(
        KeyValue,
        key=st.sampled_from(["peer.service", "server.address", "net.peer.name", "http.route", "x"]),
        value=_peer_values,
    ),
    max_size=4,
)
_ids16 = st.binary(min_size=16, max_size=16).filter(any)
_ids8 = st.binary(min_size=8, max_size=8).filter(any)


@st.composite
def _requests(draw: st.DrawFn) -> list[ExportTraceServiceRequest]:
    """Two requests over shared pools of trace and span ids, so the second repeats spans
    of the first and of itself and finds parents and children in both; some ids and
    times are invalid. Trace ids have distinct trace keys (lean matches by key)."""
    traces = draw(
        st.lists(_ids16, min_size=1, max_size=3, unique_by=lambda t: blocks.trace_key(t.hex()))
    )
    span_ids = draw(st.lists(_ids8, min_size=1, max_size=10, unique=True))
    bad16 = [b"", bytes(16), b"\x01" * 8]
    bad8 = [b"", bytes(8), b"\x01" * 4]

    def span() -> Span:
        # Mostly valid: one span in about eight is broken in one way.
        start = draw(st.sampled_from([1, 10**15, 60 * 10**9 * 7 + 5] * 8 + [0, 2**63 - 2]))
        end = start + draw(st.sampled_from([0, 1, 10**9, 61 * 10**9] * 8 + [-1, 2**62]))
        result = Span(
            trace_id=draw(st.sampled_from(traces * 12 + bad16)),
            span_id=draw(st.sampled_from(span_ids * 6 + bad8)),
            parent_span_id=draw(
                st.sampled_from([*span_ids] * 4 + [b"", bytes(8), b"\x01\x02\x03"])
            ),
            name=draw(_text),
            kind=draw(st.integers(0, 7)),  # type: ignore[arg-type]
            start_time_unix_nano=max(start, 0),
            end_time_unix_nano=min(max(end, 0), 2**64 - 1),
            attributes=draw(_attributes),
        )
        result.status.code = draw(st.integers(0, 3))  # type: ignore[assignment]
        result.status.message = draw(_text)
        return result

    def request() -> ExportTraceServiceRequest:
        message = ExportTraceServiceRequest()
        for _ in range(draw(st.integers(1, 3))):
            resource_spans = ResourceSpans()
            service = draw(st.sampled_from(["a", "b", None]))
            if service is not None:
                resource_spans.resource.attributes.append(
                    KeyValue(key="service.name", value=AnyValue(string_value=service))
                )
            for _ in range(draw(st.integers(1, 2))):
                scope = ScopeSpans(spans=[span() for _ in range(draw(st.integers(0, 8)))])
                scope.scope.name = draw(st.sampled_from(["", "lib"]))
                resource_spans.scope_spans.append(scope)
            message.resource_spans.append(resource_spans)
        return message

    return [request(), request()]


# ---------------------------------------------------------------------------- today's


def _stored_today(rows: list[SpanRow]) -> list[rollup.StoredSpan]:
    return [
        rollup.StoredSpan(r[TRACE_ID], r[SPAN_ID], r[PARENT_ID], r[SERVICE], r[START],
                          r[DURATION], r[IS_ERROR])
        for r in rows
    ]  # fmt: skip


def _stored_lean(spans: list[lean.LeanSpan]) -> list[lean.StoredSpan]:
    return [lean.StoredSpan(*s[:4], s[lean.START], s[lean.DURATION], s[lean.FLAGS]) for s in spans]


def _today(body: bytes, stored: list[rollup.StoredSpan], block_id: int) -> dict[str, Any]:
    """What today's ingest makes of `body` with `stored` already stored (writer.py)."""
    batch = decode_protobuf(body)
    rows = batch.rows
    fresh = rollup.first_copies(rows, {(s.trace_id, s.span_id) for s in stored})
    parents = rollup.parents_to_look_up(fresh)
    exits = rollup.exits_to_look_up(fresh)
    stored_parents, stored_children = rollup.stored_ends(stored, parents, exits)
    ids = {name: i for i, name in enumerate(sorted(blocks.names_of(rows)))}
    return {
        "batch": batch,
        "fresh": fresh,
        "block": blocks.encode(rows, batch.resources) if rows else None,
        "index": blocks.index_rows(block_id, fresh, blocks.positions_of(rows, fresh), ids),
        "ids": ids,
        "operations": sorted(rollup.operation_rollups(rollup.group_operations(fresh))),
        "edges": sorted(rollup.edge_rollups(fresh, stored_parents, stored_children)),
    }


def _lean(body: bytes, stored: list[lean.StoredSpan], block_id: int, ids: dict[str, int]) -> Any:
    batch = lean.decode(body)
    positions = lean.first_copies(batch.spans, {(s.trace_key, s.span_key) for s in stored})
    fresh = [batch.spans[p] for p in positions]
    return {
        "batch": batch,
        "fresh": fresh,
        "block": lean.encode_block(batch) if batch.spans else None,
        "index": lean.index_rows(block_id, batch.spans, positions, ids),
        "operations": sorted(rollup.operation_rollups(lean.group_operations(fresh))),
        "edges": sorted(lean.edge_rollups(fresh, stored)),
    }


def _assert_same(bodies: list[bytes]) -> None:
    """Each body in turn, with the spans of the ones before it stored."""
    stored_today: list[rollup.StoredSpan] = []
    stored_lean: list[lean.StoredSpan] = []
    for block_id, body in enumerate(bodies, start=1):
        today = _today(body, stored_today, block_id)
        mine = _lean(body, stored_lean, block_id, today["ids"])
        batch, lean_batch = today["batch"], mine["batch"]
        assert (lean_batch.rejected, lean_batch.problems) == (batch.rejected, batch.problems)
        assert lean_batch.resources == batch.resources
        assert mine["block"] == today["block"]
        assert mine["index"] == today["index"]
        assert mine["operations"] == today["operations"]
        assert mine["edges"] == today["edges"]
        for span, row in zip(lean_batch.spans, batch.rows, strict=True):
            assert span[lean.SERVICE] == row[SERVICE]
            if row[KIND] in rollup.EXIT_KINDS:
                assert span[lean.PEER] == row[PEER]
        stored_today += _stored_today(today["fresh"])
        stored_lean += _stored_lean(mine["fresh"])


# ------------------------------------------------------------------------------- tests


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_requests())
def test_lean_decoding_gives_todays_block_index_rows_rejects_and_rollups(
    requests: list[ExportTraceServiceRequest],
) -> None:
    _assert_same([r.SerializeToString() for r in requests])


def test_benchmark_batches_give_todays_block_index_rows_and_rollups() -> None:
    rng = random.Random(7)
    now = time.time_ns()
    first = build_request(1000, rng, now_ns=now)
    _assert_same([first, build_request(1000, rng, now_ns=now), first])


def _one_span(status_code: int = 0, **fields: Any) -> bytes:
    span = Span(
        trace_id=b"\x07" * 16,
        span_id=b"\x08" * 8,
        name="op",
        start_time_unix_nano=10**18,
        end_time_unix_nano=10**18 + 5,
    )
    for key, value in fields.items():
        setattr(span, key, value)
    span.status.code = status_code  # type: ignore[assignment]
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[span])])]
    )
    return request.SerializeToString()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"trace_id": b"\x07" * 8}, "traceId must be 16 bytes"),
        ({"trace_id": bytes(16)}, "traceId must be 16 bytes and not all zero"),
        ({"span_id": b"\x08" * 16}, "spanId must be 8 bytes"),
        ({"span_id": b""}, "spanId must be 8 bytes"),
        ({"parent_span_id": b"\x01\x02"}, "parentSpanId must be empty or 8 bytes"),
        ({"start_time_unix_nano": 0}, "needs 0 < startTimeUnixNano"),
        ({"end_time_unix_nano": 10**18 - 1}, "needs 0 < startTimeUnixNano"),
        ({"end_time_unix_nano": 2**63}, "needs 0 < startTimeUnixNano"),
        ({"name": "x" * 70_000}, "larger than 65536 bytes encoded"),
    ],
)
def test_an_invalid_span_is_rejected_as_today(fields: dict[str, Any], problem: str) -> None:
    body = _one_span(**fields)
    batch = lean.decode(body)
    assert batch.spans == []
    assert batch.payloads == []
    assert batch.rejected == 1
    assert problem in batch.problems[0]
    assert batch.problems == decode_protobuf(body).problems


def test_an_all_zero_parent_makes_a_root() -> None:
    batch = lean.decode(_one_span(parent_span_id=bytes(8)))
    assert batch.spans[0][lean.PARENT_KEY] == 0
    assert batch.spans[0][lean.FLAGS] & blocks.ROOT_FLAG


@pytest.mark.parametrize(
    "body",
    [
        b"\x0a\xff\xff\xff",  # a length past the end
        _one_span(name="xyzzy").replace(b"xyzzy", b"xy\xff\xfez"),  # a name not UTF-8
    ],
)
def test_a_body_that_is_not_a_trace_export_is_refused_as_today(body: bytes) -> None:
    with pytest.raises(OtlpFormatError):
        decode_protobuf(body)
    with pytest.raises(OtlpFormatError):
        lean.decode(body)


def test_a_negative_kind_or_status_reads_as_unspecified() -> None:
    batch = lean.decode(_one_span(kind=-3, status_code=-1))
    assert batch.spans[0][lean.FLAGS] == blocks.ROOT_FLAG  # kind 0, status 0, a root


def _request(*spans: tuple[str, Span]) -> bytes:
    """One resource per span, with the service named beside it."""
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource={"attributes": [KeyValue(key="service.name",
                                                   value=AnyValue(string_value=service))]},
                scope_spans=[ScopeSpans(spans=[span])],
            )
            for service, span in spans
        ]
    ).SerializeToString()  # fmt: skip


def test_edges_across_batches_pair_by_trace_key_as_today() -> None:
    trace = bytes(range(1, 17))
    minute = 60 * 10**9

    def span(span_id: int, parent: int, kind: int, peer: str = "") -> Span:
        return Span(
            trace_id=trace,
            span_id=span_id.to_bytes(8, "big"),
            parent_span_id=parent.to_bytes(8, "big") if parent else b"",
            name=f"op{span_id}",
            kind=kind,  # type: ignore[arg-type]
            start_time_unix_nano=100 * minute + span_id,
            end_time_unix_nano=100 * minute + span_id + 1000 * span_id,
            attributes=[KeyValue(key="peer.service", value=AnyValue(string_value=peer))]
            if peer
            else [],
        )

    server, client, internal = 2, 3, 1
    first = _request(
        ("web", span(1, 0, server)),
        ("web", span(2, 1, client, peer="api")),  # its callee (3) comes next batch
        ("web", span(5, 1, client, peer="mail")),  # never answered: an untraced edge
        ("db", span(11, 10, server)),  # its caller (10) comes next batch
        ("web", span(9, 8, server)),  # so does its caller (8), in the same service
    )
    second = _request(
        ("api", span(3, 2, server)),  # parent stored, in another service: api <- web
        ("web", span(4, 1, server)),  # parent stored, same service: no edge
        ("api", span(6, 3, internal)),
        ("api", span(10, 3, client, peer="db")),  # child stored: api -> db, traced
        ("web", span(8, 1, client, peer="web")),  # child stored, same service: no edge
    )
    _assert_same([first, second])
    stored = _stored_lean(lean.decode(first).spans)
    edges = lean.edge_rollups(lean.decode(second).spans, stored)
    assert sorted((caller, callee, traced, n) for _, caller, callee, traced, n, *_ in edges) == [
        ("api", "db", True, 1),
        ("web", "api", True, 1),
    ]
    first_edges = lean.edge_rollups(lean.decode(first).spans, [])
    assert sorted((e[1], e[2], e[3]) for e in first_edges) == [
        ("web", "api", False),
        ("web", "mail", False),
    ]
