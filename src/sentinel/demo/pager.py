"""A loopback receiver for the demo users' webhook contact methods: while the demo runs
live next to its server, every page the escalation sends is printed in the demo's
terminal (and counts as delivered in the notification history)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


class Pager:
    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.received = 0
        pager = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    page: dict[str, Any] = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    page = {}
                who = unquote(self.path.rsplit("/", 1)[-1])
                pager.received += 1
                label = "RESOLVED" if page.get("event") == "resolved" else page.get("severity", "")
                pager.say(f"  page → {who}: [{str(label).upper()}] {page.get('title', '')}")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def address(self, user_email: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/demo-pager/{user_email}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
