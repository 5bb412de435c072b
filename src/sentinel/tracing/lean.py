"""Blocks-only span ingest: an OTLP request straight to its block, index fields and
rollup inputs. Pure.

What slice 5 of docs/storage-shape.md needs from a request and nothing more. Today's
`decode_protobuf` builds an 18-column row per span (three hex ids, five promoted
attributes found in the payload); here a span is a 9-tuple of integers and names:

    trace key, span key, parent key (0 for a root), service, operation, start,
    duration, flags (blocks.py's: kind, status, error, root), peer

The keys are those of `span_index` (blocks.py: the trace key is the XOR of the trace id's
halves), taken from the id bytes without hex. The promoted HTTP/DB attributes are not
read: they stay in the block and are read from it when a query needs them. Only `peer`
is, because the untraced edges of the service graph need it: `peer.service` (or
`server.address`, `net.peer.name`) of a client or producer span, None for other kinds.

Validation is today's: the full parse rejects a body that is not an
ExportTraceServiceRequest (OtlpFormatError, a 400), and a span is rejected, with the same
count and messages, where `records.add_span` rejects it. One difference: a negative kind
or status code, which protobuf's open enums let through, is read as 0 like an unknown
one; add_span keeps it, and its flags then come out negative. The block is blocks.py's format
(version 1): `encode_block` gives the very bytes `blocks.encode` gives for
`decode_protobuf`'s rows, so the block store's reads work on it unchanged.

Duplicates and edge ends are matched by (trace key, span key), not by the full ids: two
spans of different traces whose trace keys and span ids are equal (about 2**-128 for
random ids) count as one.
"""

from __future__ import annotations

import struct
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from sentinel.ingest.otlp.values import OtlpFormatError, pb_attributes
from sentinel.ingest.otlp.wire import ShallowRequest, ShallowSpan
from sentinel.tracing import sketch
from sentinel.tracing.blocks import (
    ERROR_FLAG,
    ROOT_FLAG,
    SCOPE_NAME_CHARS,
    SCOPE_VERSION_CHARS,
    STATUS_SHIFT,
    VERSION,
    IndexRow,
)
from sentinel.tracing.payload import MAX_PAYLOAD_BYTES, key_marker, value_at
from sentinel.tracing.records import (
    KIND_CLIENT,
    KIND_PRODUCER,
    MAX_NAME_CHARS,
    ResourceRow,
    SpanBatch,
    add_resource,
)
from sentinel.tracing.rollup import (
    ENTRY_KINDS,
    EXIT_KINDS,
    NS_PER_MINUTE,
    EdgeRollupRow,
    OperationGroups,
)

# (int, int, int, str, str, int, int, int, str | None), a plain tuple as records.SpanRow is
LeanSpan = tuple[Any, ...]
(
    TRACE_KEY,
    SPAN_KEY,
    PARENT_KEY,
    SERVICE,
    NAME,
    START,
    DURATION,
    FLAGS,
    PEER,
) = range(9)
KIND_MASK = (1 << STATUS_SHIFT) - 1
Key = tuple[int, int]  # (trace key, span key)

_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)
_MAX_INT64 = 2**63
_HALVES = struct.Struct(">qq").unpack
_KEY = struct.Struct(">q").unpack
_HEAD = struct.Struct("<BII")  # blocks.py's layout; the tests hold the bytes equal
_RESOURCE = struct.Struct("<qIIII")
_PEER = key_marker("peer.service")
_PEER_FALLBACK = (key_marker("server.address"), key_marker("net.peer.name"))


@dataclass
class LeanBatch:
    """One request's stored spans (in block order), with their payloads and resources."""

    spans: list[LeanSpan] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)  # per span: its OTLP Span bytes
    owners: list[int] = field(default_factory=list)  # per span: its resource id
    resources: dict[int, ResourceRow] = field(default_factory=dict)
    rejected: int = 0
    problems: list[str] = field(default_factory=list)


def _peer(payload: bytes) -> str | None:
    """An exit span's peer, as `records.add_span` finds it."""
    peer = value_at(payload, _PEER)
    if not peer:
        for marker in _PEER_FALLBACK:
            peer = value_at(payload, marker)
            if peer is not None:
                break
    return peer[:MAX_NAME_CHARS] if isinstance(peer, str) and peer else None


