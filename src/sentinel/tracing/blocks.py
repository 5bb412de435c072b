"""Span blocks: one ingest batch's spans in one compressed blob, and their index rows. Pure.

The block store of docs/storage-shape.md. A block keeps each span's OTLP `Span` encoding
(the bytes ingest already stores in `spans.payload`) and the resources and scopes they
came with; every column of a span row is rebuilt from those by the same `add_span` that
ingest runs, so a span read from a block equals its row. Layout before zlib (level 1),
integers little-endian:

    version u8 (1), resource count u32, span count u32
    per resource: id i64, then service, attributes (JSON), scope name, scope version,
                  each a u32 byte length and its UTF-8
    per span: the index of its resource (u32)
    per span: the length of its payload (u32)
    the payloads, one after another

An index row is all integers: block id, position in the block, trace key, span id and
parent (signed int64; 0 for a root), service and operation dictionary ids, start,
duration and flags. The trace key is the XOR of the trace id's two 8-byte halves (a
signed int64): either half alone is shared by many traces in common id schemes (64-bit
Jaeger/Zipkin ids are zero-padded on the left, X-Ray puts the time first, some
generators a per-process prefix), and a shared key makes a trace read decode every
block holding a span with that key.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate

from google.protobuf.message import DecodeError

from sentinel.ingest.otlp.wire import ShallowSpan
from sentinel.tracing.records import (
    DURATION,
    IS_ERROR,
    KIND,
    NAME,
    PARENT_ID,
    PAYLOAD,
    RESOURCE_ID,
    SERVICE,
    SPAN_ID,
    START,
    STATUS,
    TRACE_ID,
    ResourceRow,
    SpanBatch,
    SpanRow,
    add_span,
)

VERSION = 1
# The widths span_resources stores scope names and versions in (writer._upsert_resources).
SCOPE_NAME_CHARS = 255
SCOPE_VERSION_CHARS = 100
# flags: kind in bits 0-2, status code in bits 3-4, then error and root.
STATUS_SHIFT = 3
ERROR_FLAG = 1 << 5
ROOT_FLAG = 1 << 6

IndexRow = tuple[int, int, int, int, int, int, int, int, int, int]
INDEX_COLUMNS = (
    "block_id",
    "position",
    "trace_key",
    "span_key",
    "parent_key",
    "service_id",
    "name_id",
    "start_ns",
    "duration_ns",
    "flags",
)
_HEAD = struct.Struct("<BII")
_RESOURCE = struct.Struct("<qIIII")


class BlockError(ValueError):
    """The bytes are not a block this version wrote."""


def signed_keys(hex_ids: Sequence[str]) -> tuple[int, ...]:
    """16-hex ids as signed int64s; "" is 0."""
    raw = bytes.fromhex("".join(h or "0" * 16 for h in hex_ids))
    return struct.unpack(f">{len(hex_ids)}q", raw)


def trace_keys(trace_ids: Sequence[str]) -> list[int]:
    """The index keys of 32-hex trace ids: the XOR of their halves, a signed int64."""
    high = signed_keys([t[:16] for t in trace_ids])
    low = signed_keys([t[16:] for t in trace_ids])
    return [h ^ lo for h, lo in zip(high, low, strict=True)]


def trace_key(trace_id: str) -> int:
    return trace_keys([trace_id])[0]


def flags(row: SpanRow) -> int:
    value: int = row[KIND] | row[STATUS] << STATUS_SHIFT
    if row[IS_ERROR]:
        value |= ERROR_FLAG
    if not row[PARENT_ID]:
        value |= ROOT_FLAG
    return value


def names_of(rows: Iterable[SpanRow]) -> set[str]:
    """The service and operation names the dictionary needs for these rows."""
    found: set[str] = set()
    for row in rows:
        found.add(row[SERVICE])
        found.add(row[NAME])
    return found


def index_rows(
    block_id: int, rows: Sequence[SpanRow], positions: Sequence[int], ids: Mapping[str, int]
) -> list[IndexRow]:
    """The index rows of `rows`, found at `positions` of block `block_id`; `ids` holds
    the dictionary id of every service and operation name."""
    traces = trace_keys([row[TRACE_ID] for row in rows])
    spans = signed_keys([row[SPAN_ID] for row in rows])
    parents = signed_keys([row[PARENT_ID] for row in rows])
    return [
        (
            block_id,
            position,
            trace,
            span,
            parent,
            ids[row[SERVICE]],
            ids[row[NAME]],
            row[START],
            row[DURATION],
            flags(row),
        )
        for position, trace, span, parent, row in zip(
            positions, traces, spans, parents, rows, strict=True
        )
    ]


def positions_of(block_rows: Sequence[SpanRow], rows: Sequence[SpanRow]) -> Sequence[int]:
    """Where each of `rows` (the very row objects, a subsequence) sits in the block's."""
    if rows is block_rows:
        return range(len(rows))
    at = {id(row): i for i, row in enumerate(block_rows)}
    return [at[id(row)] for row in rows]


