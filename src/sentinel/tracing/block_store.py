"""The block store's writes and trace reads (experimental: SENTINEL_TRACES_BLOCKS).

Ingest writes each batch as one `span_blocks` row (tracing/blocks.py has the format;
compressed before the write transaction, off the event loop), one `span_index` row per
span it stores (a span already stored, or repeated in the batch, gets none), and the
names those rows use in `span_names`, in the batch's transaction and through the driver
like the span rows. A
trace is read back by its trace key in the index, then from the blocks the index rows
name, keeping only the spans whose full trace id matches. The store never commits.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select, text, union_all
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.storage.dialect import dialect_name
from sentinel.tracing import blocks, store
from sentinel.tracing.driver import driver_of, insert_sql
from sentinel.tracing.models import SpanBlock, SpanIndexRow, SpanName
from sentinel.tracing.records import RESOURCE_ID, START, TRACE_ID, ResourceRow, SpanRow

log = logging.getLogger(__name__)
_CHUNK = 500
_BLOCK_COLUMNS = ("first_start_ns", "last_start_ns", "span_count", "body")
_SQL: dict[tuple[str, bool], str] = {}
for _pg in (False, True):
    _SQL[("block", _pg)] = insert_sql("span_blocks", _BLOCK_COLUMNS, _pg, ignore=False)
    _SQL[("index", _pg)] = insert_sql("span_index", blocks.INDEX_COLUMNS, _pg, ignore=False)
    _SQL[("name", _pg)] = insert_sql("span_names", ("name",), _pg, ignore=True)
_SQL[("block", True)] += " RETURNING id"


class BlockSpan(NamedTuple):
    """A span read from a block, with the columns (and names) of a `spans` row."""

    trace_id: str
    span_id: str
    parent_span_id: str
    service: str
    name: str
    kind: int
    start_ns: int
    duration_ns: int
    status_code: int
    status_message: str
    http_method: str | None
    http_route: str | None
    http_status_code: int | None
    db_system: str | None
    peer_service: str | None
    is_error: bool
    resource_id: int
    payload: bytes


# ------------------------------------------------------------------------------ writes


async def _known_names(driver: Any, postgres: bool, names: list[str]) -> dict[str, int]:
    sql = "SELECT name, id FROM span_names WHERE name "
    if postgres:
        return dict(await driver.fetch(sql + "= ANY($1::varchar[])", names))
    found: dict[str, int] = {}
    for i in range(0, len(names), _CHUNK):
        chunk = names[i : i + _CHUNK]
        async with driver.execute(sql + f"IN ({', '.join('?' * len(chunk))})", chunk) as cursor:
            found.update(await cursor.fetchall())
    return found


async def name_ids(session: AsyncSession, names: set[str]) -> dict[str, int]:
    """Dictionary ids of these service and operation names, adding the new ones.

    New names are inserted in sorted order with ON CONFLICT DO NOTHING: two PostgreSQL
    batches adding the same name wait for each other, then both read the one row.
    """
    postgres = dialect_name(session) == "postgresql"
    driver = await driver_of(session)
    wanted = sorted(names)
    found = await _known_names(driver, postgres, wanted)
    missing = [n for n in wanted if n not in found]
    if missing:
        await driver.executemany(_SQL[("name", postgres)], [(n,) for n in missing])
        found.update(await _known_names(driver, postgres, missing))
    return found


async def write_block(
    session: AsyncSession, body: bytes, rows: Sequence[SpanRow], fresh: Sequence[SpanRow]
) -> None:
    """Store the block `body` (`blocks.encode` of the batch's `rows`) and an index row for
    each of `fresh`: those of its rows being stored now (not already stored, once each)."""
    if not fresh:
        return
    postgres = dialect_name(session) == "postgresql"
    ids = await name_ids(session, blocks.names_of(fresh))
    starts = [row[START] for row in rows]
    driver = await driver_of(session)
    values = (min(starts), max(starts), len(rows), body)
    if postgres:
        block_id = await driver.fetchval(_SQL[("block", True)], *values)
    else:
        async with driver.execute(_SQL[("block", False)], values) as cursor:
            block_id = cursor.lastrowid
    positions = blocks.positions_of(rows, fresh)
    index = blocks.index_rows(block_id, fresh, positions, ids)
    await driver.executemany(_SQL[("index", postgres)], index)


# ------------------------------------------------------------------------------- reads

Place = tuple[str, int, int, int]  # trace id, start, block id, position: the read order


async def _from_blocks(
    session: AsyncSession, trace_ids: set[str]
) -> tuple[list[tuple[Place, SpanRow]], dict[int, ResourceRow]]:
    keys = sorted({blocks.trace_key(t) for t in trace_ids})
    where: dict[int, list[int]] = defaultdict(list)
    for i in range(0, len(keys), _CHUNK):
        stmt = select(SpanIndexRow.block_id, SpanIndexRow.position).where(
            SpanIndexRow.trace_key.in_(keys[i : i + _CHUNK])
        )
        for block_id, position in (await session.execute(stmt)).all():
            where[block_id].append(position)
    found: list[tuple[Place, SpanRow]] = []
    resources: dict[int, ResourceRow] = {}
    block_ids = sorted(where)
    for i in range(0, len(block_ids), _CHUNK):
        bodies = select(SpanBlock.id, SpanBlock.body).where(
            SpanBlock.id.in_(block_ids[i : i + _CHUNK])
        )
        for block_id, body in (await session.execute(bodies)).all():
            try:
                block = blocks.decode(body)
                for position in where[block_id]:
                    row = block.row(position)
                    if row[TRACE_ID] in trace_ids:
                        found.append(((row[TRACE_ID], row[START], block_id, position), row))
                        resources.setdefault(row[RESOURCE_ID], block.resource(position))
            except (blocks.BlockError, IndexError) as exc:
                log.warning(
                    "span block %s is unreadable, its spans are left out: %s", block_id, exc
                )
    return found, resources


async def trace_spans(
    session: AsyncSession, trace_ids: Sequence[str]
) -> tuple[list[Any], dict[int, Any]]:
    """The spans of these traces, ordered by trace id, start and arrival, with their
    resources by id: from the blocks, and from `spans` for a trace that has no block
    (stored while the setting was off). Spans are `BlockSpan`s or `Span` rows, resources
    `ResourceRow`s or `SpanResource` rows: the same attributes."""
    wanted = set(trace_ids)
    found, resources = await _from_blocks(session, wanted)
    found.sort(key=lambda item: item[0])
    spans: list[Any] = [BlockSpan._make(row) for _, row in found]
    older = sorted(wanted - {place[0] for place, _ in found})
    if older:
        rows = await store.spans_of_traces(session, older)
        spans = sorted([*spans, *rows], key=lambda s: s.trace_id)  # stable: keeps start order
        stored = await store.resources(session, {r.resource_id for r in rows})
        return spans, {**resources, **stored}
    return spans, resources


# --------------------------------------------------------------------------- retention

# How long pruning may wait for ingest transactions that hold names (PostgreSQL): new
# batches queue behind the waiting lock, so this bounds how long it can stall ingest.
PRUNE_LOCK_TIMEOUT = "1s"


def _unused(postgres: bool) -> Any:
    """span_names.id is referred to by no index row. Written per database so that both
    read span_index once: PostgreSQL hashes it (a hash anti join; NOT IN over millions of
    ids does not fit work_mem and falls back to a rescan per name, minutes), SQLite builds
    a temporary index of the NOT IN list (a correlated NOT EXISTS would scan per name)."""
    used = union_all(select(SpanIndexRow.service_id.label("id")), select(SpanIndexRow.name_id))
    if postgres:
        rows = used.subquery()
        return ~select(rows.c.id).where(rows.c.id == SpanName.id).exists()
    return SpanName.id.not_in(used)


async def prune_names(session: AsyncSession) -> int:
    """Drop the names no `span_index` row refers to any more (retention deleted the last
    ones), so names that embed ids do not pile up forever. Names in use keep their ids.
    Returns how many were dropped.

    A batch looks a name up (or adds it) and then writes index rows with its id, in one
    transaction: a name deleted in between would leave those rows pointing at nothing, and
    "unused" cannot be seen from here while the batch has not committed. So a name is
    deleted only when no batch can be between its lookup and its commit:
    - SQLite: a batch holds the write lock from before its lookup (write_transaction,
      BEGIN IMMEDIATE) to its commit; this DELETE is a write, so it runs before or after.
    - PostgreSQL: the lookup's SELECT holds ACCESS SHARE on span_names to the batch's
      commit. ACCESS EXCLUSIVE is granted once every such batch has committed and makes
      new lookups wait until this transaction ends; the DELETE's snapshot (READ COMMITTED,
      taken after the lock) then sees every index row of every batch that could hold one
      of these ids, and later batches re-add a dropped name under a new id.
      (Keeping only names "created before the cutoff" would not do: an old name comes
      back with the next batch of its service.)
    Both rely on every batch looking its names up in its own transaction (name_ids): an
    in-process name -> id cache in the writer would bypass the lock and break this.
    The lock is taken only when an unlocked first pass found names to drop, and for at
    most PRUNE_LOCK_TIMEOUT of waiting; held, it costs one scan of span_index (ingest waits
    that long: 0.5 s for 1M index rows on PostgreSQL, load 2-2.6; trace reads do not
    touch span_names). Failing to get it drops nothing;
    the next run tries again."""
    postgres = dialect_name(session) == "postgresql"
    unused = select(func.count()).select_from(SpanName).where(_unused(postgres))
    if not await session.scalar(unused):
        return 0
    doomed = delete(SpanName).where(_unused(postgres))
    if not postgres:
        return int((await session.execute(doomed)).rowcount or 0)  # type: ignore[attr-defined]
    try:
        async with session.begin_nested():
            await session.execute(text(f"SET LOCAL lock_timeout = '{PRUNE_LOCK_TIMEOUT}'"))
            await session.execute(text("LOCK TABLE span_names IN ACCESS EXCLUSIVE MODE"))
            dropped = int((await session.execute(doomed)).rowcount or 0)  # type: ignore[attr-defined]
            await session.execute(text("SET LOCAL lock_timeout = DEFAULT"))
            return dropped
    except DBAPIError as exc:
        log.info("span names not pruned this time (ingest held them): %s", exc)
        return 0
