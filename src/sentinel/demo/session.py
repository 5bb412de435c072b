"""One `sentinel demo` run: set up, back-fill the history, raise the failure's alerts and
incident, say where to look, then send live traffic every second until stopped."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from sentinel.demo import configure, scenario
from sentinel.demo.client import ApiError, SentinelClient
from sentinel.demo.pager import Pager, is_loopback
from sentinel.demo.runner import (
    DemoOptions,
    DemoState,
    Say,
    Sent,
    ensure_incident,
    send_batch,
    send_failure_alerts,
    send_history,
    send_history_alerts,
)
from sentinel.demo.topology import DATASTORES, REINDEX_OPERATION, SERVICES
from sentinel.demo.workload import MINUTE, generate, plan

LIVE_ALERT_TTL = 5 * MINUTE  # live: alerts are re-sent every minute and expire 5 min after
ONCE_ALERT_TTL = 60 * MINUTE  # --once: they stay active for an hour


def _clock(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%H:%M UTC")


def run_demo(options: DemoOptions, say: Say) -> int:
    client = SentinelClient(options.url, options.api_key)
    pager = Pager(say) if not options.once and is_loopback(options.url) else None
    try:
        me = client.get("/api/auth/me")
        if "admin" not in me["permissions"]:
            raise ApiError("the API key needs the admin scope (it creates users and keys)")
        timeline = plan(time.time_ns(), options.history_ns, options.seed, options.rate_per_s)
        state = DemoState(timeline)
        say(f"Sentinel demo against {options.url} (seed {options.seed})")
        state.oncall = configure.oncall(
            client,
            options.admin_email,
            options.url,
            timeline.now_ns,
            pager.address if pager else None,
        )
        for note in state.oncall.notes:
            say(f"  note: {note}")
        say(
            f"  on call: {len(state.oncall.users)} demo users, team {scenario.TEAM!r}, schedules "
            f"{scenario.PRIMARY!r} and {scenario.SECONDARY!r}, policy {scenario.POLICY!r}, "
            f"route {scenario.ROUTE!r}, runbook {scenario.RUNBOOK!r}"
        )
        history = send_history(client, timeline, say)
        slos = configure.slos(client)
        say("  SLOs: " + ", ".join(f"{s['name']}{'' if new else ' (kept)'}" for s, new in slos))
        send_history_alerts(client, state, say)
        ttl = ONCE_ALERT_TTL if options.once else LIVE_ALERT_TTL
        send_failure_alerts(client, state, timeline.now_ns, timeline.now_ns + ttl)
        ensure_incident(client, state, options.incident_wait_s, say)
        summary(options, state, history, say)
        if not options.once:
            live(client, state, options, say)
        return 0
    finally:
        client.close()
        if pager is not None:
            pager.close()


def summary(options: DemoOptions, state: DemoState, history: Sent, say: Say) -> None:
    tl, url = state.timeline, options.url
    oncall = state.oncall
    say("")
    say(f"Open {url}/ and log in as {oncall.admin['email'] if oncall else 'the admin'}.")
    say(f"  services   {', '.join(SERVICES)} (+ {', '.join(DATASTORES)}, untraced)")
    say(
        f"  failure    payments-db connections time out from {_clock(tl.failure_ns)}; "
        f"payments, checkout and the frontend fail from {_clock(tl.outage_ns)}"
    )
    say(f"  traces     {url}/api/tracing/traces?service=checkout&status=error")
    if history.large_trace_id:
        say(
            f"  5,000 spans {url}/api/tracing/traces/{history.large_trace_id} "
            f"(inventory {REINDEX_OPERATION})"
        )
    say(f"  logs       {url}/api/logs/search?query=%22pool+exhausted%22 (new with the failure)")
    say(f"  alerts     {url}/api/alerts/active and {url}/api/alerts/groups")
    if state.incident:
        incident = state.incident
        say(
            f"  incident   #{incident['id']} {incident['title']!r}: "
            f"{url}/api/incidents/{incident['id']}"
        )
        say(f"             opened by {state.incident_opened_by}")
    else:
        say(f"  incident   none yet: the failure starts at {_clock(tl.failure_ns)}")
    say(f"  SLOs       {url}/api/slo (the worker evaluates them every minute; checkout's burn)")
    if oncall:
        say(
            f"  on call    {oncall.admin['email']} now: "
            f"{url}/api/oncall/schedules/{oncall.primary['id']}/on-call"
        )
    if not options.once:
        say("Live traffic every second; Ctrl+C stops (the alerts then expire within 5 minutes).")
        if is_loopback(url):
            say("Pages to the on-call people arrive here, as lines starting with 'page →'.")


def live(client: SentinelClient, state: DemoState, options: DemoOptions, say: Say) -> None:
    """Send the traffic of every second as it passes, re-send the firing alerts every minute
    (as Prometheus would), and open the incident when the failure's alerts begin."""
    tl = state.timeline
    last = tl.now_ns
    next_alerts = time.monotonic() + 60
    next_report = time.monotonic() + 60
    window = Sent()
    while True:
        time.sleep(1.0)
        now = time.time_ns()
        last = max(last, now - 5 * MINUTE)  # after an outage, do not flood the server
        try:
            window.add(send_batch(client, generate(tl, last, now)))
            last = now
            if time.monotonic() >= next_alerts:
                next_alerts = time.monotonic() + 60
                send_failure_alerts(client, state, now, now + LIVE_ALERT_TTL)
                ensure_incident(client, state, options.incident_wait_s, say)
        except (httpx.HTTPError, ApiError) as exc:
            if options.server_alive is not None and not options.server_alive():
                raise ApiError("the server this demo started has stopped") from exc
            say(f"  live: {exc} (retrying)")
            time.sleep(4.0)
            continue
        if time.monotonic() >= next_report:
            next_report = time.monotonic() + 60
            say(f"  live: {window.spans} spans, {window.logs} log records in the last minute")
            window = Sent()
