"""OTLP decoding (JSON and protobuf), response rules, filters and Jaeger parameters. Pure."""

from __future__ import annotations

import base64
import contextlib

import orjson
import pytest
from google.protobuf.json_format import Parse
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from sentinel.ingest.otlp import protocol, traces
from sentinel.ingest.otlp.protocol import Encoding
from sentinel.ingest.otlp.routes import TRACES
from sentinel.ingest.otlp.values import OtlpFormatError
from sentinel.tracing import payload
from sentinel.tracing.filters import AttributeFilter, parse_filter
from sentinel.tracing.jaeger import parse_go_duration, parse_tags
from sentinel.tracing.payload import MAX_PAYLOAD_BYTES
from sentinel.tracing.records import (
    DB_SYSTEM,
    DURATION,
    HTTP_METHOD,
    HTTP_ROUTE,
    HTTP_STATUS,
    PARENT_ID,
    PAYLOAD,
    PEER,
    TRACE_ID,
)
from tests.tracing_samples import otlp_json_trace


def test_json_ids_int64_strings_and_unknown_fields() -> None:
    batch = traces.decode_json(orjson.dumps(otlp_json_trace(base_ns=1_700_000_000_000_000_000)))
    assert batch.rejected == 0 and len(batch.rows) == 4
    root = batch.rows[0]
    assert root[TRACE_ID] == "5b8efff798038103d269b633813fc60c" and root[PARENT_ID] == ""
    assert root[DURATION] == 100_000_000
    assert payload.attributes(payload.decode(root[PAYLOAD]))["http.response.status_code"] == 500
    assert len(batch.resources) == 2


def test_json_and_protobuf_decode_to_the_same_rows() -> None:
    document = otlp_json_trace(base_ns=1_700_000_000_000_000_000)
    from_json = traces.decode_json(orjson.dumps(document))
    # Protobuf's own JSON mapping wants base64 bytes where OTLP JSON has hex.
    for rs in document["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    message = Parse(orjson.dumps(document), ExportTraceServiceRequest(), ignore_unknown_fields=True)
    from_pb = traces.decode_protobuf(message.SerializeToString())
    assert from_pb.rows == from_json.rows


def test_uppercase_hex_and_enum_names_are_accepted() -> None:
    document = otlp_json_trace()
    span = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["traceId"] = span["traceId"].upper()
    span["kind"] = "SPAN_KIND_SERVER"
    batch = traces.decode_json(orjson.dumps(document))
    assert batch.rejected == 0 and batch.rows[0][TRACE_ID] == span["traceId"].lower()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"traceId": "abc"}, "traceId"),
        ({"spanId": "00" * 8}, "spanId"),
        ({"parentSpanId": "abcd"}, "parentSpanId"),
        ({"startTimeUnixNano": "x"}, "startTimeUnixNano"),
        ({"endTimeUnixNano": "1"}, "endTimeUnixNano"),
        ({"attributes": "nope"}, "attributes"),
        ({"kind": 42}, "kind"),
    ],
)
def test_bad_spans_are_rejected_alone(change: dict[str, object], message: str) -> None:
    document = otlp_json_trace()
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[0].update(change)
    batch = traces.decode_json(orjson.dumps(document))
    assert batch.rejected == 1 and len(batch.rows) == 3
    assert message in batch.problems[0]


@pytest.mark.parametrize(
    "body", [b"{", b"[]", b'{"resourceSpans": {}}', b'{"resourceSpans": [1]}', b"\xff"]
)
def test_malformed_json_is_a_format_error(body: bytes) -> None:
    with pytest.raises(OtlpFormatError):
        traces.decode_json(body)


def test_truncated_protobuf_is_a_format_error() -> None:
    body = ExportTraceServiceRequest.SerializeToString(
        ExportTraceServiceRequest(resource_spans=[{"scope_spans": [{"spans": [{"name": "x"}]}]}])
    )
    with pytest.raises(OtlpFormatError):
        traces.decode_protobuf(body[:-2])


def test_span_size_limit() -> None:
    document = otlp_json_trace()
    span = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["attributes"] = [
        {"key": f"k{i}", "value": {"stringValue": "x" * 1000}} for i in range(100)
    ]
    batch = traces.decode_json(orjson.dumps(document))
    assert batch.rejected == 1 and str(MAX_PAYLOAD_BYTES) in batch.problems[0]


def test_promoted_attributes_come_from_the_encoded_span() -> None:
    document = otlp_json_trace()
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[0]["attributes"].append(
        {"key": "note", "value": {"stringValue": "mentions http.route and peer.service"}}
    )
    batch = traces.decode_json(orjson.dumps(document))
    root, client, _, db = batch.rows
    assert (root[HTTP_METHOD], root[HTTP_ROUTE], root[HTTP_STATUS]) == ("GET", "/checkout", 500)
    assert root[PEER] is None and client[PEER] == "checkout"
    assert (db[DB_SYSTEM], db[PEER]) == ("postgresql", "pg-main")


