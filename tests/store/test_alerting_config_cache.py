"""The per-process cache of silences, windows, inhibition rules and routes, on both
databases: a change is seen by the next alert once it is committed, even when another
task of the process reloaded the configuration while the change was not yet committed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sentinel.alerting import lifecycle, store
from sentinel.alerting.models import AlertRoute, Silence
from sentinel.alerting.routing import match_routes
from sentinel.storage.engine import Database

LABELS = {"alertname": "PgDown", "instance": "b"}


async def test_a_committed_silence_mutes_the_next_alert_after_a_reload_in_between(
    db: Database,
) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as request:  # POST /api/v2/silences
        request.add(
            Silence(
                uid="6f1c3a52-3e1b-4a57-9d8e-5b0f6a0c2d11",
                matchers=[{"name": "instance", "value": "b", "isRegex": False}],
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(hours=1),
                created_by="ops",
            )
        )
        await request.flush()
        await lifecycle.refresh_mutes(request, now)
        async with db.transaction() as worker:  # the worker's tick, before the commit
            before = await store.mute_stage(worker, now, fresh=True)
            assert before.mutes(LABELS, now) is None  # it cannot see the silence yet
    async with db.transaction() as ingest:  # the next alert batch, right after the 2xx
        stage = await store.mute_stage(ingest, now)
        reason = stage.mutes(LABELS, now)
        assert reason is not None and str(reason) == "silence:6f1c3a52-3e1b-4a57-9d8e-5b0f6a0c2d11"


async def test_a_committed_route_takes_the_next_alert_after_an_ingest_reloaded_in_between(
    db: Database,
) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as request:  # POST /api/alerting/routes
        request.add(AlertRoute(name="db", matchers=['instance="b"'], receiver="db-oncall"))
        await request.flush()
        store.config_changed(request)
        async with db.transaction() as ingest:  # an alert batch before the commit
            tree = await store.cached_route_tree(ingest, now)
            assert [r.receiver for r in match_routes(tree, LABELS)] == ["default"]
    async with db.transaction() as ingest:  # the next batch, right after the 2xx
        tree = await store.cached_route_tree(ingest, now)
        assert [r.receiver for r in match_routes(tree, LABELS)] == ["db-oncall"]
