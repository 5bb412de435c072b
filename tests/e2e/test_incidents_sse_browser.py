"""The war-room stream as the web UI reads it: headless Chromium, on a page of the
server's own origin, reads `/api/incidents/{id}/stream` with `fetch` and an
Authorization: Bearer header (no token in the URL, no CORS), gets the timeline event
live and a keep-alive comment whenever the stream is idle (both databases)."""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import require_tool
from tests.e2e.conftest import LiveServer, free_port, start_server, stop_server

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

READ_STREAM = """
async ([incidentId, token]) => {
  const auth = {Authorization: 'Bearer ' + token};
  const response = await fetch('/api/incidents/' + incidentId + '/stream',
                               {headers: {...auth, Accept: 'text/event-stream'}});
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const chunks = [];
  let text = '', posted = false;
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    const {value, done} = await reader.read();
    if (done) break;
    const chunk = decoder.decode(value, {stream: true});
    chunks.push({at: Date.now(), chunk});
    text += chunk;
    if (!posted && text.includes(': connected')) {
      posted = true;
      await fetch('/api/incidents/' + incidentId + '/updates', {
        method: 'POST',
        headers: {...auth, 'Content-Type': 'application/json'},
        body: JSON.stringify({message: 'from the browser'}),
      });
    }
    const after = text.split('event: timeline')[1];
    if (after && after.includes(': keep-alive')) break;
  }
  await reader.cancel();
  return {status: response.status, type: response.headers.get('content-type'),
          encoding: response.headers.get('content-encoding'), text, chunks};
}
"""


class Page:
    """Just enough of the Chrome DevTools Protocol: navigate and evaluate."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        await self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.socket.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"the page threw: {result['exceptionDetails']}")
        return result["result"].get("value")


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[str]:
    """Headless Chromium; yields the DevTools websocket URL of its page."""
    require_tool(CHROMIUM, "Chromium is not installed (apt-get install chromium)")
    assert CHROMIUM is not None
    port = free_port()
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--remote-debugging-port={port}",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        targets: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while not targets and time.monotonic() < deadline:
            try:
                listed = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                targets = [t for t in listed if t.get("type") == "page"]
            except httpx.HTTPError:
                time.sleep(0.2)
        assert targets, "Chromium did not open its debugging port"
        yield str(targets[0]["webSocketDebuggerUrl"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@asynccontextmanager
async def page_of(debugger_url: str) -> AsyncIterator[Page]:
    async with websockets.connect(debugger_url, max_size=None) as ws:
        yield Page(ws)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(
        database_url, tmp_path / "server", {"SENTINEL_INCIDENT_SSE_HEARTBEAT_SECONDS": "1"}
    )
    try:
        yield live
    finally:
        stop_server(live)


async def test_a_browser_reads_the_stream_with_fetch_and_a_bearer_token(
    server: LiveServer, chromium: str
) -> None:
    admin = server.admin_headers()
    token = admin["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient(base_url=server.url, headers=admin) as api:
        created = await api.post("/api/incidents", json={"title": "Checkout down"})
        assert created.status_code == 201, created.text
    iid = created.json()["id"]
    async with page_of(chromium) as page:
        await page.call("Page.enable")
        await page.call("Page.navigate", url=f"{server.url}/health")  # the server's origin
        for _ in range(100):
            if await page.evaluate("document.readyState") == "complete":
                break
            await asyncio.sleep(0.1)
        assert await page.evaluate("location.origin") == server.url
        got = await page.evaluate(f"({READ_STREAM})([{iid}, {json.dumps(token)}])")

    assert got["status"] == 200 and got["type"].startswith("text/event-stream")
    assert got["encoding"] is None  # not compressed: each event is readable as it comes
    text: str = got["text"]
    assert text.startswith("retry: 3000\n: connected\n\n")
    event = text.split("event: timeline\n", 1)[1].split("\n\n", 1)[0]
    data = json.loads(event.split("data: ", 1)[1])
    assert data["message"] == "from the browser" and data["incident_id"] == iid
    assert data["author"] == "admin@example.com"
    # Idle, the stream still writes: a comment line within the heartbeat (1 s here).
    chunks = got["chunks"]
    beat = next(c for c in chunks if ": keep-alive" in c["chunk"])
    last_event = max(c["at"] for c in chunks if "event: timeline" in c["chunk"])
    assert 0 <= beat["at"] - last_event < 5000
