"""Real receivers on loopback for notification tests: an HTTP server (Slack, Twilio,
webhooks, PagerDuty, catch-all) in a thread and an aiosmtpd SMTP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
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
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.etree import ElementTree

import httpx
from aiosmtpd.controller import Controller


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


def twilio_sign(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """X-Twilio-Signature as Twilio documents it, written here independently of the code
    under test: the full URL, then each POST parameter's name and value in name order
    (values of a repeated name in order too), HMAC-SHA1 with the auth token, base64."""
    data = url
    for name in sorted({n for n, _ in params}):
        data += "".join(name + v for v in sorted(v for n, v in params if n == name))
    return base64.b64encode(
        hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    ).decode()


def slack_sign(signing_secret: str, timestamp: str, body: bytes) -> str:
    """X-Slack-Signature as Slack documents it, written independently of the code under
    test: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def slack_press(message: dict[str, Any], action_id: str, response_url: str) -> bytes:
    """The form body Slack posts when somebody presses a button of `message` (a
    chat.postMessage body as our bot sent it): a block_actions payload."""
    button = next(
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("action_id") == action_id
    )
    payload = {
        "type": "block_actions",
        "user": {"id": "U0FAY", "username": "fay", "name": "fay", "team_id": "T0ACME"},
        "api_app_id": "A0SENTINEL",
        "team": {"id": "T0ACME", "domain": "acme"},
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "C0PAY"},
        "channel": {"id": "C0PAY", "name": str(message.get("channel", "")).lstrip("#")},
        "message": {"type": "message", "ts": "1.2", "bot_id": "B0BOT", **message},
        "response_url": response_url,
        "trigger_id": "1.2.3",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": button["value"],
                "text": button["text"],
                "action_ts": "1.3",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


@dataclass
class CallAnswer:
    """What Twilio would post to a page call's <Gather action> once the callee pressed
    `digits`: the action URL (as the TwiML names it), the form and its signature."""

    action: str
    form: list[tuple[str, str]]
    signature: str


def answer_call(call: Received, digits: str, auth_token: str) -> CallAnswer:
    """Play Twilio for a Calls.json request: read its TwiML, 'press' digits."""
    sent = dict(parse_qsl(call.body.decode()))
    gather = ElementTree.fromstring(sent["Twiml"]).find("Gather")  # noqa: S314 - ours
    assert gather is not None and gather.get("numDigits") == "1", sent["Twiml"]
    action = gather.get("action") or ""
    account = call.path.split("/")[3]
    form = [
        ("AccountSid", account),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", "CA" + hashlib.md5(call.body).hexdigest()),  # noqa: S324 - an id
        ("CallStatus", "in-progress"),
        ("Called", sent["To"]),
        ("Caller", sent["From"]),
        ("Digits", digits),
        ("Direction", "outbound-api"),
        ("FinishedOnKey", ""),
        ("From", sent["From"]),
        ("To", sent["To"]),
    ]
    return CallAnswer(action, form, twilio_sign(auth_token, action, form))


@dataclass
class TwilioCaller:
    """Makes the receiver answer each page call like Twilio does once the callee pressed
    `digits`: a signed form POST to the TwiML's action URL. `origin` is where that URL's
    host really is (what a reverse proxy in front of Sentinel would do)."""

    auth_token: str
    digits: str
    origin: str
    answers: list[httpx.Response] = field(default_factory=list)


@dataclass
class HttpReceiver:
    """Records every POST; paths containing '/fail' answer 500, paths containing '/hang'
    answer only once `release` is set (a receiver stuck until the sender's timeout),
    Slack's chat.postMessage and Twilio's Messages/Calls answer like the real APIs (with
    a `caller`, calls are answered with a key press, as Twilio would post it)."""

    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None
    caller: TwilioCaller | None = None

    def start(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                received = Received(self.path, dict(self.headers.items()), body, time.monotonic())
                with receiver.lock:
                    receiver.requests.append(received)
                status, payload = 200, b"ok"
                if "/hang" in self.path:
                    receiver.release.wait(120)
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
                if receiver.caller is not None and self.path.endswith("/Calls.json"):
                    threading.Thread(target=receiver.answer, args=(received,)).start()

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # many workers post at once
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def answer(self, call: Received) -> None:
        assert self.caller is not None
        answer = answer_call(call, self.caller.digits, self.caller.auth_token)
        response = httpx.post(
            self.caller.origin + urlsplit(answer.action).path,
            data=dict(answer.form),
            headers={"X-Twilio-Signature": answer.signature},
            timeout=30,
        )
        with self.lock:
            self.caller.answers.append(response)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.release.set()
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
