"""A trace as a tree: parentage, depth, self time and the critical path. Pure.

Self time is a span's duration minus the time covered by its children (their union,
clipped to the span). The critical path is the chain of work that determined the trace's
end: walking back from the root's end, the child that finished last holds the path until
its start, then the next child that finished before that point, and so on (Jaeger's
definition). Orphans (parent not in the trace) become extra roots; parent cycles are
broken.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass
class TreeSpan:
    span_id: str
    parent_span_id: str
    start_ns: int
    duration_ns: int
    children: list[TreeSpan] = field(default_factory=list)
    depth: int = 0
    self_ns: int = 0
    critical_ns: int = 0  # time this span holds the critical path

    @property
    def end_ns(self) -> int:
        return self.start_ns + self.duration_ns

    @property
    def on_critical_path(self) -> bool:
        return self.critical_ns > 0


@dataclass
class TraceTree:
    roots: list[TreeSpan]
    by_id: dict[str, TreeSpan]

    def walk(self) -> Iterable[TreeSpan]:
        """Depth first, children by start time."""
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


def covered_ns(start: int, end: int, intervals: Iterable[tuple[int, int]]) -> int:
    """Length of the union of `intervals` clipped to [start, end]."""
    total, cursor = 0, start
    for a, b in sorted(intervals):
        a, b = max(a, cursor), min(b, end)
        if b > a:
            total += b - a
            cursor = b
    return total


def build(spans: Sequence[TreeSpan]) -> TraceTree:
    by_id: dict[str, TreeSpan] = {}
    for span in spans:
        by_id.setdefault(span.span_id, span)  # a duplicate id keeps its first copy
    nodes = list(by_id.values())
    roots: list[TreeSpan] = []
    for node in nodes:
        parent = by_id.get(node.parent_span_id) if node.parent_span_id else None
        if parent is None or parent is node:
            roots.append(node)
        else:
            parent.children.append(node)
    # Spans caught in a parent cycle are unreachable from any root: cut them loose.
    reached = _mark_depths(roots)
    for node in nodes:
        if node.span_id not in reached:
            parent = by_id[node.parent_span_id]
            parent.children = [c for c in parent.children if c is not node]
            roots.append(node)
            reached |= _mark_depths([node])
    roots.sort(key=lambda n: (n.start_ns, -n.duration_ns))
    for node in nodes:
        node.children.sort(key=lambda n: n.start_ns)
        node.self_ns = node.duration_ns - covered_ns(
            node.start_ns, node.end_ns, ((c.start_ns, c.end_ns) for c in node.children)
        )
    tree = TraceTree(roots=roots, by_id=by_id)
    if roots:
        main = max(roots, key=lambda n: (n.duration_ns, -n.start_ns))
        _critical_path(main)
    return tree


def _mark_depths(roots: list[TreeSpan]) -> set[str]:
    seen: set[str] = set()
    stack = [(r, 0) for r in roots]
    while stack:
        node, depth = stack.pop()
        if node.span_id in seen:
            continue
        seen.add(node.span_id)
        node.depth = depth
        stack.extend((c, depth + 1) for c in node.children)
    return seen


def _critical_path(root: TreeSpan) -> None:
    """Credit each span with the time it holds the critical path (iterative, no recursion
    limit on deep traces)."""
    stack: list[tuple[TreeSpan, int]] = [(root, root.end_ns)]
    while stack:
        span, upper = stack.pop()
        cursor = min(span.end_ns, upper)
        for child in sorted(span.children, key=lambda c: c.end_ns, reverse=True):
            if cursor <= span.start_ns:
                break
            if child.start_ns >= cursor:
                continue  # it ran entirely after the point the path has reached
            child_end = min(child.end_ns, cursor)
            span.critical_ns += cursor - child_end
            stack.append((child, child_end))
            cursor = max(child.start_ns, span.start_ns)
        if cursor > span.start_ns:
            span.critical_ns += cursor - span.start_ns