def _text(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("<I", len(raw)) + raw


def encode(rows: Sequence[SpanRow], resources: Mapping[int, ResourceRow]) -> bytes:
    """The compressed block of these rows (in this order); `resources` holds theirs."""
    order: dict[int, int] = {}
    for row in rows:
        order.setdefault(row[RESOURCE_ID], len(order))
    parts = [_HEAD.pack(VERSION, len(order), len(rows))]
    for rid in order:
        r = resources[rid]
        fields = (
            r.service.encode(),
            r.attributes.encode(),
            r.scope_name[:SCOPE_NAME_CHARS].encode(),
            r.scope_version[:SCOPE_VERSION_CHARS].encode(),
        )
        parts.append(_RESOURCE.pack(rid, *map(len, fields)))
        parts.extend(fields)
    count = len(rows)
    parts.append(struct.pack(f"<{count}I", *[order[row[RESOURCE_ID]] for row in rows]))
    parts.append(struct.pack(f"<{count}I", *[len(row[PAYLOAD]) for row in rows]))
    parts.extend(row[PAYLOAD] for row in rows)
    return zlib.compress(b"".join(parts), 1)


@dataclass(frozen=True)
class Block:
    """A decoded block: its resources, and per span its resource and payload."""

    resources: tuple[ResourceRow, ...]
    owners: tuple[int, ...]  # per span: index into resources
    offsets: tuple[int, ...]  # payload i is data[offsets[i]:offsets[i + 1]]
    data: bytes  # the whole decompressed block

    def __len__(self) -> int:
        return len(self.owners)

    def payload(self, position: int) -> bytes:
        return self.data[self.offsets[position] : self.offsets[position + 1]]

    def resource(self, position: int) -> ResourceRow:
        return self.resources[self.owners[position]]

    def row(self, position: int) -> SpanRow:
        """The span row ingest made of this span (the same validation and columns)."""
        raw = self.payload(position)
        resource = self.resource(position)
        try:
            span = ShallowSpan.FromString(raw)
        except DecodeError as exc:
            raise BlockError(f"span {position} of the block does not parse: {exc}") from exc
        scratch = SpanBatch()
        add_span(
            scratch,
            span.trace_id.hex(),
            span.span_id.hex(),
            span.parent_span_id.hex(),
            resource.service,
            span.name,
            span.kind,
            span.start_time_unix_nano,
            span.end_time_unix_nano,
            span.status.code,
            span.status.message,
            resource.id,
            raw,
        )
        if not scratch.rows:
            raise BlockError(f"span {position} of the block is not a valid span")
        return scratch.rows[0]


def decode(blob: bytes) -> Block:
    """The block of `encode`'s bytes; BlockError when they are not one."""
    try:
        data = zlib.decompress(blob)
        version, resource_count, count = _HEAD.unpack_from(data)
        if version != VERSION:
            raise BlockError(f"block version {version} is not {VERSION}")
        at = _HEAD.size
        resources: list[ResourceRow] = []
        for _ in range(resource_count):
            rid, *lengths = _RESOURCE.unpack_from(data, at)
            at += _RESOURCE.size
            texts = []
            for size in lengths:
                texts.append(data[at : at + size].decode())
                at += size
            resources.append(ResourceRow(rid, *texts))
        owners = struct.unpack_from(f"<{count}I", data, at)
        at += 4 * count
        sizes = struct.unpack_from(f"<{count}I", data, at)
        at += 4 * count
    except (zlib.error, struct.error, UnicodeDecodeError) as exc:
        raise BlockError(f"not a span block: {exc}") from exc
    offsets = tuple(accumulate(sizes, initial=at))
    if offsets[-1] != len(data) or any(o >= resource_count for o in owners):
        raise BlockError("not a span block: its lengths do not add up")
    return Block(tuple(resources), owners, offsets, data)
