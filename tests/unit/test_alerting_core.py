"""Pure alerting core: fingerprints, matchers, routing, grouping timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentinel.alerting.fingerprint import fingerprint
from sentinel.alerting.grouping import (
    Candidate,
    FlushDecision,
    GroupTimers,
    first_flush_at,
    flush_decision,
    group_key,
    group_labels,
    next_flush_at,
    related_group,
)
from sentinel.alerting.matchers import (
    Matcher,
    MatcherError,
    MatchType,
    parse_matchers,
    selects_everything,
)
from sentinel.alerting.pipeline import IncomingAlert, Known, Transition, classify
from sentinel.alerting.routing import RouteSpec, build_tree, match_routes
from sentinel.alerting.severity import Severity, parse_severity, severity_from_label

label_sets = st.dictionaries(
    st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), st.text(max_size=10), max_size=6
)
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@given(label_sets)
def test_fingerprint_ignores_label_order(labels: dict[str, str]) -> None:
    reordered = dict(reversed(list(labels.items())))
    assert fingerprint(labels) == fingerprint(reordered)
    assert len(fingerprint(labels)) == 16


def test_fingerprint_is_stable_and_labels_are_identity() -> None:
    # pinned: a stored fingerprint must never change between releases
    assert fingerprint({"job": "api", "alertname": "Up"}) == "6ffd4eede4675059"
    assert fingerprint({"a": "bc"}) != fingerprint({"ab": "c"})
    assert fingerprint({"a": "b"}) != fingerprint({"a": "b", "c": "d"})


def test_equal_and_not_equal_treat_missing_label_as_empty() -> None:
    assert Matcher.create("team", "=", "").matches({"job": "x"})
    assert not Matcher.create("team", "!=", "").matches({"job": "x"})
    assert Matcher.create("job", "!=", "db").matches({"job": "api"})


def test_regex_is_anchored_like_alertmanager() -> None:
    m = Matcher.create("job", "=~", "api")
    assert m.matches({"job": "api"})
    assert not m.matches({"job": "api-gateway"})
    assert not m.matches({"job": "my-api"})
    assert Matcher.create("job", "=~", "api|db").matches({"job": "db"})
    assert Matcher.create("job", "!~", "api.*").matches({"job": "db"})
    assert not Matcher.create("job", "!~", "api.*").matches({"job": "api-x"})


def test_parse_prometheus_style_selectors() -> None:
    parsed = parse_matchers('{a="b",c=~"d.*", e!="f", g!~"h|i"}')
    assert [(m.name, m.type, m.value) for m in parsed] == [
        ("a", MatchType.EQUAL, "b"),
        ("c", MatchType.REGEX, "d.*"),
        ("e", MatchType.NOT_EQUAL, "f"),
        ("g", MatchType.NOT_REGEX, "h|i"),
    ]
    assert [str(m) for m in parse_matchers("alertname=Foo")] == ['alertname="Foo"']
    assert parse_matchers('{msg="a, \\"quoted\\" }"}')[0].value == 'a, "quoted" }'
    assert parse_matchers("{}") == []


@pytest.mark.parametrize("bad", ['{a="b"', "a", "=b", '{1a="x"}', 'a=~"("', 'a=~"[z-a]"'])
def test_invalid_matchers_are_rejected_with_a_reason(bad: str) -> None:
    with pytest.raises(MatcherError):
        parse_matchers(bad)


def test_a_set_that_also_matches_no_labels_selects_everything() -> None:
    assert selects_everything([])
    assert selects_everything(parse_matchers('a!="x"'))
    assert selects_everything(parse_matchers('{a=~".*",b=""}'))
    assert not selects_everything(parse_matchers('a!="x",b="y"'))
    assert not selects_everything(parse_matchers('a=~".+"'))


@given(label_sets)
def test_matcher_round_trips_through_text(labels: dict[str, str]) -> None:
    for name, value in labels.items():
        m = Matcher.create(name, "=", value)
        assert parse_matchers(str(m)) == [m]
        assert m.matches(labels)


def test_severity_words() -> None:
    assert parse_severity("warning") is Severity.MEDIUM
    assert parse_severity("CRITICAL") is Severity.CRITICAL
    assert parse_severity("bogus") is None
    assert severity_from_label("bogus") is Severity.MEDIUM


def _tree():  # type: ignore[no-untyped-def]
    return build_tree(
        [
            RouteSpec(
                id=1,
                position=0,
                matchers=tuple(parse_matchers('team="db"')),
                receiver="db-pager",
                group_by=("cluster",),
            ),
            RouteSpec(
                id=2,
                position=1,
                matchers=tuple(parse_matchers('severity="critical"')),
                receiver="sre",
                continue_matching=True,
            ),
            RouteSpec(
                id=3,
                position=2,
                matchers=tuple(parse_matchers('service=~"pay.*"')),
                receiver="payments",
            ),
            RouteSpec(
                id=4,
                parent_id=1,
                matchers=tuple(parse_matchers('env="dev"')),
                receiver="db-dev",
                group_wait=timedelta(seconds=1),
            ),
        ]
    )


def test_first_matching_route_wins_and_children_inherit() -> None:
    tree = _tree()
    [route] = match_routes(tree, {"team": "db", "env": "dev"})
    assert (route.id, route.receiver, route.group_by) == (4, "db-dev", ("cluster",))
    assert route.group_wait == timedelta(seconds=1)
    assert route.repeat_interval == tree.repeat_interval
    [route] = match_routes(tree, {"team": "db", "severity": "critical"})
    assert route.id == 1  # first match stops the walk; no child matched, so the node itself


def test_continue_delivers_to_later_siblings_too() -> None:
    routes = match_routes(_tree(), {"severity": "critical", "service": "payments-api"})
    assert [r.receiver for r in routes] == ["sre", "payments"]


def test_unmatched_alert_takes_the_default_route() -> None:
    [route] = match_routes(_tree(), {"service": "search"})
    assert route.id is None and route.receiver == "default"


def test_group_key_uses_only_grouped_labels() -> None:
    a = {"alertname": "HighCPU", "service": "api", "instance": "a"}
    b = {"alertname": "HighCPU", "service": "api", "instance": "b"}
    by = ("alertname", "service")
    assert group_key("r1", by, a) == group_key("r1", by, b)
    assert group_key("r1", by, a) != group_key("r2", by, a)
    assert group_labels(("...",), a) == a


TIMERS = GroupTimers(timedelta(seconds=30), timedelta(minutes=5), timedelta(hours=4))


def test_group_waits_then_notifies_then_repeats() -> None:
    due = first_flush_at(T0, TIMERS)
    assert due == T0 + timedelta(seconds=30)
    assert flush_decision(T0 + timedelta(seconds=10), due, None, True, TIMERS) is FlushDecision.WAIT
    assert flush_decision(due, due, None, True, TIMERS) is FlushDecision.NOTIFY
    nxt = next_flush_at(due, TIMERS)
    assert nxt == due + timedelta(minutes=5)
    assert flush_decision(nxt, nxt, due, False, TIMERS) is FlushDecision.SKIP
    assert flush_decision(nxt, nxt, due, True, TIMERS) is FlushDecision.NOTIFY
    later = due + timedelta(hours=4)
    assert flush_decision(later, later, due, False, TIMERS) is FlushDecision.REPEAT


@given(st.integers(0, 10_000), st.booleans())
def test_nothing_is_sent_before_the_group_is_due(seconds_early: int, changed: bool) -> None:
    due = first_flush_at(T0, TIMERS)
    now = due - timedelta(seconds=seconds_early + 1)
    assert flush_decision(now, due, None, changed, TIMERS) is FlushDecision.WAIT


def test_smart_grouping_records_the_reason() -> None:
    cands = [
        Candidate(1, "checkout", "Checkout latency high", T0),
        Candidate(2, "payments", "Disk almost full on db-7", T0),
    ]
    window = timedelta(minutes=10)
    at = T0 + timedelta(minutes=2)
    assert related_group("checkout", "x", at, cands, frozenset(), window) == (
        1,
        "same service 'checkout' within 0:10:00",
    )
    got = related_group("ledger", "y", at, cands, frozenset({"payments"}), window)
    assert got is not None and got[0] == 2 and "neighbour" in got[1]
    got = related_group("other", "Disk almost full on db-9", at, cands, frozenset(), window)
    assert got is not None and got[0] == 2 and "similar" in got[1]
    late = T0 + timedelta(hours=1)
    assert related_group("checkout", "x", late, cands, frozenset(), window) is None


def _incoming(**kw: Any) -> IncomingAlert:
    return IncomingAlert(labels={"alertname": "A"}, source="test", severity=Severity.HIGH, **kw)


def test_a_repeat_refreshes_a_resolve_closes_and_a_later_fire_reopens() -> None:
    firing = _incoming(ends_at=T0 + timedelta(minutes=4))  # Alertmanager: endsAt ahead
    assert classify(firing, None, T0) is Transition.NEW
    assert classify(firing, Known(1, "firing"), T0) is Transition.REFRESH
    assert classify(_incoming(), Known(1, "acknowledged"), T0) is Transition.REFRESH
    past = _incoming(ends_at=T0 - timedelta(seconds=1))  # endsAt in the past resolves
    assert classify(past, Known(1, "firing"), T0) is Transition.RESOLVE
    assert classify(_incoming(resolve=True), Known(1, "firing"), T0) is Transition.RESOLVE
    assert classify(firing, Known(1, "resolved"), T0) is Transition.REOPEN
    assert classify(past, Known(1, "resolved"), T0) is Transition.IGNORE
    assert classify(_incoming(resolve=True), None, T0) is Transition.IGNORE


@given(
    st.sampled_from(["firing", "acknowledged", "silenced"]),
    st.sampled_from([None, "silence:s1", "inhibition:i1", "maintenance:3"]),
    st.booleans(),
)
def test_an_open_alert_resolves_whether_or_not_it_is_muted(
    status: str, muted_by: str | None, explicit: bool
) -> None:
    resolving = _incoming(resolve=True) if explicit else _incoming(ends_at=T0)
    assert classify(resolving, Known(1, status, muted_by=muted_by), T0) is Transition.RESOLVE
