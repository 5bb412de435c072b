"""Real receivers on loopback for the store tests that page people: `http` stands in for
Slack, Twilio, webhooks and PagerDuty, `smtp` (aiosmtpd) for the mail server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notify_receivers import HttpReceiver, SmtpReceiver


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()
