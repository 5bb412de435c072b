import { describe, expect, it } from "vitest";
import { tickLabel, ancestorsOf, criticalSegments, flatten, matchingRows, parentsBelow, placeBar, rulerTicks, visibleRows, type SpanLike } from "./waterfall";

const MS = 1_000_000;
const T0 = 1_700_000_000_000 * MS;

interface TestSpan extends SpanLike {
  operation: string;
  service: string;
  children: TestSpan[];
}

function span(id: string, startMs: number, durationMs: number, children: TestSpan[] = [], service = "svc"): TestSpan {
  return {
    span_id: id,
    parent_span_id: null,
    start_ns: T0 + startMs * MS,
    duration_ns: durationMs * MS,
    on_critical_path: false,
    operation: `op-${id}`,
    service,
    children,
  };
}

// root 0..100: a 0..30 (a1 5..25), b 20..90 (b1 30..60, b2 50..80), c 92..95
const TREE = [
  span("root", 0, 100, [
    span("a", 0, 30, [span("a1", 5, 20)]),
    span("b", 20, 70, [span("b1", 30, 30), span("b2", 50, 30)], "db"),
    span("c", 92, 3),
  ]),
];

describe("flatten", () => {
  it("lists spans depth first with depth, parent, subtree size and offsets", () => {
    const rows = flatten(TREE);
    expect(rows.map((r) => r.id)).toEqual(["root", "a", "a1", "b", "b1", "b2", "c"]);
    expect(rows.map((r) => r.depth)).toEqual([0, 1, 2, 1, 2, 2, 1]);
    expect(rows.map((r) => r.descendants)).toEqual([6, 1, 0, 2, 0, 0, 0]);
    expect(rows[4]!.parent).toBe("b");
    expect(rows[4]!.offsetMs).toBeCloseTo(30, 3); // epoch ns are past 2^53: exact to ~0.3 µs
    expect(rows[4]!.durationMs).toBe(30);
  });

  it("handles a 5,000-level chain without recursion", () => {
    let node = span("leaf", 4999, 1);
    for (let i = 4998; i >= 0; i--) node = span(`s${i}`, i, 5000 - i, [node]);
    const rows = flatten([node]);
    expect(rows).toHaveLength(5000);
    expect(rows[0]!.descendants).toBe(4999);
    expect(rows[4999]!.depth).toBe(4999);
  });
});

describe("collapse and expand", () => {
  const rows = flatten(TREE);
  it("hides a collapsed span's subtree only", () => {
    expect(visibleRows(rows, new Set(["b"])).map((r) => r.id)).toEqual(["root", "a", "a1", "b", "c"]);
    expect(visibleRows(rows, new Set(["root"])).map((r) => r.id)).toEqual(["root"]);
    expect(visibleRows(rows, new Set(["a1"])).map((r) => r.id)).toHaveLength(7); // a leaf: nothing to hide
    expect(visibleRows(rows, new Set())).toBe(rows);
  });

  it("knows a span's ancestors (opened to show a selected span) and what collapse-all folds", () => {
    expect(ancestorsOf(rows, "b2")).toEqual(["root", "b"]);
    expect(ancestorsOf(rows, "root")).toEqual([]);
    expect(parentsBelow(rows, 1)).toEqual(["a", "b"]);
  });

  it("finds spans by operation, service or span id", () => {
    expect([...matchingRows(rows, "OP-B")]).toEqual(["b", "b1", "b2"]);
    expect([...matchingRows(rows, "db")]).toEqual(["b"]);
    expect(matchingRows(rows, " ").size).toBe(0);
  });
});

describe("criticalSegments", () => {
  it("walks back from the end: the last-finishing child holds the path, gaps are the parent's", () => {
    const segments = criticalSegments(TREE);
    // Epoch nanoseconds are past 2^53: compare to the microsecond, as the bars are drawn.
    const us = (ns: number) => Math.round((ns - T0) / 1000) / 1000;
    const ms = (id: string) => (segments.get(id) ?? []).map(([a, b]) => [us(a), us(b)]);
    // root: 95..100 (after c), 90..92 (between b and c); c: 92..95; b: 80..90 own, then b2 50..80,
    // then b1 30..50, b's own 20..30; a: 0..20 with a1 5..20 and a's own 0..5; root nothing before.
    expect(ms("root")).toEqual([[90, 92], [95, 100]]);
    expect(ms("c")).toEqual([[92, 95]]);
    expect(ms("b")).toEqual([[20, 30], [80, 90]]);
    expect(ms("b2")).toEqual([[50, 80]]);
    expect(ms("b1")).toEqual([[30, 50]]);
    expect(ms("a")).toEqual([[0, 5]]);
    expect(ms("a1")).toEqual([[5, 20]]);
    // The segments tile the root's duration exactly once.
    const total = [...segments.values()].flat().reduce((sum, [a, b]) => sum + (b - a), 0);
    expect(total / MS).toBeCloseTo(100, 3);
  });

  it("follows the longest root when there are orphans", () => {
    const segments = criticalSegments([span("short", 0, 10), span("long", 5, 50)]);
    expect(segments.has("short")).toBe(false);
    expect(segments.get("long")).toHaveLength(1);
  });
});

describe("rulerTicks", () => {
  it("gives round offsets from 0 across the trace", () => {
    expect(rulerTicks(23_933)).toEqual([0, 5000, 10_000, 15_000, 20_000]);
    expect(rulerTicks(4.03)).toEqual([0, 1, 2, 3, 4]);
    expect(rulerTicks(0)).toEqual([0]);
    // Zoomed to 257..729 ms: round offsets inside the window.
    expect(rulerTicks(729, 5, 257)).toEqual([300, 400, 500, 600, 700]);
    expect([0, 5000, 10_000].map((t) => tickLabel(t, 5000))).toEqual(["0", "5 s", "10 s"]);
    expect([2500, 5000].map((t) => tickLabel(t, 2500))).toEqual(["2.5 s", "5.0 s"]);
    expect([20, 20.5].map((t) => tickLabel(t, 0.5))).toEqual(["20.0 ms", "20.5 ms"]);
    expect(tickLabel(300, 100)).toBe("300 ms");
    expect(tickLabel(0.25, 0.05)).toBe("250 µs");
  });
});

describe("placeBar", () => {
  it("places a span in the shown window, clipped, and knows when it is out of view", () => {
    expect(placeBar(25, 50, [0, 100])).toEqual({ left: 25, width: 50, start: 25, end: 75, visible: true });
    // Zoomed to 40..60: a span 30..50 starts before the window and is cut at its edge.
    expect(placeBar(30, 20, [40, 60])).toEqual({ left: 0, width: 50, start: -50, end: 50, visible: true });
    expect(placeBar(0, 10, [40, 60]).visible).toBe(false);
    expect(placeBar(70, 5, [40, 60]).visible).toBe(false);
  });
});
