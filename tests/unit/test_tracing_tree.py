"""Trace trees: parentage, self time, critical path. Pure."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sentinel.tracing.tree import TreeSpan, build, covered_ns


def span(span_id: str, parent: str, start: int, duration: int) -> TreeSpan:
    return TreeSpan(span_id, parent, start, duration)


def test_self_time_subtracts_the_union_of_children() -> None:
    tree = build(
        [
            span("root", "", 0, 100),
            span("a", "root", 10, 40),  # 10-50
            span("b", "root", 30, 40),  # 30-70, overlaps a
            span("c", "root", 90, 30),  # 90-120, runs past the root's end
        ]
    )
    assert tree.by_id["root"].self_ns == 100 - 60 - 10
    assert [n.span_id for n in tree.walk()] == ["root", "a", "b", "c"]
    assert tree.by_id["b"].depth == 1


def test_critical_path_follows_the_last_finishing_child() -> None:
    # root 0-100; a 10-60 (has a child a1 20-55); b 15-40 hidden under a; c 70-90.
    tree = build(
        [
            span("root", "", 0, 100),
            span("a", "root", 10, 50),
            span("a1", "a", 20, 35),
            span("b", "root", 15, 25),
            span("c", "root", 70, 20),
        ]
    )
    critical = {n.span_id: n.critical_ns for n in tree.walk() if n.on_critical_path}
    # root: 90-100, 60-70, 0-10 = 30; c: 20; a: 55-60 and 10-20 = 15; a1: 35.
    assert critical == {"root": 30, "c": 20, "a": 15, "a1": 35}
    assert "b" not in critical
    assert sum(critical.values()) == 100


def test_orphans_and_cycles_become_roots() -> None:
    tree = build(
        [
            span("root", "", 0, 10),
            span("orphan", "missing", 5, 5),
            span("x", "y", 1, 1),
            span("y", "x", 2, 1),
        ]
    )
    assert {r.span_id for r in tree.roots} >= {"root", "orphan"}
    assert {n.span_id for n in tree.walk()} == {"root", "orphan", "x", "y"}


def test_a_deep_trace_does_not_hit_the_recursion_limit() -> None:
    spans = [span("s0", "", 0, 100_000)]
    spans += [span(f"s{i}", f"s{i - 1}", i, 100_000 - 2 * i) for i in range(1, 5000)]
    tree = build(spans)
    assert tree.by_id["s4999"].depth == 4999
    assert sum(n.critical_ns for n in tree.walk()) == 100_000


intervals = st.lists(
    st.tuples(st.integers(0, 1000), st.integers(0, 1000)).map(lambda t: (min(t), max(t))),
    max_size=20,
)


@given(intervals)
def test_covered_is_at_most_the_window_and_the_sum(parts: list[tuple[int, int]]) -> None:
    covered = covered_ns(100, 600, parts)
    assert 0 <= covered <= 500
    assert covered <= sum(max(0, min(b, 600) - max(a, 100)) for a, b in parts)


@st.composite
def traces(draw: st.DrawFn) -> list[TreeSpan]:
    """Random well-nested traces: every child lies inside its parent."""
    spans = [span("0", "", 0, draw(st.integers(1, 10_000)))]
    for i in range(1, draw(st.integers(1, 30))):
        parent = spans[draw(st.integers(0, len(spans) - 1))]
        start = draw(st.integers(parent.start_ns, parent.end_ns))
        duration = draw(st.integers(0, parent.end_ns - start))
        spans.append(span(str(i), parent.span_id, start, duration))
    return spans


@given(traces())
def test_properties_of_nested_traces(spans: list[TreeSpan]) -> None:
    tree = build(spans)
    root = tree.by_id["0"]
    # The critical path accounts for the root's whole duration, each span at most its own.
    assert sum(n.critical_ns for n in tree.walk()) == root.duration_ns
    for node in tree.walk():
        assert 0 <= node.self_ns <= node.duration_ns
        assert 0 <= node.critical_ns <= node.duration_ns
