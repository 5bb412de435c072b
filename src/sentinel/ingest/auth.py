"""Ingest authentication that returns its database connection before the write starts.

The shared `Ingester` dependency authenticates inside the request's transaction
(`SessionDep`), which keeps one pooled connection for the whole request. An ingest
request that then writes through a transaction of its own would hold two; with more
concurrent requests than the pool has connections, every request holds one and waits for
a second, and nothing moves until the pool times out. `IngestKey` checks the key in a
short transaction of its own instead, so an ingest request holds one connection at a time.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from sentinel.api.deps import AuthConfigDep, CredentialDep, get_database
from sentinel.api.errors import Forbidden, Unauthorized
from sentinel.auth.roles import Permission, Principal
from sentinel.auth.service import authenticate
from sentinel.storage.engine import Database


async def ingest_principal(
    db: Annotated[Database, Depends(get_database)],
    config: AuthConfigDep,
    credential: CredentialDep,
) -> Principal:
    if not credential:
        raise Unauthorized(
            "Authentication required: send 'Authorization: Bearer <ingest API key>' "
            "or 'X-API-Key: <key>'."
        )
    async with db.transaction() as session:
        principal = await authenticate(session, config, credential)
    if not principal.can(Permission.INGEST):
        raise Forbidden("This action needs the 'ingest' permission.")
    return principal


IngestKey = Annotated[Principal, Depends(ingest_principal)]
