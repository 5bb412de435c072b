"""A shallow view of OTLP trace exports for the ingest hot path.

Mirror messages with the same field numbers as opentelemetry-proto, declaring only what
the promoted columns need: a span's attributes, events and links stay undecoded (upb keeps
them as raw bytes, so no Python object is made per attribute), and each span's own bytes
are kept whole: that encoding is what Sentinel stores (see tracing/payload.py).
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_T = descriptor_pb2.FieldDescriptorProto


def _build() -> dict[str, Any]:
    fd = descriptor_pb2.FileDescriptorProto(
        name="sentinel_otlp_shallow.proto", package="sentinel.otlp.shallow", syntax="proto3"
    )
    optional, repeated = _T.LABEL_OPTIONAL, _T.LABEL_REPEATED

    def message(name: str, *fields: tuple[str, int, int, int, str | None]) -> None:
        m = fd.message_type.add(name=name)
        for field_name, number, kind, label, type_name in fields:
            f = m.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name:
                f.type_name = f".sentinel.otlp.shallow.{type_name}"

    message(
        "Status",
        ("message", 2, _T.TYPE_STRING, optional, None),
        ("code", 3, _T.TYPE_INT32, optional, None),
    )
    message(
        "Span",
        ("trace_id", 1, _T.TYPE_BYTES, optional, None),
        ("span_id", 2, _T.TYPE_BYTES, optional, None),
        ("parent_span_id", 4, _T.TYPE_BYTES, optional, None),
        ("name", 5, _T.TYPE_STRING, optional, None),
        ("kind", 6, _T.TYPE_INT32, optional, None),
        ("start_time_unix_nano", 7, _T.TYPE_FIXED64, optional, None),
        ("end_time_unix_nano", 8, _T.TYPE_FIXED64, optional, None),
        ("status", 15, _T.TYPE_MESSAGE, optional, "Status"),
    )
    message(
        "Scope",
        ("name", 1, _T.TYPE_STRING, optional, None),
        ("version", 2, _T.TYPE_STRING, optional, None),
    )
    message(
        "ScopeSpans",
        ("scope", 1, _T.TYPE_MESSAGE, optional, "Scope"),
        ("spans", 2, _T.TYPE_BYTES, repeated, None),
    )
    message(
        "ResourceSpans",
        ("resource", 1, _T.TYPE_BYTES, optional, None),
        ("scope_spans", 2, _T.TYPE_MESSAGE, repeated, "ScopeSpans"),
    )
    message("Request", ("resource_spans", 1, _T.TYPE_MESSAGE, repeated, "ResourceSpans"))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return {
        name: message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"sentinel.otlp.shallow.{name}")
        )
        for name in ("Request", "Span")
    }


_MESSAGES = _build()
ShallowRequest: Any = _MESSAGES["Request"]
ShallowSpan: Any = _MESSAGES["Span"]
