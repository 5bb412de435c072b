"""Cursor pagination: every list endpoint pages with an opaque, stable keyset cursor."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from sentinel.api.errors import BadRequest

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


class Page(BaseModel, Generic[T]):
    """A page of a list; pass `next_cursor` back as `cursor` to get the next one."""

    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("The cursor is not valid; use next_cursor from a previous page.") from exc
    if not isinstance(values, list) or len(values) != width:
        raise BadRequest("The cursor is not valid; use next_cursor from a previous page.")
    return values


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: str | None


async def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


PageParams = Annotated[PageRequest, Depends(page_request)]


def _after(keys: Sequence[InstrumentedAttribute[Any]], values: list[Any], descending: bool) -> Any:
    """Rows strictly after `values` in the ordering of `keys` (a lexicographic keyset)."""
    clauses = []
    for i, key in enumerate(keys):
        equal = [keys[j] == values[j] for j in range(i)]
        beyond = key < values[i] if descending else key > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    page: PageRequest,
    keys: Sequence[InstrumentedAttribute[Any]],
    *,
    descending: bool = True,
) -> tuple[list[Any], str | None]:
    """Run `stmt` one page at a time, ordered by `keys` (the last must be unique)."""
    if page.cursor:
        values = decode_cursor(page.cursor, len(keys))
        stmt = stmt.where(_after(keys, values, descending))
    order = [k.desc() if descending else k.asc() for k in keys]
    rows = list((await session.scalars(stmt.order_by(*order).limit(page.limit + 1))).all())
    next_cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, k.key) for k in keys])
    return rows, next_cursor
