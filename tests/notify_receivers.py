"""Real receivers on loopback for notification tests: an HTTP server (Slack, Twilio,
webhooks, PagerDuty, catch-all) in a thread and an aiosmtpd SMTP server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Records every POST; paths containing '/fail' answer 500, Slack's chat.postMessage
    and Twilio's Messages/Calls answer like the real APIs."""

    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        Received(self.path, dict(self.headers.items()), body, time.monotonic())
                    )
                status, payload = 200, b"ok"
                if "/fail" in self.path:
                    status, payload = 500, b"receiver down"
                elif self.path.endswith("chat.postMessage"):
                    payload = b'{"ok": true, "ts": "1.2"}'
                elif self.path.endswith(".json"):
                    status, payload = 201, b'{"sid": "SM123", "status": "queued"}'
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # many workers post at once
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def on(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()


class _Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


class SmtpReceiver:
    """A real SMTP server (aiosmtpd) on a free loopback port."""

    def __init__(self) -> None:
        self.handler = _Collect()
        with socket.socket() as probe:  # aiosmtpd needs a concrete port
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)

    def start(self) -> SmtpReceiver:
        self.controller.start()
        return self

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[Message]:
        with self.handler.lock:
            return [m for rcpt, m in self.handler.messages if address in rcpt]


def email_parts(message: Message) -> tuple[str, str]:
    """(text/plain, text/html) of a multipart/alternative message as received."""
    assert message.get_content_type() == "multipart/alternative", message.get_content_type()
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode(  # type: ignore[union-attr]
            part.get_content_charset() or "utf-8"
        )
        for part in message.get_payload()  # type: ignore[union-attr]
    }
    return parts["text/plain"], parts["text/html"]


def html_buttons(markup: str) -> dict[str, str]:
    """Link text → href of every <a> in an HTML body."""
    found: dict[str, str] = {}

    class Links(HTMLParser):
        href: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "a":
                self.href = dict(attrs).get("href")

        def handle_data(self, data: str) -> None:
            if self.href is not None and data.strip():
                found[data.strip()] = self.href
                self.href = None

    Links().feed(markup)
    return found
