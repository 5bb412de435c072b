"""A small synchronous client of Sentinel's public API for the demo runner."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx


class ApiError(RuntimeError):
    """The server answered something the demo cannot go on from."""


class SentinelClient:
    def __init__(self, url: str, api_key: str, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
        )

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 202, 204),
    ) -> httpx.Response:
        """Send one request; waits out 429/503 (Retry-After) a few times."""
        for attempt in range(8):
            response = self.http.request(
                method, path, json=json, params=params, content=content, headers=headers
            )
            if response.status_code in (429, 503) and attempt < 7:
                time.sleep(min(float(response.headers.get("Retry-After", "1") or 1), 5.0))
                continue
            break
        if response.status_code not in ok:
            raise ApiError(f"{method} {path} answered {response.status_code}: {_detail(response)}")
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None).json()

    def post(self, path: str, body: Any, ok: tuple[int, ...] = (200, 201, 202)) -> Any:
        response = self.request("POST", path, json=body, ok=ok)
        return response.json() if response.content else None

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, json=body).json()

    def items(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a cursor-paged list."""
        cursor = None
        while True:
            page = self.get(path, limit=1000, **params, **({"cursor": cursor} if cursor else {}))
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def find(self, path: str, **match: Any) -> dict[str, Any] | None:
        for item in self.items(path):
            if all(item.get(k) == v for k, v in match.items()):
                return item
        return None

    def upsert(self, path: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create by name, or replace the one with that name (PUT): (item, created)."""
        existing = self.find(path, name=body["name"])
        if existing is None:
            created: dict[str, Any] = self.post(path, body)
            return created, True
        replaced: dict[str, Any] = self.put(f"{path}/{existing['id']}", body)
        return replaced, False

    def export(self, path: str, payload: bytes) -> bytes:
        """POST an OTLP protobuf export request; returns the (protobuf) answer."""
        response = self.request(
            "POST", path, content=payload, headers={"Content-Type": "application/x-protobuf"}
        )
        return response.content


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("message") or body)[:300]
    return str(body)[:300]