def decode(body: bytes) -> LeanBatch:
    """The lean batch of an ExportTraceServiceRequest; OtlpFormatError if it is not one."""
    try:
        ExportTraceServiceRequest.FromString(body)  # validates it all, UTF-8 included
        request = ShallowRequest.FromString(body)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise OtlpFormatError(f"the body is not a valid OTLP protobuf trace export: {exc}") from exc
    scratch = SpanBatch()  # resources and rejects, as decode_protobuf keeps them
    spans: list[LeanSpan] = []
    payloads: list[bytes] = []
    owners: list[int] = []
    add, keep, own = spans.append, payloads.append, owners.append
    parse = ShallowSpan.FromString
    halves, key = _HALVES, _KEY
    for resource_spans in request.resource_spans:
        resource = Resource.FromString(resource_spans.resource)
        resource_attrs = pb_attributes(resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope
            rid, service = add_resource(scratch, resource_attrs, scope.name, scope.version)
            for raw in scope_spans.spans:
                span = parse(raw)
                trace_id = span.trace_id
                span_id = span.span_id
                parent_id = span.parent_span_id
                if len(trace_id) != 16 or trace_id == _ZERO_TRACE:
                    scratch.reject(
                        f"span {span_id.hex() or '?'}: traceId must be 16 bytes and not all zero"
                    )
                    continue
                if len(span_id) != 8 or span_id == _ZERO_SPAN:
                    scratch.reject(
                        f"trace {trace_id.hex()}: spanId must be 8 bytes and not all zero"
                    )
                    continue
                if parent_id and (len(parent_id) != 8 or parent_id == _ZERO_SPAN):
                    if parent_id == _ZERO_SPAN:
                        parent_id = b""
                    else:
                        scratch.reject(
                            f"span {span_id.hex()}: parentSpanId must be empty or 8 bytes"
                        )
                        continue
                start = span.start_time_unix_nano
                end = span.end_time_unix_nano
                if start <= 0 or end < start or end >= _MAX_INT64:
                    scratch.reject(
                        f"span {span_id.hex()}: needs 0 < startTimeUnixNano"
                        " <= endTimeUnixNano < 2**63"
                    )
                    continue
                if len(raw) > MAX_PAYLOAD_BYTES:
                    scratch.reject(
                        f"span {span_id.hex()}: larger than {MAX_PAYLOAD_BYTES} bytes encoded"
                    )
                    continue
                kind = span.kind
                if not 0 <= kind <= 5:
                    kind = 0  # an unknown kind from a newer protocol version
                status = span.status.code
                if not 0 <= status <= 2:
                    status = 0
                flags = kind | status << STATUS_SHIFT
                if status == 2:
                    flags |= ERROR_FLAG
                if parent_id:
                    parent = key(parent_id)[0]
                else:
                    parent = 0
                    flags |= ROOT_FLAG
                high, low = halves(trace_id)
                add(
                    (
                        high ^ low,
                        key(span_id)[0],
                        parent,
                        service,
                        span.name[:MAX_NAME_CHARS],
                        start,
                        end - start,
                        flags,
                        _peer(raw) if kind in (KIND_CLIENT, KIND_PRODUCER) else None,
                    )
                )
                keep(raw)
                own(rid)
    return LeanBatch(spans, payloads, owners, scratch.resources, scratch.rejected, scratch.problems)


def block_bytes(batch: LeanBatch) -> bytes:
    """The batch's block before compression (blocks.py's layout, version 1)."""
    order = {rid: i for i, rid in enumerate(dict.fromkeys(batch.owners))}
    parts = [_HEAD.pack(VERSION, len(order), len(batch.spans))]
    for rid in order:
        r = batch.resources[rid]
        fields = (
            r.service.encode(),
            r.attributes.encode(),
            r.scope_name[:SCOPE_NAME_CHARS].encode(),
            r.scope_version[:SCOPE_VERSION_CHARS].encode(),
        )
        parts.append(_RESOURCE.pack(rid, *map(len, fields)))
        parts.extend(fields)
    count = len(batch.spans)
    parts.append(struct.pack(f"<{count}I", *[order[rid] for rid in batch.owners]))
    parts.append(struct.pack(f"<{count}I", *map(len, batch.payloads)))
    parts.extend(batch.payloads)
    return b"".join(parts)


def encode_block(batch: LeanBatch) -> bytes:
    """The batch's block, as `blocks.encode` makes it (zlib level 1); `blocks.decode`
    reads it."""
    return zlib.compress(block_bytes(batch), 1)


def names_of(spans: Iterable[LeanSpan]) -> set[str]:
    """The service and operation names the dictionary needs for these spans."""
    found: set[str] = set()
    for span in spans:
        found.add(span[SERVICE])
        found.add(span[NAME])
    return found


def first_copies(spans: Sequence[LeanSpan], stored: set[Key]) -> Sequence[int]:
    """Positions of the spans whose (trace key, span key) is not in `stored`, each span
    once (its first copy); `range(len(spans))` when nothing is dropped."""
    keys = [(s[TRACE_KEY], s[SPAN_KEY]) for s in spans]
    if len(set(keys)) == len(keys) and stored.isdisjoint(keys):
        return range(len(spans))
    seen = set(stored)
    fresh = []
    for position, span_key in enumerate(keys):
        if span_key not in seen:
            seen.add(span_key)
            fresh.append(position)
    return fresh


def index_rows(
    block_id: int, spans: Sequence[LeanSpan], positions: Sequence[int], ids: dict[str, int]
) -> list[IndexRow]:
    """The `span_index` rows of the spans at `positions` of block `block_id`; `ids` holds
    the dictionary id of every service and operation name."""
    rows = []
    for position in positions:
        s = spans[position]
        rows.append((block_id, position, s[0], s[1], s[2], ids[s[3]], ids[s[4]], s[5], s[6], s[7]))
    return rows


def group_operations(spans: Iterable[LeanSpan]) -> OperationGroups:
    """Durations and error count per (minute, service, operation): `rollup.
    group_operations` of the same spans, for `rollup.operation_rollups`."""
    groups: dict[tuple[int, str, str], list[int]] = defaultdict(list)
    errors: dict[tuple[int, str, str], int] = defaultdict(int)
    for s in spans:
        key = (s[START] // NS_PER_MINUTE, s[SERVICE], s[NAME])
        groups[key].append(s[DURATION])
        if s[FLAGS] & ERROR_FLAG:
            errors[key] += 1
    return {key: (durations, errors.get(key, 0)) for key, durations in groups.items()}


class StoredSpan(NamedTuple):
    """A stored span as the index gives it (service by name): what dedupe and edge
    pairing need."""

    trace_key: int
    span_key: int
    parent_key: int
    service: str
    start_ns: int
    duration_ns: int
    flags: int


def edge_rollups(spans: Sequence[LeanSpan], stored: Iterable[StoredSpan]) -> list[EdgeRollupRow]:
    """`rollup.edge_rollups` for these (fresh) spans, given the stored spans of their
    traces: edges completed by this batch, in it or against a stored parent of an entry
    span or a stored child of an exit span, and untraced edges named by exit spans."""
    by_key = {(s[TRACE_KEY], s[SPAN_KEY]): s for s in spans}
    children = {(s[TRACE_KEY], s[PARENT_KEY]) for s in spans if s[PARENT_KEY]}
    wanted_parents = {
        (s[TRACE_KEY], s[PARENT_KEY])
        for s in spans
        if s[PARENT_KEY] and s[FLAGS] & KIND_MASK in ENTRY_KINDS
    }.difference(by_key)
    exits = {
        k for k, s in by_key.items() if s[FLAGS] & KIND_MASK in EXIT_KINDS and k not in children
    }
    stored_parents: dict[Key, StoredSpan] = {}
    stored_children: list[StoredSpan] = []
    for st in stored:
        if wanted_parents and (st.trace_key, st.span_key) in wanted_parents:
            stored_parents[(st.trace_key, st.span_key)] = st
        if exits and st.parent_key and (st.trace_key, st.parent_key) in exits:
            stored_children.append(st)

    groups: dict[tuple[int, str, str, bool], list[int]] = defaultdict(list)
    errors: dict[tuple[int, str, str, bool], int] = defaultdict(int)
    paired_exits: set[Key] = set()

    def count(
        caller: str, callee: str, traced: bool, start: int, duration: int, flags: int
    ) -> None:
        key = (start // NS_PER_MINUTE, caller, callee, traced)
        groups[key].append(duration)
        if flags & ERROR_FLAG:
            errors[key] += 1

    for s in spans:
        if not s[PARENT_KEY]:
            continue
        k = (s[TRACE_KEY], s[PARENT_KEY])
        parent = by_key.get(k)
        if parent is not None:
            paired_exits.add(k)
            if parent[SERVICE] != s[SERVICE]:
                count(parent[SERVICE], s[SERVICE], True, s[START], s[DURATION], s[FLAGS])
            continue
        stored_parent = stored_parents.get(k)
        if stored_parent is not None and stored_parent.service != s[SERVICE]:
            count(stored_parent.service, s[SERVICE], True, s[START], s[DURATION], s[FLAGS])
    for child in stored_children:
        k = (child.trace_key, child.parent_key)
        parent = by_key.get(k)
        if parent is None:
            continue
        paired_exits.add(k)
        if parent[SERVICE] != child.service:
            count(parent[SERVICE], child.service, True, child.start_ns, child.duration_ns,
                  child.flags)  # fmt: skip
    for s in spans:
        peer = s[PEER]
        if (
            peer
            and s[FLAGS] & KIND_MASK in EXIT_KINDS
            and peer != s[SERVICE]
            and (s[TRACE_KEY], s[SPAN_KEY]) not in paired_exits
        ):
            count(s[SERVICE], peer, False, s[START], s[DURATION], s[FLAGS])
    return [
        (minute, caller, callee, traced, len(durations), errors.get(key, 0),
         sketch.encode_values(durations))
        for key, durations in groups.items()
        for (minute, caller, callee, traced) in [key]
    ]  # fmt: skip
