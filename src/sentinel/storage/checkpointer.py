"""A thread that checkpoints a SQLite file's write-ahead log beside its writers.

SQLite's automatic checkpoint runs inside the commit that passes 1,000 WAL pages: the
writer copies the log's pages into the database file and syncs it while it holds the
write lock (about 10 ms for 1,000 scattered pages here, more as the file grows). With the
ingest pool, every writer turns it off (Database.checkpoint_aside, ingest/pool_worker.py)
and this thread of the serving process does the work. A passive checkpoint needs no
write lock, so it runs while the next writer writes; SQLite's own step releases the GIL,
so the event loop does not wait for it either.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class WalCheckpointer:
    """Checkpoints `database_path` at most every `every_seconds`, when `writes()` (a count
    of ended write transactions) has moved since the last checkpoint."""

    def __init__(self, database_path: str, every_seconds: float, writes: Callable[[], int]):
        self.database_path = database_path
        self.every_seconds = every_seconds
        self.checkpoints = 0
        self._writes = writes
        self._checkpointed = -1  # the count at the last checkpoint
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="sentinel-wal-checkpoint", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Checkpoint what was written since the last round, then end the thread
        (blocks until then: call it from a worker thread when the loop must not wait)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        connection = sqlite3.connect(self.database_path, isolation_level=None)
        try:
            while not self._stopping.wait(self.every_seconds):
                self._round(connection)
            self._round(connection)
        finally:
            connection.close()

    def _round(self, connection: sqlite3.Connection) -> None:
        writes = self._writes()
        if writes == self._checkpointed:
            return
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:  # the file is busy or gone: the next round tries again
            log.warning("WAL checkpoint failed", exc_info=True)
            return
        self._checkpointed = writes
        self.checkpoints += 1
