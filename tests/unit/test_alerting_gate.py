"""Group commit: which waiting batches may share a transaction."""

from __future__ import annotations

import asyncio

from sentinel.alerting.gate import _take, _Waiting
from sentinel.alerting.pipeline import IncomingAlert
from sentinel.alerting.severity import Severity


def batch(actor: str, *names: str) -> _Waiting:
    alerts = [
        IncomingAlert(labels={"alertname": n}, source="t", severity=Severity.LOW) for n in names
    ]
    return _Waiting(alerts, actor, asyncio.Future(loop=asyncio.new_event_loop()))


def test_batches_of_one_sender_without_shared_label_sets_merge() -> None:
    a, b, c = batch("prom", "A"), batch("prom", "B"), batch("prom", "C")
    taken, rest = _take([a, b, c])
    assert taken == [a, b, c] and rest == []


def test_a_repeated_label_set_or_another_sender_starts_the_next_transaction() -> None:
    a, again, b = batch("prom", "A"), batch("prom", "A"), batch("prom", "B")
    taken, rest = _take([a, again, b])
    assert taken == [a] and rest == [again, b]  # applied in order, one after the other
    x, y = batch("prom", "X"), batch("pagerduty", "Y")
    assert _take([x, y]) == ([x], [y])
