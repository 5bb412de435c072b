"""The in-process incident event hub: per-incident filtering and bounded queues."""

from __future__ import annotations

from sentinel.incidents.events import QUEUE_SIZE, IncidentHub


async def test_subscribers_get_their_incident_or_everything() -> None:
    hub = IncidentHub()
    one, every = hub.subscribe(1), hub.subscribe(None)
    hub.publish({"incident_id": 1, "id": 10})
    hub.publish({"incident_id": 2, "id": 11})
    assert one.queue.qsize() == 1 and (await one.queue.get())["id"] == 10
    assert [every.queue.get_nowait()["id"] for _ in range(2)] == [10, 11]
    hub.unsubscribe(one)
    hub.publish({"incident_id": 1, "id": 12})
    assert one.queue.empty() and hub.subscribers == 1


async def test_a_slow_subscriber_loses_the_oldest_not_memory() -> None:
    hub = IncidentHub()
    sub = hub.subscribe(None)
    for i in range(QUEUE_SIZE + 5):
        hub.publish({"incident_id": 1, "id": i})
    assert sub.queue.qsize() == QUEUE_SIZE
    assert sub.queue.get_nowait()["id"] == 5
