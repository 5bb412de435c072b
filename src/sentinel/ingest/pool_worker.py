"""One ingest process of the pool (ingest/pool.py): decodes export bodies and writes them
to the SQLite file on its own connection, with its own interpreter and so its own GIL.

The conversation with the serving process, over one duplex pipe, per job:

    serving process                       ingest process
    (job_id, decode, write, encoding, body) ->
                                          decode (no lock held)
                                      <-  (job_id, "turn", None)     when there is a write
    (wait for the database's write gate)
    "go"                                ->
                                          BEGIN IMMEDIATE; write; COMMIT
                                      <-  (job_id, "done", (decoded, summary))

A new process first says `(0, "ready", None)`. A job's answer can also be
`(job_id, "malformed", message)` for a body its `decode` refuses (a 400), or
`(job_id, "failed", message)` when the write failed (nothing of it is committed).
`decode` and `write` are module-level functions, sent by reference (`ingest.otlp.offload`
has them). Holding the serving process's write gate while it writes, the process never
meets another writer in SQLite's busy handler. `None` from the serving process stops it.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from sentinel.ingest.otlp.protocol import Encoding
from sentinel.storage.engine import sqlite_pragmas

log = logging.getLogger(__name__)


class Malformed(ValueError):
    """The body is not what the endpoint takes: a 400 for the whole request."""


@dataclass
class Decoded:
    """A decoded export: `work` for the write step (None: nothing to store) and what the
    answer reports: records accepted, rejected, the problems found, lines cut."""

    work: Any
    rejected: int
    problems: list[str]
    accepted: int = 0
    truncated: int = 0


Decode = Callable[[Encoding, bytes], Decoded]
Write = Callable[[sqlite3.Connection, Any], Any]
_connection: sqlite3.Connection | None = None


def connection() -> sqlite3.Connection:
    """This ingest process's connection, for a decode step that reads the database (the
    derive worker's: ingest.otlp.offload.mine_logs). Outside a write turn: reads only."""
    if _connection is None:
        raise RuntimeError("not in an ingest process")
    return _connection


def _write(connection: sqlite3.Connection, write: Write, work: Any) -> Any:
    connection.execute("BEGIN IMMEDIATE")
    try:
        summary = write(connection, work)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return summary


def serve(channel: Connection, database_path: str) -> None:
    """The process's loop: one job at a time until the pipe closes or says stop."""
    # Ctrl-C reaches the whole process group; the serving process decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _connection
    connection = _connection = sqlite3.connect(database_path, timeout=10, isolation_level=None)
    sqlite_pragmas(connection, None)
    # Not in this process's turn at the write lock: the serving process checkpoints the
    # WAL beside the writers (storage/checkpointer.py).
    connection.execute("PRAGMA wal_autocheckpoint=0")
    try:
        if not _send(channel, (0, "ready", None)):
            return
        while (job := _receive(channel)) is not None:
            answer = _run(connection, channel, job)
            if answer is None or not _send(channel, (job[0], *answer)):
                return
    finally:
        connection.close()


def _run(connection: sqlite3.Connection, channel: Connection, job: Any) -> tuple[str, Any] | None:
    """One job's answer (kind, payload); None when the serving process has gone."""
    job_id, decode, write, encoding, body = job
    try:
        decoded: Decoded = decode(encoding, body)
    except Malformed as exc:
        return "malformed", str(exc)
    except Exception as exc:
        log.exception("ingest process: decoding failed")
        return "failed", f"{type(exc).__name__}: {exc}"
    summary = None
    if decoded.work is not None:
        if not _send(channel, (job_id, "turn", None)) or _receive(channel) != "go":
            return None
        try:
            summary = _write(connection, write, decoded.work)
        except Exception as exc:
            log.exception("ingest process: the write failed")
            return "failed", f"{type(exc).__name__}: {exc}"
        decoded.work = None  # written: only the counts go back
    return "done", (decoded, summary)


def _send(channel: Connection, message: Any) -> bool:
    """Send to the serving process; False when it has gone (then this process ends)."""
    try:
        channel.send(message)
    except OSError:
        return False
    return True


def _receive(channel: Connection) -> Any:
    try:
        return channel.recv()
    except (EOFError, OSError):
        return None
