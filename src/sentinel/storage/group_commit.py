"""Group commit: requests that wait while a write transaction runs are applied together
in the next one, and each caller returns only once its part is committed.

With one writer at a time (SQLite's, or one drainer per process) the per-transaction cost
(opening, commit, the statements that do not grow with the rows) is shared by every
request that waited, so the cost per record falls as the load rises. The domain decides
what may share a transaction (`take`) and how a group is applied (`apply`); this module
owns the queue, the ordering and the acknowledgement rule:

- a caller's future resolves only after the transaction that holds its item committed,
  so a 2xx built on it means durable;
- the writes run in a task of their own, so a client that hangs up cannot cancel a
  transaction that carries other callers' items;
- a group that fails is retried item by item, so one bad item fails only its own caller
  (and a retryable error, e.g. a unique-index race with another replica, is tried again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.storage.engine import Database
from sentinel.storage.write_gate import NestedWriteError

log = logging.getLogger("sentinel.storage")

Item = TypeVar("Item")
Result = TypeVar("Result")

Take = Callable[[Sequence[Item]], int]
"""How many of the waiting items (a prefix, at least one) the next transaction takes."""
Apply = Callable[[AsyncSession, Sequence[Item]], Awaitable[Sequence[Result]]]
"""Write the items in the session's transaction; one result per item, in order."""


def take_all(waiting: Sequence[object]) -> int:
    return len(waiting)


@dataclass
class _Waiting(Generic[Item, Result]):
    item: Item
    done: asyncio.Future[Result]


@dataclass
class GroupCommit(Generic[Item, Result]):
    db: Database
    apply: Apply[Item, Result]
    take: Take[Item] = take_all
    retry_on: tuple[type[BaseException], ...] = ()
    attempts: int = 3
    _waiting: list[_Waiting[Item, Result]] = field(default_factory=list)
    _drainer: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def submit(self, item: Item) -> Result:
        """Apply `item` (possibly together with others); returns once it is committed."""
        if self.db.write_gate.held_by_this_task():
            # The drainer would wait for this task's open write, and this task for it.
            raise NestedWriteError(
                "submitted while this task has a write transaction open; commit it first"
            )
        done: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(item, done))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        while self._waiting:
            count = max(1, min(len(self._waiting), self.take([w.item for w in self._waiting])))
            group, self._waiting = self._waiting[:count], self._waiting[count:]
            try:
                await self._apply_group(group)
            except BaseException as exc:  # the drainer itself is cancelled (shutdown)
                for entry in group:
                    if not entry.done.done():
                        entry.done.set_exception(exc)
                raise

    async def _apply_group(self, group: list[_Waiting[Item, Result]]) -> None:
        try:
            results = await self._write(group)
        except Exception as exc:
            if len(group) == 1:
                if not group[0].done.done():
                    group[0].done.set_exception(exc)
                return
            log.info(
                "group commit of %d items failed (%s); applying them one by one",
                len(group),
                type(exc).__name__,
            )
            for entry in group:
                await self._apply_group([entry])
            return
        for entry, result in zip(group, results, strict=True):
            if not entry.done.done():  # the caller may have been cancelled meanwhile
                entry.done.set_result(result)

    async def _write(self, group: list[_Waiting[Item, Result]]) -> Sequence[Result]:
        items = [entry.item for entry in group]
        for attempt in range(1, self.attempts + 1):
            try:
                async with self.db.write_transaction() as session:
                    return await self.apply(session, items)
            except self.retry_on:
                if attempt == self.attempts:
                    raise
        raise AssertionError("unreachable")
