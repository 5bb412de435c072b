"""The ingest pool: OTLP exports decoded and written by separate processes (SQLite only).

One Python process runs one thread of Python at a time. Served span ingest spends about
21 µs of it per span (decoding, grouping, binding rows), so the event loop's thread caps
a process near 45,000 spans/s while the second core idles. With the pool, the serving
process only receives the body and hands it over; `SENTINEL_INGEST_PROCESSES` processes
(ingest/pool_worker.py) decode it, each with its own interpreter, and write it on their
own connection to the same file.

SQLite still has one writer. A process that has decoded a body asks this process for a
turn and writes while it holds the database's write gate (storage/write_gate.py), in the
same first-come-first-served queue as this process's own writers: no process ever waits
in SQLite's busy handler, and the derive worker and alert writers keep their turns. The
write is committed before the process answers, so the request's 2xx still means durable.

A process that dies takes its job with it: that request gets a 503 (its transaction, if
it was writing, is rolled back by SQLite) and a new process takes its place.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import os
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from sentinel.ingest.otlp.protocol import Encoding
from sentinel.ingest.pool_worker import Decode, Decoded, Malformed, Write, serve
from sentinel.storage.write_gate import WriteGate

log = logging.getLogger(__name__)
CHECKPOINT_SECONDS = 0.25  # how often the serving process checkpoints the WAL under load


class IngestUnavailable(RuntimeError):
    """The export could not be stored (its process died or the write failed): nothing of
    it is committed and the client should retry (503)."""


@dataclass
class Stored:
    """What an ingest process reports of a stored export."""

    decoded: Decoded  # its counts and problems (`work` went to the write)
    summary: Any  # the write function's return value (None when nothing was written)


@dataclass
class _Job:
    message: tuple[Any, ...]
    done: asyncio.Future[Stored]


@dataclass(eq=False)
class _Process:
    process: BaseProcess
    channel: Connection
    job: _Job | None = None
    writing: bool = False  # holds the write gate
    turn: asyncio.Task[None] | None = field(default=None, repr=False)


class IngestPool:
    """`processes` ingest processes writing to the SQLite file at `database_path`, taking
    turns at `gate` with every other writer of this process."""

    def __init__(self, database_path: str, processes: int, gate: WriteGate) -> None:
        self.database_path = database_path
        self.size = processes
        self.gate = gate
        self._context = multiprocessing.get_context("spawn")
        self._processes: list[_Process] = []
        self._idle: deque[_Process] = deque()
        self._waiting: deque[_Job] = deque()
        self._ids = itertools.count(1)
        self._stopping = False
        self._answered = asyncio.Event()  # set whenever a process answers or is lost
        self.replaced = 0

    def start(self) -> None:
        for _ in range(self.size):
            self._spawn()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Fail the exports not started, let the ones being written finish (their
        processes hold the write lock), then stop the processes."""
        self._stopping = True
        for job in self._waiting:
            _fail(job, "the server is stopping")
        self._waiting.clear()
        # Until each process has answered its job (its caller may have gone already).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace_seconds):
                while any(proc.job is not None for proc in self._processes):
                    self._answered.clear()
                    await self._answered.wait()
        for proc in list(self._processes):
            self._retire(proc, "the server is stopping")
            with contextlib.suppress(OSError):
                proc.channel.send(None)
            proc.channel.close()
        for proc in self._processes:
            await asyncio.to_thread(proc.process.join, 10)
            if proc.process.is_alive():
                proc.process.kill()
        self._processes.clear()

    def status(self) -> dict[str, Any]:
        """For /health: processes configured, started and ready, exports being handled
        and waiting for a process, processes replaced since start."""
        busy = sum(1 for proc in self._processes if proc.job is not None)
        return {
            "configured": self.size,
            "running": sum(1 for proc in self._processes if proc.process.is_alive()),
            "ready": len(self._idle) + busy,
            "busy": busy,
            "waiting": len(self._waiting),
            "replaced": self.replaced,
            "pids": [proc.process.pid for proc in self._processes],
        }

    async def store(self, decode: Decode, write: Write, encoding: Encoding, body: bytes) -> Stored:
        """Decode and store one body in an ingest process; returns once committed. Raises
        Malformed for a body `decode` refuses, IngestUnavailable when it could not be
        stored."""
        if self._stopping:
            raise IngestUnavailable("the server is stopping")
        job_id = next(self._ids)
        job = _Job(
            (job_id, decode, write, encoding, body), asyncio.get_running_loop().create_future()
        )
        self._waiting.append(job)
        self._dispatch()
        return await job.done

    # ------------------------------------------------------------------ processes

    def _spawn(self) -> None:
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=serve,
            args=(theirs, self.database_path),
            name="sentinel-ingest",
            daemon=True,
        )
        process.start()
        theirs.close()
        # Idle once it says it is ready: until then it is importing and reads nothing,
        # and a body bigger than the pipe's buffer would block this loop.
        proc = _Process(process, ours)
        self._processes.append(proc)
        asyncio.get_running_loop().add_reader(ours.fileno(), self._readable, proc)
        # uvloop makes a watched descriptor non-blocking; a message bigger than the pipe's
        # buffer would then fail half sent. The loop only says when there is something to
        # read: each message is then read (and each job sent) whole.
        os.set_blocking(ours.fileno(), True)

    def _dispatch(self) -> None:
        while self._idle and self._waiting:
            proc, job = self._idle.popleft(), self._waiting.popleft()
            if job.done.done():  # its caller went away before it started
                self._idle.appendleft(proc)
                continue
            proc.job = job
            try:
                # The process is idle, blocked in recv: the body goes straight through.
                proc.channel.send(job.message)
            except OSError:
                self._lost(proc)

    def _readable(self, proc: _Process) -> None:
        try:
            while proc.channel.poll():
                self._handle(proc, proc.channel.recv())
        except (EOFError, OSError):
            self._lost(proc)

    def _handle(self, proc: _Process, message: tuple[int, str, Any]) -> None:
        _job_id, kind, payload = message
        job = proc.job
        if kind == "ready":
            self._idle.append(proc)
            self._dispatch()
            return
        if kind == "turn":
            proc.turn = asyncio.create_task(self._grant(proc))
            return
        self._give_back(proc)
        proc.job = None
        self._answered.set()
        self._idle.append(proc)
        if job is not None and not job.done.done():
            if kind == "done":
                job.done.set_result(Stored(*payload))
            elif kind == "malformed":
                job.done.set_exception(Malformed(payload))
            else:
                job.done.set_exception(IngestUnavailable(f"the write failed: {payload}"))
        self._dispatch()

    async def _grant(self, proc: _Process) -> None:
        await self.gate.acquire(proc)
        proc.writing = True
        if proc not in self._processes:  # died while waiting
            self._give_back(proc)
            return
        try:
            proc.channel.send("go")
        except OSError:
            self._lost(proc)

    def _give_back(self, proc: _Process) -> None:
        if proc.turn is not None and not proc.turn.done():
            proc.turn.cancel()
        proc.turn = None
        proc.writing = False
        # Also when the turn was granted just before it was cancelled (a no-op otherwise).
        self.gate.release(proc)

    def _retire(self, proc: _Process, reason: str) -> None:
        """Stop listening to a process, give back its turn and fail its job."""
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(proc.channel.fileno())
        self._give_back(proc)
        if proc in self._idle:
            self._idle.remove(proc)
        if proc.job is not None:
            _fail(proc.job, reason)
            proc.job = None
            self._answered.set()

    def _lost(self, proc: _Process) -> None:
        if proc not in self._processes:
            return
        self._retire(proc, "the ingest process stopped")
        self._processes.remove(proc)
        proc.channel.close()
        # Reap it (it may still be exiting) without holding up the loop.
        asyncio.get_running_loop().run_in_executor(None, proc.process.join, 10)
        if not self._stopping:
            self.replaced += 1
            log.error(
                "ingest process %s stopped (exit code %s); starting another",
                proc.process.pid,
                proc.process.exitcode,
            )
            self._spawn()
            self._dispatch()


def _fail(job: _Job, reason: str) -> None:
    if not job.done.done():
        job.done.set_exception(IngestUnavailable(reason))
