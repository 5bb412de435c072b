"""Mergeable latency sketches (DDSketch, 1% relative accuracy) and their wire form. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from ddsketch import DDSketch
from ddsketch.pb.ddsketch_pb2 import DDSketch as DDSketchMessage
from ddsketch.pb.proto import DDSketchProto

# 1% relative accuracy per value keeps every quantile within 2% of the exact one.
RELATIVE_ACCURACY = 0.01


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
