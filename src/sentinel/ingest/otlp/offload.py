"""What an ingest process (ingest/pool.py) runs for each kind of export: decode the body,
then write it on SQLite in the turn the serving process gives it.

The write steps are the in-process SQLite writers (`tracing.writer`, `logs.writer`), so a
batch is stored and counted the same either way. The summaries they return are plain
data for the serving process's RED metrics and recently-seen services.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sentinel.ingest import pool_worker
from sentinel.ingest.loki import push as loki
from sentinel.ingest.otlp import logs, traces
from sentinel.ingest.otlp.protocol import Encoding
from sentinel.ingest.otlp.values import OtlpFormatError
from sentinel.ingest.pool_worker import Decoded, Malformed
from sentinel.logs import brief, derive, derive_sqlite
from sentinel.logs import writer as log_writer
from sentinel.logs.records import LogBatch
from sentinel.storage import multirow
from sentinel.tracing import rollup
from sentinel.tracing import writer as span_writer
from sentinel.tracing.metrics import RedDelta, red_delta


def decode_traces(encoding: Encoding, body: bytes) -> Decoded:
    try:
        batch = (traces.decode_protobuf if encoding is Encoding.PROTOBUF else traces.decode_json)(
            body
        )
    except OtlpFormatError as exc:
        raise Malformed(str(exc)) from exc
    work = None
    if batch.rows:
        work = span_writer.prepare_sqlite(batch, rollup.group_operations(batch.rows))
    return Decoded(work, batch.rejected, batch.problems, len(batch.rows))


def write_traces(connection: sqlite3.Connection, work: span_writer.PreparedSpans) -> RedDelta:
    return red_delta(span_writer.write_prepared_sqlite(connection, work))


def _log_records(
    decode: Callable[[bytes], LogBatch],
    errors: tuple[type[ValueError], ...],
    body: bytes,
    problems: Callable[[LogBatch], list[str]],
) -> Decoded:
    try:
        batch = decode(body)
    except errors as exc:
        raise Malformed(str(exc)) from exc
    work = None
    if batch.rows:
        work = (multirow.flatten(batch.rows, log_writer.ROWS_PER_STATEMENT), batch.services)
    return Decoded(work, batch.rejected, problems(batch), len(batch.rows), batch.truncated)


def decode_logs(encoding: Encoding, body: bytes) -> Decoded:
    """OTLP logs (partialSuccess reports the problems as found)."""
    decode = logs.decode_protobuf if encoding is Encoding.PROTOBUF else logs.decode_json
    return _log_records(decode, (OtlpFormatError,), body, lambda batch: batch.problems)


def decode_logs_grpc(_encoding: Encoding, body: bytes) -> Decoded:
    """OTLP/gRPC logs (the problems as the gRPC service reports them: with lines cut)."""
    return _log_records(logs.decode_protobuf, (OtlpFormatError,), body, LogBatch.messages)


def decode_brief_json(_encoding: Encoding, body: bytes) -> Decoded:
    return _log_records(brief.decode_json, (brief.NotLogs,), body, LogBatch.messages)


def decode_brief_ndjson(_encoding: Encoding, body: bytes) -> Decoded:
    return _log_records(brief.decode_ndjson, (brief.NotLogs,), body, LogBatch.messages)


def decode_loki(_encoding: Encoding, body: bytes) -> Decoded:
    return _log_records(loki.decode, (loki.NotLokiPush,), body, LogBatch.messages)


def write_logs(connection: sqlite3.Connection, work: tuple[multirow.Flat, set[str]]) -> set[str]:
    rows, services = work
    log_writer.insert_flat_sqlite(connection, rows)
    return services


# The derive worker's batches (logs/derive.py), when the serving process sends them here:
# read and mined in this process, off the serving process's GIL, with this process's
# miner, which reloads itself whenever another process wrote the last batch.
_MINER = derive.Miner()


def mine_logs(_encoding: Encoding, _body: bytes) -> Decoded:
    """The lines after the derive cursor, mined (no body: the job is the next batch)."""
    try:
        plan = derive_sqlite.read_plan(pool_worker.connection(), _MINER, derive.BATCH_ROWS)
    except BaseException:
        _MINER.version = None  # the tree may hold lines the database does not
        raise
    return Decoded(plan, 0, [], 0 if plan is None else plan.rows)


def write_mined(connection: sqlite3.Connection, plan: derive.Plan) -> int:
    """Write the mined batch in this process's turn; returns the rows derived."""
    try:
        result = derive_sqlite.write_plan(connection, _MINER, plan)
    except BaseException:
        _MINER.version = None
        raise
    # Were the commit to fail, the cursor's version would differ and the miner reload.
    _MINER.version = result.version
    return result.rows