def test_negotiation_and_responses() -> None:
    assert protocol.negotiate("application/x-protobuf") is Encoding.PROTOBUF
    assert protocol.negotiate("application/protobuf") is Encoding.PROTOBUF
    assert protocol.negotiate("Application/JSON; charset=utf-8") is Encoding.JSON
    assert protocol.negotiate("text/plain") is None and protocol.negotiate(None) is None
    ok = protocol.success(TRACES, Encoding.PROTOBUF, 0, [])
    assert ok.body == b"" and ok.status == 200
    partial = protocol.success(TRACES, Encoding.PROTOBUF, 2, ["bad id"])
    parsed = ExportTraceServiceResponse.FromString(partial.body)
    assert parsed.partial_success.rejected_spans == 2
    assert orjson.loads(protocol.success(TRACES, Encoding.JSON, 2, ["bad"]).body) == {
        "partialSuccess": {"rejectedSpans": "2", "errorMessage": "bad"}
    }
    failure = protocol.failure(Encoding.PROTOBUF, 400, "nope")
    assert failure.body == b"\x08\x03\x12\x04nope"  # google.rpc.Status{code: 3, message}
    overloaded = protocol.failure(Encoding.JSON, 429, "full", retry_after=2)
    assert overloaded.headers == {"Retry-After": "2"}


def test_filter_and_jaeger_parameter_parsing() -> None:
    assert parse_filter("http.route=/a=b") == AttributeFilter("http.route", "=", "/a=b")
    assert parse_filter(" env != prod ") == AttributeFilter("env", "!=", "prod")
    assert parse_filter("db.system") == AttributeFilter("db.system", "exists")
    for bad in ("", "=x", 'a"b=1'):
        with pytest.raises(ValueError):
            parse_filter(bad)
    assert parse_go_duration("1.5s") == 1_500_000_000
    assert parse_go_duration("1m30s") == 90_000_000_000
    assert parse_go_duration("250us") == 250_000
    assert parse_go_duration("100") == 100_000
    with pytest.raises(ValueError):
        parse_go_duration("fast")
    assert parse_tags('{"a": "1", "b": 2}', ["c:3"]) == {"a": "1", "b": "2", "c": "3"}
    with pytest.raises(ValueError):
        parse_tags("[1]", [])


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
SPAN_FIELDS = "traceId spanId parentSpanId name kind startTimeUnixNano endTimeUnixNano"
span_keys = st.sampled_from([*SPAN_FIELDS.split(), "attributes", "status", "events", "links"])


@settings(max_examples=300)
@given(st.dictionaries(span_keys, json_values | st.text(max_size=40), max_size=11))
def test_any_json_span_is_stored_or_rejected_never_crashes(span: dict[str, object]) -> None:
    document = {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}
    batch = traces.decode_json(orjson.dumps(document))
    assert len(batch.rows) + batch.rejected == 1


@settings(max_examples=200)
@given(json_values)
def test_any_json_document_decodes_or_is_a_format_error(document: object) -> None:
    with contextlib.suppress(OtlpFormatError):
        traces.decode_json(orjson.dumps(document))


def test_out_of_range_numbers_are_rejected_or_dropped() -> None:
    document = otlp_json_trace()
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[0]["endTimeUnixNano"] = str(2**64)
    spans[1]["attributes"] = [{"key": "http.status_code", "value": {"intValue": str(2**40)}}]
    batch = traces.decode_json(orjson.dumps(document))
    assert batch.rejected == 1
    assert batch.rows[0][12] is None  # http_status_code out of range: not promoted


@settings(max_examples=200)
@given(
    st.text(min_size=1, max_size=40),
    st.one_of(st.text(max_size=300), st.integers(-(2**63), 2**63 - 1), st.booleans()),
)
def test_value_at_reads_what_was_encoded(key: str, value: object) -> None:
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    if isinstance(value, bool):
        any_value = AnyValue(bool_value=value)
    elif isinstance(value, int):
        any_value = AnyValue(int_value=value)
    else:
        any_value = AnyValue(string_value=str(value))
    span = Span(name="x", attributes=[KeyValue(key=key, value=any_value)])
    encoded = span.SerializeToString()
    assert payload.value_at(encoded, payload.key_marker(key)) == value


def test_value_at_reads_a_repeated_int_field_as_protobuf_does() -> None:
    """An AnyValue that sets int_value twice (legal protobuf: the last one wins) is not
    one varint: the fast path must leave it to the parser."""
    marker = payload.key_marker("http.status_code")
    twice = marker + bytes([5, 0x18, 0x93, 0x03, 0x18, 0x05])  # 403, then 5
    assert payload.value_at(twice, marker) == 5
    cut = marker + bytes([2, 0x18, 0x93])  # a varint without its last byte
    assert payload.value_at(cut, marker) is None
