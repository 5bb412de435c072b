"""Cursor pagination walks a list once, in order, with no gaps or repeats."""

from __future__ import annotations

import httpx


async def test_cursor_pages_cover_the_list_exactly_once(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for n in range(7):
        created = await client.post("/api/teams", headers=admin_headers, json={"name": f"team-{n}"})
        assert created.status_code == 201
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/teams", headers=admin_headers, params=params)).json()
        seen += [t["name"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"team-{n}" for n in range(7)]
    assert pages == 3


async def test_newest_first_lists_page_backwards(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for n in range(4):
        await client.post("/api/teams", headers=admin_headers, json={"name": f"t{n}"})
    first = (await client.get("/api/audit", headers=admin_headers, params={"limit": 2})).json()
    second = (
        await client.get(
            "/api/audit", headers=admin_headers, params={"limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 4
