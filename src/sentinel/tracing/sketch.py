"""Mergeable latency sketches (DDSketch, 1% relative accuracy) and their wire form. Pure."""

from __future__ import annotations

import bisect
import itertools
import math
import operator
from collections import Counter
from collections.abc import Iterable, Sequence

from ddsketch import DDSketch
from ddsketch.mapping import LogarithmicMapping
from ddsketch.pb.ddsketch_pb2 import DDSketch as DDSketchMessage
from ddsketch.pb.ddsketch_pb2 import IndexMapping, Store
from ddsketch.pb.proto import DDSketchProto

# 1% relative accuracy per value keeps every quantile within 2% of the exact one.
RELATIVE_ACCURACY = 0.01


_MAPPING = LogarithmicMapping(RELATIVE_ACCURACY)
_MULTIPLIER: float = _MAPPING._multiplier
_MIN_INDEXABLE: float = _MAPPING.min_possible


def encode_values(values: Sequence[int | float]) -> bytes:
    """The encoded DDSketch of `values`, computed without DDSketch.add per value.

    Bin keys are those of DDSketch's LogarithmicMapping (ceil(log2(v) * multiplier)), so
    the result decodes and merges exactly like a sketch built value by value; this is the
    ingest hot path, where the per-value Python calls of `add` cost more than the insert.
    """
    log2, ceil, floor_value = math.log2, math.ceil, _MIN_INDEXABLE
    multiplier = _MULTIPLIER
    keys = Counter([ceil(log2(v) * multiplier) for v in values if v > floor_value])
    zeros = len(values) - sum(keys.values())
    message = DDSketchMessage(
        mapping=IndexMapping(gamma=_MAPPING.gamma, indexOffset=0.0),
        zeroCount=float(zeros),
    )
    if keys:
        low, high = min(keys), max(keys)
        get = keys.get
        message.positiveValues.CopyFrom(
            Store(
                contiguousBinCounts=[float(get(k, 0)) for k in range(low, high + 1)],
                contiguousBinIndexOffset=low,
            )
        )
    return bytes(message.SerializeToString())


def new_sketch() -> DDSketch:
    return DDSketch(RELATIVE_ACCURACY)


def sketch_of(values: Iterable[float]) -> DDSketch:
    sketch = new_sketch()
    add = sketch.add
    for value in values:
        # DDSketch keeps values <= 0 in its zero bucket; durations of 0 ns are legal.
        add(value)
    return sketch


def encode(sketch: DDSketch) -> bytes:
    message = DDSketchProto.to_proto(sketch)  # type: ignore[no-untyped-call]
    return bytes(message.SerializeToString())


def decode(data: bytes) -> DDSketch:
    message = DDSketchMessage()
    message.ParseFromString(data)
    sketch: DDSketch = DDSketchProto.from_proto(message)  # type: ignore[no-untyped-call]
    return sketch


def merge_encoded(blobs: Iterable[bytes]) -> DDSketch:
    """One sketch holding every value of the encoded sketches."""
    total = new_sketch()
    for blob in blobs:
        part = decode(blob)
        if part.count:
            total.merge(part)
    return total


def quantile(sketch: DDSketch, q: float) -> float | None:
    if not sketch.count:
        return None
    value = sketch.get_quantile_value(q)
    return None if value is None else float(value)


# (zero count, index of the first bin, contiguous bin counts)
ParsedBins = tuple[float, int, list[float]]


def parse_bins(data: bytes) -> ParsedBins:
    """An encoded sketch as plain bins (sparse binCounts folded into the contiguous run)."""
    message = DDSketchMessage()
    message.ParseFromString(data)
    store = message.positiveValues
    offset = store.contiguousBinIndexOffset
    counts = list(store.contiguousBinCounts)
    if store.binCounts:
        keys = [*store.binCounts.keys(), *range(offset, offset + len(counts))]
        low, high = min(keys), max(keys)
        dense = [0.0] * (high - low + 1)
        for i, value in enumerate(counts):
            dense[offset - low + i] += value
        for key, value in store.binCounts.items():
            dense[key - low] += value
        offset, counts = low, dense
    return message.zeroCount, offset, counts


class MergedBins:
    """Many encoded sketches merged as one dense run of bin counts: far cheaper than DDSketch
    objects when a read folds thousands of per-minute sketches (list-level adds, no per-bin
    Python work). Quantiles follow DDSketch exactly (lower rank, the same key -> value
    mapping) for sketches built with this module's mapping."""

    __slots__ = ("count", "dense", "offset", "zeros")

    def __init__(self) -> None:
        self.dense: list[float] = []
        self.offset = 0
        self.zeros = 0.0
        self.count = 0.0

    def add_encoded(self, data: bytes) -> None:
        self.add_parsed(parse_bins(data))

    def add_parsed(self, parsed: ParsedBins) -> None:
        zeros, offset, counts = parsed
        self.zeros += zeros
        self.count += zeros + sum(counts)
        if not counts:
            return
        dense = self.dense
        if not dense:
            self.dense, self.offset = list(counts), offset
            return
        if offset < self.offset:
            dense[:0] = [0.0] * (self.offset - offset)
            self.offset = offset
        start = offset - self.offset
        end = start + len(counts)
        if end > len(dense):
            dense.extend([0.0] * (end - len(dense)))
        dense[start:end] = map(operator.add, dense[start:end], counts)

    def merge(self, other: MergedBins) -> None:
        self.add_parsed((other.zeros, other.offset, other.dense))

    def encode(self) -> bytes:
        message = DDSketchMessage(
            mapping=IndexMapping(gamma=_MAPPING.gamma, indexOffset=0.0), zeroCount=self.zeros
        )
        if self.dense:
            message.positiveValues.CopyFrom(
                Store(contiguousBinCounts=self.dense, contiguousBinIndexOffset=self.offset)
            )
        return bytes(message.SerializeToString())

    def quantile(self, q: float) -> float | None:
        if not self.count:
            return None
        rank = q * (self.count - 1)
        if rank < self.zeros:
            return 0.0
        cumulative = list(itertools.accumulate(self.dense))
        index = bisect.bisect_right(cumulative, rank - self.zeros)
        index = min(index, len(cumulative) - 1)
        return float(_MAPPING.value(self.offset + index))
