"""Mergeable latency sketches (DDSketch, 1% relative accuracy) and their wire form. Pure."""

from __future__ import annotations

import math
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


class MergedBins:
    """Many encoded sketches merged as plain bin counts: cheaper than DDSketch objects when
    a read folds thousands of per-minute sketches. Quantiles follow DDSketch exactly (lower
    rank, the same key -> value mapping), for sketches built with this module's mapping."""

    __slots__ = ("bins", "count", "zeros")

    def __init__(self) -> None:
        self.bins: dict[int, float] = {}
        self.zeros = 0.0
        self.count = 0.0

    def add_encoded(self, data: bytes) -> None:
        message = DDSketchMessage()
        message.ParseFromString(data)
        self.zeros += message.zeroCount
        self.count += message.zeroCount
        store = message.positiveValues
        key = store.contiguousBinIndexOffset
        bins = self.bins
        for value in store.contiguousBinCounts:
            if value:
                bins[key] = bins.get(key, 0.0) + value
                self.count += value
            key += 1
        for key, value in store.binCounts.items():
            bins[key] = bins.get(key, 0.0) + value
            self.count += value

    def encode(self) -> bytes:
        message = DDSketchMessage(
            mapping=IndexMapping(gamma=_MAPPING.gamma, indexOffset=0.0), zeroCount=self.zeros
        )
        if self.bins:
            low, high = min(self.bins), max(self.bins)
            get = self.bins.get
            message.positiveValues.CopyFrom(
                Store(
                    contiguousBinCounts=[get(k, 0.0) for k in range(low, high + 1)],
                    contiguousBinIndexOffset=low,
                )
            )
        return bytes(message.SerializeToString())

    def quantile(self, q: float) -> float | None:
        if not self.count:
            return None
        rank = q * (self.count - 1)
        if rank < self.zeros:
            return 0.0
        running = self.zeros
        ordered = sorted(self.bins)
        for key in ordered:
            running += self.bins[key]
            if running > rank:
                return float(_MAPPING.value(key))
        return float(_MAPPING.value(ordered[-1]))
