"""Span blocks (tracing/blocks.py): a block gives back the very rows ingest stored."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from sentinel.ingest.otlp.traces import decode_protobuf
from sentinel.tracing import blocks
from sentinel.tracing.records import KIND, PARENT_ID, SPAN_ID, START, STATUS, TRACE_ID

_text = st.text(max_size=300)
_attribute_values = st.one_of(
    _text.map(lambda v: AnyValue(string_value=v)),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: AnyValue(int_value=v)),
    st.booleans().map(lambda v: AnyValue(bool_value=v)),
)
_keys = st.sampled_from(
    ["http.request.method", "http.route", "http.response.status_code", "db.system",
     "peer.service", "server.address", "service.name", "customer.tier", "x"]
)  # fmt: skip
_attributes = st.lists(st.builds(KeyValue, key=_keys, value=_attribute_values), max_size=6)


@st.composite
def _span(draw: st.DrawFn) -> Span:
    start = draw(st.integers(1, 2**62))
    span = Span(
        trace_id=draw(st.binary(min_size=16, max_size=16).filter(any)),
        span_id=draw(st.binary(min_size=8, max_size=8).filter(any)),
        parent_span_id=draw(st.sampled_from([b"", b"\0" * 8, b"\xff" * 8, b"\x01" * 8])),
        name=draw(_text),
        kind=draw(st.integers(0, 7)),  # type: ignore[arg-type]
        start_time_unix_nano=start,
        end_time_unix_nano=start + draw(st.integers(0, 10**12)),
        attributes=draw(_attributes),
    )
    span.status.code = draw(st.integers(0, 3))  # type: ignore[assignment]
    span.status.message = draw(_text)
    return span


@st.composite
def _requests(draw: st.DrawFn) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for _ in range(draw(st.integers(1, 3))):
        resource_spans = ResourceSpans()
        resource_spans.resource.attributes.extend(draw(_attributes))
        for _ in range(draw(st.integers(1, 2))):
            scope = ScopeSpans(spans=draw(st.lists(_span(), min_size=1, max_size=5)))
            scope.scope.name = draw(_text)
            scope.scope.version = draw(_text)
            resource_spans.scope_spans.append(scope)
        request.resource_spans.append(resource_spans)
    return request


@settings(max_examples=150, deadline=None)
@given(_requests())
def test_a_block_gives_back_the_rows_and_resources_ingest_stored(
    request: ExportTraceServiceRequest,
) -> None:
    batch = decode_protobuf(request.SerializeToString())
    block = blocks.decode(blocks.encode(batch.rows, batch.resources))
    assert len(block) == len(batch.rows)
    assert [block.row(i) for i in range(len(block))] == batch.rows
    for i, row in enumerate(batch.rows):
        original = batch.resources[row[-2]]
        resource = block.resource(i)
        assert (resource.id, resource.service, resource.attributes) == (
            original.id,
            original.service,
            original.attributes,
        )
        # Stored as span_resources stores them.
        assert resource.scope_name == original.scope_name[:255]
        assert resource.scope_version == original.scope_version[:100]


@settings(max_examples=100, deadline=None)
@given(_requests())
def test_index_rows_locate_and_describe_each_span(request: ExportTraceServiceRequest) -> None:
    batch = decode_protobuf(request.SerializeToString())
    names = sorted(blocks.names_of(batch.rows))
    ids = {name: i + 1 for i, name in enumerate(names)}
    positions = blocks.positions_of(batch.rows, batch.rows)
    index = blocks.index_rows(42, batch.rows, positions, ids)
    assert len(index) == len(batch.rows)
    for position, (entry, row) in enumerate(zip(index, batch.rows, strict=True)):
        values = dict(zip(blocks.INDEX_COLUMNS, entry, strict=True))
        assert (values["block_id"], values["position"]) == (42, position)
        assert values["trace_key"] == blocks.trace_key(row[TRACE_ID])
        raw = bytes.fromhex(row[TRACE_ID])
        halves = bytes(a ^ b for a, b in zip(raw[:8], raw[8:], strict=True))
        assert values["trace_key"] == int.from_bytes(halves, "big", signed=True)
        assert values["span_key"] == int.from_bytes(bytes.fromhex(row[SPAN_ID]), "big", signed=True)
        assert (values["parent_key"] == 0) == (row[PARENT_ID] == "")
        assert (names[values["service_id"] - 1], names[values["name_id"] - 1]) == (row[3], row[4])
        assert (values["start_ns"], values["duration_ns"]) == (row[START], row[7])
        flags = values["flags"]
        assert flags & 7 == row[KIND] and (flags >> blocks.STATUS_SHIFT) & 3 == row[STATUS]
        assert bool(flags & blocks.ERROR_FLAG) == (row[STATUS] == 2)
        assert bool(flags & blocks.ROOT_FLAG) == (row[PARENT_ID] == "")


def test_positions_of_a_subsequence_name_the_very_rows() -> None:
    rows = [("t", str(i)) for i in range(5)]
    rows.append(rows[1])  # a span repeated in the batch: its first copy is the one stored
    fresh = [rows[0], rows[3], rows[4]]
    assert list(blocks.positions_of(rows, fresh)) == [0, 3, 4]
    assert list(blocks.positions_of(rows, rows)) == list(range(6))


def test_trace_keys_are_signed_int64() -> None:
    assert blocks.trace_key("00" * 8 + "ff" * 8) == -1
    assert blocks.trace_key("00" * 8 + "7f" + "ff" * 7) == 2**63 - 1
    assert blocks.trace_key("80" + "00" * 7 + "ff" * 8) == 2**63 - 1
    # 64-bit Jaeger/Zipkin ids (zero-padded) and ids sharing a prefix get keys of their own.
    assert blocks.trace_key("00" * 15 + "01") == 1
    assert blocks.trace_key("00" * 15 + "02") == 2
    assert blocks.trace_key("ab" * 8 + "00" * 7 + "01") != blocks.trace_key("ab" * 8 + "00" * 8)
    assert blocks.signed_keys(["", "8000000000000000"]) == (0, -(2**63))


@settings(max_examples=100, deadline=None)
@given(_requests(), st.data())
def test_a_cut_or_garbled_block_is_refused_with_block_error(
    request: ExportTraceServiceRequest, data: st.DataObject
) -> None:
    batch = decode_protobuf(request.SerializeToString())
    raw = zlib.decompress(blocks.encode(batch.rows, batch.resources))
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(blocks.BlockError):
        blocks.decode(zlib.compress(raw[:cut]))
    with pytest.raises(blocks.BlockError):
        blocks.decode(data.draw(st.binary(max_size=64)) + b"not zlib")


def test_a_block_of_another_version_is_refused() -> None:
    request = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                scope_spans=[
                    ScopeSpans(
                        spans=[
                            Span(trace_id=b"\1" * 16, span_id=b"\2" * 8, start_time_unix_nano=1,
                                 end_time_unix_nano=2)
                        ]
                    )
                ]
            )
        ]
    )  # fmt: skip
    batch = decode_protobuf(request.SerializeToString())
    raw = bytearray(zlib.decompress(blocks.encode(batch.rows, batch.resources)))
    raw[0] = 2
    with pytest.raises(blocks.BlockError, match="version 2"):
        blocks.decode(zlib.compress(bytes(raw)))
