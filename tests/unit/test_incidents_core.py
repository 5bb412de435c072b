"""The pure incident core: lifecycle, MTTA/MTTR, creation policy, templates, ranking,
post-mortem text."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentinel.alerting.matchers import parse_matchers
from sentinel.incidents import (
    lifecycle,
    notifications,
    policy,
    postmortem,
    rootcause,
    templating,
)
from sentinel.incidents.lifecycle import IllegalTransition, IncidentStatus
from sentinel.incidents.models import Incident
from sentinel.incidents.response_times import percentile, summarize
from sentinel.notify.history import DeliveryAttempt

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
S = IncidentStatus


# ------------------------------------------------------------------------ lifecycle


def test_the_happy_path_is_allowed_step_by_step() -> None:
    path = list(IncidentStatus)
    for current, target in itertools.pairwise(path):
        lifecycle.check_transition(current, target)


def test_illegal_transition_lists_the_allowed_ones() -> None:
    with pytest.raises(IllegalTransition) as info:
        lifecycle.check_transition(S.TRIGGERED, S.CLOSED)
    assert S.RESOLVED in info.value.allowed and S.CLOSED not in info.value.allowed
    assert "triggered to closed" in str(info.value) and "acknowledged" in str(info.value)


def test_closed_is_final_and_resolved_can_reopen() -> None:
    with pytest.raises(IllegalTransition, match="closed is final"):
        lifecycle.check_transition(S.CLOSED, S.INVESTIGATING)
    lifecycle.check_transition(S.RESOLVED, S.INVESTIGATING)
    with pytest.raises(IllegalTransition):
        lifecycle.check_transition(S.MONITORING, S.TRIGGERED)


@given(st.sampled_from(list(IncidentStatus)), st.sampled_from(list(IncidentStatus)))
def test_no_state_transitions_to_itself_or_back_to_triggered(
    a: IncidentStatus, b: IncidentStatus
) -> None:
    if a == b or b is S.TRIGGERED:
        with pytest.raises(IllegalTransition):
            lifecycle.check_transition(a, b)


# ---------------------------------------------------------------- response times


def test_mtta_mttr_summary_mean_median_p90() -> None:
    got = summarize([60, 120, 180, 240, 600])
    assert got.count == 5 and got.mean_seconds == 240 and got.median_seconds == 180
    assert got.p90_seconds == pytest.approx(456.0)  # 240 + 0.6 * (600 - 240)
    assert summarize([]).mean_seconds is None


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50))
def test_percentiles_lie_within_the_data(values: list[float]) -> None:
    ordered = sorted(values)
    assert ordered[0] <= percentile(ordered, 0.9) <= ordered[-1]
    got = summarize(values)
    assert got.median_seconds is not None and got.p90_seconds is not None
    assert got.median_seconds <= got.p90_seconds + 1e-6


# -------------------------------------------------------------------------- policy


def fact(**kw: object) -> policy.AlertFact:
    base: dict[str, object] = {
        "alert_id": 1,
        "severity": "medium",
        "service": "payments",
        "labels": {"alertname": "x", "service": "payments"},
        "at": T0,
        "group_id": 7,
        "route_id": 3,
    }
    base.update(kw)
    return policy.AlertFact(**base)  # type: ignore[arg-type]


def test_severity_floor_opens_an_incident() -> None:
    p = policy.CreationPolicy("sev", min_severity="high")
    assert policy.evaluate([p], fact(severity="medium"), []) is None
    decision = policy.evaluate([p], fact(severity="critical"), [])
    assert decision is not None and "critical is at least high" in decision.reason


def test_n_alerts_in_a_group_within_m_minutes() -> None:
    p = policy.CreationPolicy("burst", min_severity=None, group_threshold=3, group_window_s=300)
    times = [T0 - timedelta(minutes=10), T0 - timedelta(minutes=4), T0 - timedelta(minutes=1), T0]
    decision = policy.evaluate([p], fact(), times)
    assert decision is not None and "3 alerts in group 7" in decision.reason
    assert policy.evaluate([p], fact(), [*times[:2], T0]) is None


def test_policy_scoped_to_route_and_labels() -> None:
    p = policy.CreationPolicy(
        "db", min_severity="low", route_ids=(9,), matchers=tuple(parse_matchers('team="db"'))
    )
    assert policy.evaluate([p], fact(route_id=3), []) is None
    assert policy.evaluate([p], fact(route_id=9), []) is None  # no team label
    labelled = fact(route_id=9, labels={"team": "db"})
    assert policy.evaluate([p], labelled, []) is not None


def test_related_alerts_attach_to_the_open_incident() -> None:
    open_ = [
        policy.OpenIncident(1, frozenset({7}), frozenset({1}), frozenset({"payments"}), T0),
        policy.OpenIncident(2, frozenset({8}), frozenset({5}), frozenset({"search"}), T0),
    ]
    window = timedelta(minutes=30)
    assert policy.attach_to(open_, fact(alert_id=99, group_id=8), window).incident_id == 2  # type: ignore[union-attr]
    same_service = fact(alert_id=42, group_id=None, service="search")
    assert policy.attach_to(open_, same_service, window).incident_id == 2  # type: ignore[union-attr]
    later = fact(alert_id=43, group_id=None, service="search", at=T0 + timedelta(hours=2))
    assert policy.attach_to(open_, later, window) is None


# ---------------------------------------------------------------------- templating


CTX = {
    "incident": {"id": 12, "title": "Payments down", "services": ["payments"]},
    "alerts": [{"labels": {"instance": "pay-1:8080", "k.dotted": "v"}, "service": "payments"}],
}


def test_template_renders_fields_indexes_and_filters() -> None:
    text = "/restart/{{ alerts[0].labels.instance | urlencode }}?i={{incident.id}}"
    assert templating.render(text, CTX) == "/restart/pay-1%3A8080?i=12"
    assert templating.render('{{ alerts[0].labels["k.dotted"] }}', CTX) == "v"
    body = {"why": "{{ incident.title | upper }}", "n": 3, "list": ["{{ incident.services }}"]}
    assert templating.render_value(body, CTX) == {
        "why": "PAYMENTS DOWN",
        "n": 3,
        "list": ['["payments"]'],
    }


def test_missing_field_is_a_clear_error() -> None:
    with pytest.raises(templating.TemplateError, match=r"no field 'owner' \(available: id"):
        templating.render("{{ incident.owner }}", CTX)
    with pytest.raises(templating.TemplateError, match=r"no item \[3\]"):
        templating.render("{{ alerts[3].service }}", CTX)
    with pytest.raises(templating.TemplateError, match="Unknown filter"):
        templating.render("{{ incident.id | shell }}", CTX)
    # An unclosed placeholder is not sent on literally.
    with pytest.raises(templating.TemplateError, match="unclosed"):
        templating.render("/x/{{ incident.id }}/{{ incident.title", CTX)


def test_a_template_is_checked_before_there_is_an_incident() -> None:
    templating.check({"u": ['/{{ alerts[0].labels["k.v"] | urlencode }}', "{{ alert.x }}"]})
    for broken, why in (
        ("{{ incident.id", "unclosed"),
        ("{{ owner }}", "must start with incident, alert, alerts"),
        ("{{ incident.id | sh }}", "Unknown filter 'sh'"),
        ("{{ incident..id }}", "Cannot parse"),
        ("{{ }}", "empty"),
    ):
        with pytest.raises(templating.TemplateError, match=why):
            templating.check({"body": [broken]})


# ---------------------------------------------------------------------- root cause


def series(errors_from: int | None, minutes: range, calls: int = 10) -> list[rootcause.MinutePoint]:
    return [
        rootcause.MinutePoint(
            m, calls, calls // 2 if errors_from is not None and m >= errors_from else 0, 20.0
        )
        for m in minutes
    ]


def test_deepest_failing_callee_ranks_first() -> None:
    minutes = range(100, 130)
    data = {
        "frontend": series(121, minutes),  # propagated errors, one minute later
        "checkout": series(120, minutes),
        "payments": series(120, minutes),
        "catalog": series(None, minutes),
    }
    edges = [
        rootcause.EdgeCalls("frontend", "checkout", 100, 40),
        rootcause.EdgeCalls("checkout", "payments", 100, 50),
        rootcause.EdgeCalls("frontend", "catalog", 100, 0),
    ]
    logs = [
        rootcause.LogSignal(
            "new_pattern", "pattern 4", 8.0, "new error pattern", ("payments",), {"pattern_id": 4}
        )
    ]
    alerts = [rootcause.RelatedAlert(1, "frontend", "high", "5xx on frontend", 121)]
    ranked = rootcause.rank(data, edges, logs, alerts, 115, 130)
    assert ranked[0].subject == "payments" and ranked[0].kind == "service"
    ev = ranked[0].evidence
    assert ev["deepest_failing"] and ev["moved_first"]
    assert ev["call_path"] == ["frontend", "checkout", "payments"]
    assert ev["log_signals"] == ["pattern 4"] and ev["series"]
    subjects = [s.subject for s in ranked]
    assert "catalog" not in subjects
    assert subjects.index("checkout") > subjects.index("pattern 4") or ranked[1].score > 0
    victims = {s.subject: s for s in ranked if s.kind == "service"}
    assert not victims["checkout"].evidence["deepest_failing"]
    assert victims["payments"].score > victims["checkout"].score > 0


def test_latency_movement_and_untraced_callee() -> None:
    minutes = range(0, 20)
    slow = [rootcause.MinutePoint(m, 10, 0, 20.0 if m < 10 else 400.0) for m in minutes]
    movement = rootcause.detect_movement("api", slow, 10, 20)
    assert movement is not None and movement.moved_minute == 10
    assert "p95 400 ms" in movement.reasons[0]
    data = {"api": series(12, minutes)}
    edges = [rootcause.EdgeCalls("api", "postgres", 50, 30)]
    ranked = rootcause.rank(data, edges, [], [], 10, 20)
    assert ranked[0].subject == "postgres" and "seen by its callers" in ranked[0].summary


def test_who_moved_first_is_judged_to_the_span_not_the_minute() -> None:
    # The failure starts at 10:55 of minute 10: checkout (two spans a call) passes the
    # per-minute minimum in minute 10, payments (one span a call) only in minute 11.
    minutes = range(0, 20)
    data = {
        "checkout": [
            rootcause.MinutePoint(m, 4 if m == 10 else 20, 4 if m >= 10 else 0) for m in minutes
        ],
        "payments": [
            rootcause.MinutePoint(m, 2 if m == 10 else 10, 2 if m >= 10 else 0) for m in minutes
        ],
    }
    moved = rootcause.movements(data, 5, 20)
    assert moved["checkout"].moved_minute == 10 and moved["payments"].moved_minute == 11
    assert moved["payments"].error_moved and not moved["payments"].latency_moved
    edges = [rootcause.EdgeCalls("checkout", "payments", 40, 24)]
    # By the minute alone, the victim would look first.
    by_minute = {s.subject: s.evidence for s in rootcause.rank(data, edges, [], [], 5, 20)}
    assert by_minute["checkout"]["moved_first"] and not by_minute["payments"]["moved_first"]
    # The first failing span of each (payments' ended 1 ms before checkout's) decides.
    at = 10 * rootcause.NS_PER_MINUTE + 55_000_000_000
    onsets = {"payments": at + 44_000_000, "checkout": at + 45_000_000}
    ranked = rootcause.rank(data, edges, [], [], 5, 20, onsets)
    evidence = {s.subject: s.evidence for s in ranked}
    assert ranked[0].subject == "payments"
    assert evidence["payments"]["moved_first"] and not evidence["checkout"]["moved_first"]
    assert evidence["payments"]["moved_at_ns"] == at + 44_000_000
    assert evidence["payments"]["moved_at_minute"] == 11


def test_quiet_window_suggests_nothing() -> None:
    assert rootcause.rank({"a": series(None, range(0, 10))}, [], [], [], 5, 10) == []


# --------------------------------------------------------------------- post-mortem


def test_post_mortem_markdown_has_every_section() -> None:
    incident = {
        "id": 3,
        "title": "Checkout errors",
        "status": "resolved",
        "severity": "critical",
        "priority": "P1",
        "started_at": T0,
        "acknowledged_at": T0 + timedelta(minutes=2),
        "resolved_at": T0 + timedelta(minutes=47, seconds=5),
        "affected_services": ["checkout", "payments"],
        "commander": "ana",
        "participants": [{"name": "ana", "role": "commander"}],
        "root_cause": {"summary": "Bad deploy of payments", "author": "ana", "service": "payments"},
    }
    timeline = [{"at": T0, "kind": "created", "author": "system", "message": "opened | auto"}]
    alerts = [{"alert_id": 1, "alert_name": "5xx", "severity": "high", "service": "checkout"}]
    suggestions = [
        {
            "kind": "service",
            "subject": "payments",
            "score": 0.9,
            "summary": "deepest",
            "evidence": {"reasons": ["error rate 50%"], "call_path": ["checkout", "payments"]},
        }
    ]
    items = [{"title": "Add canary", "status": "done", "owner": "bo"}]
    doc = postmortem.build(incident, timeline, alerts, suggestions, items)
    assert doc["response"]["time_to_acknowledge_seconds"] == 120
    assert doc["impact"]["duration"] == "47m 5s"
    md = postmortem.to_markdown(doc)
    for needle in (
        "# Post-mortem: Checkout errors",
        "- Services: checkout, payments",
        "Time to acknowledge: 2m 0s",
        "opened \\| auto",
        "[high] 5xx on checkout",
        "Bad deploy of payments (recorded by ana)",
        "**payments** (service, score 0.90)",
        "call path: checkout → payments",
        "- [x] Add canary (owner: bo)",
    ):
        assert needle in md, needle


# ------------------------------------------------------------ pages on the timeline


def _attempt(at: datetime, ok: bool = True, **extra: Any) -> DeliveryAttempt:
    values: dict[str, Any] = {
        "id": 7,
        "at": at,
        "group_id": 3,
        "user_id": 1,
        "step_index": 0,
        "channel": "slack",
        "address": "#ops",
        "ok": ok,
        "status_code": 200 if ok else 503,
        "error": None if ok else "HTTP 503: busy",
        "latency_ms": 41.6,
        "attempt": 1,
        "max_attempts": 5,
        "message_status": "sent" if ok else "pending",
        **extra,
    }
    return DeliveryAttempt(**values)


def test_a_page_belongs_to_open_incidents_and_just_resolved_ones() -> None:
    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    started = t0 - timedelta(hours=2)
    open_one = Incident(status="investigating", started_at=started, resolved_at=None)
    resolved = Incident(status="resolved", started_at=started, resolved_at=t0)
    assert notifications._belongs(open_one, _attempt(t0 + timedelta(days=3)))
    assert notifications._belongs(open_one, _attempt(started - timedelta(minutes=5)))
    assert notifications._belongs(resolved, _attempt(t0 + timedelta(minutes=14)))
    # The group fired again a day later: that page is for another incident; and a page
    # of an earlier episode of the group, read late, was for an earlier one.
    assert not notifications._belongs(resolved, _attempt(t0 + timedelta(days=1)))
    assert not notifications._belongs(open_one, _attempt(started - timedelta(days=1)))


def test_a_page_reads_as_who_how_and_what_came_of_it() -> None:
    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert (
        notifications.describe(_attempt(t0), "Ana", t0)
        == "Paged Ana via slack (#ops): delivered in 42 ms"
    )
    failed = notifications.describe(_attempt(t0, ok=False, attempt=2), "Ana", t0)
    assert (
        failed == "Paging Ana via slack (#ops) failed: HTTP 503: busy (attempt 2 of 5, will retry)"
    )
    route = notifications.describe(_attempt(t0), None, t0 + timedelta(minutes=5))
    assert route == "Paged slack channel (#ops): delivered in 42 ms at 12:00:00 UTC"
