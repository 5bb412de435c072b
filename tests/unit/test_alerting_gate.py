"""Group commit: which waiting batches may share a transaction."""

from __future__ import annotations

from sentinel.alerting.gate import Submission, _take
from sentinel.alerting.pipeline import IncomingAlert
from sentinel.alerting.severity import Severity


def batch(actor: str, *names: str) -> Submission:
    alerts = [
        IncomingAlert(labels={"alertname": n}, source="t", severity=Severity.LOW) for n in names
    ]
    return Submission(alerts, actor)


def test_batches_of_one_sender_without_shared_label_sets_merge() -> None:
    a, b, c = batch("prom", "A"), batch("prom", "B"), batch("prom", "C")
    assert _take([a, b, c]) == 3


def test_a_repeated_label_set_or_another_sender_starts_the_next_transaction() -> None:
    a, again, b = batch("prom", "A"), batch("prom", "A"), batch("prom", "B")
    assert _take([a, again, b]) == 1  # applied in order, one after the other
    assert _take([again, b]) == 2
    x, y = batch("prom", "X"), batch("pagerduty", "Y")
    assert _take([x, y]) == 1
