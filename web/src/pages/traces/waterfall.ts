// The waterfall's model: the API's span tree flattened into rows, collapse/expand,
// critical-path segments and the time ruler. Pure (no React, no DOM).
//
// Times: the API's *_ns values are epoch nanoseconds (~1.8e18), past 2^53, so JSON numbers
// lose up to ~256 ns; offsets from the trace start are computed from them and are exact to
// well under a microsecond, which is all a waterfall needs.

export interface SpanLike {
  span_id: string;
  parent_span_id: string | null;
  start_ns: number;
  duration_ns: number;
  on_critical_path: boolean;
  children: SpanLike[];
}

export interface Row<S extends SpanLike = SpanLike> {
  span: S;
  id: string;
  depth: number;
  /** The parent row's span id (null for a root). */
  parent: string | null;
  /** Number of rows below this one in its subtree. */
  descendants: number;
  childCount: number;
  /** Offset of the start from the trace's start, and the duration, in ms. */
  offsetMs: number;
  durationMs: number;
}

/** Depth-first rows (children in the API's order: by start time). Iterative: a trace may be
 * thousands of levels deep. */
export function flatten<S extends SpanLike>(roots: readonly S[], traceStartNs?: number): Row<S>[] {
  const origin = traceStartNs ?? Math.min(...roots.map((r) => r.start_ns));
  const rows: Row<S>[] = [];
  const parentIndex: number[] = [];
  const stack: { span: S; depth: number; parent: number }[] = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push({ span: roots[i]!, depth: 0, parent: -1 });
  while (stack.length) {
    const { span, depth, parent } = stack.pop()!;
    const index = rows.length;
    rows.push({
      span,
      id: span.span_id,
      depth,
      parent: parent >= 0 ? rows[parent]!.id : null,
      descendants: 0,
      childCount: span.children.length,
      offsetMs: (span.start_ns - origin) / 1e6,
      durationMs: span.duration_ns / 1e6,
    });
    parentIndex.push(parent);
    const children = span.children as S[];
    for (let i = children.length - 1; i >= 0; i--) stack.push({ span: children[i]!, depth: depth + 1, parent: index });
  }
  // Children come after their parent: summing from the end gives each subtree's size.
  for (let i = rows.length - 1; i >= 0; i--) {
    const p = parentIndex[i]!;
    if (p >= 0) rows[p]!.descendants += 1 + rows[i]!.descendants;
  }
  return rows;
}

/** The rows shown when the spans in `collapsed` hide their subtrees. */
export function visibleRows<S extends SpanLike>(rows: readonly Row<S>[], collapsed: ReadonlySet<string>): Row<S>[] {
  if (collapsed.size === 0) return rows as Row<S>[];
  const out: Row<S>[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    out.push(row);
    if (row.descendants > 0 && collapsed.has(row.id)) i += row.descendants;
  }
  return out;
}

/** Span ids from the root down to (not including) `id`. */
export function ancestorsOf(rows: readonly Row[], id: string): string[] {
  const parentOf = new Map(rows.map((r) => [r.id, r.parent]));
  const chain: string[] = [];
  let current = parentOf.get(id) ?? null;
  const seen = new Set<string>();
  while (current && !seen.has(current)) {
    seen.add(current);
    chain.unshift(current);
    current = parentOf.get(current) ?? null;
  }
  return chain;
}

/** Every span that has children (what "collapse all" collapses), below the given depth. */
export function parentsBelow(rows: readonly Row[], depth: number): string[] {
  return rows.filter((r) => r.childCount > 0 && r.depth >= depth).map((r) => r.id);
}

export type Segment = [startNs: number, endNs: number];

/**
 * The stretches of time each span holds the critical path (the API marks which spans are
 * on it and for how long; the bars need where). Jaeger's definition, as the server's: from
 * the end of the longest root walking back, the child that finished last (before the point
 * reached) holds the path from its end back to its start, recursively; the gaps are the
 * parent's own work.
 */
export function criticalSegments(roots: readonly SpanLike[]): Map<string, Segment[]> {
  const segments = new Map<string, Segment[]>();
  if (roots.length === 0) return segments;
  const main = roots.reduce((best, r) =>
    r.duration_ns > best.duration_ns || (r.duration_ns === best.duration_ns && r.start_ns < best.start_ns) ? r : best,
  );
  const add = (id: string, start: number, end: number) => {
    if (end <= start) return;
    const list = segments.get(id) ?? [];
    list.push([start, end]);
    segments.set(id, list);
  };
  const stack: { span: SpanLike; upper: number }[] = [{ span: main, upper: main.start_ns + main.duration_ns }];
  while (stack.length) {
    const { span, upper } = stack.pop()!;
    const start = span.start_ns;
    let cursor = Math.min(start + span.duration_ns, upper);
    const byEnd = [...span.children].sort((a, b) => b.start_ns + b.duration_ns - (a.start_ns + a.duration_ns));
    for (const child of byEnd) {
      if (cursor <= start) break;
      if (child.start_ns >= cursor) continue;
      const childEnd = Math.min(child.start_ns + child.duration_ns, cursor);
      add(span.span_id, childEnd, cursor);
      stack.push({ span: child, upper: childEnd });
      cursor = Math.max(child.start_ns, start);
    }
    if (cursor > start) add(span.span_id, start, cursor);
  }
  for (const list of segments.values()) list.sort((a, b) => a[0] - b[0]);
  return segments;
}

/** Round tick offsets (ms from the trace start) across the shown window [from, to]
 * (about `count` of them; from 0 when the whole trace is shown). */
export function rulerTicks(to: number, count = 5, from = 0): number[] {
  const span = to - from;
  if (!(span > 0)) return [from];
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let i = Math.ceil(from / step - 1e-9); i * step <= to + step * 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** A ruler label with as many decimals as the tick step needs ("20.5 ms", "2.5 s"). */
export function tickLabel(t: number, step: number): string {
  if (t === 0) return "0";
  const decimals = (unit: number) => {
    const text = String(Number((step / unit).toPrecision(6)));
    return text.includes(".") ? Math.min(3, text.length - text.indexOf(".") - 1) : 0;
  };
  if (step >= 1000) return `${(t / 1000).toFixed(decimals(1000))} s`;
  if (step >= 1 || t >= 1) return `${t.toFixed(decimals(1))} ms`;
  return `${Math.round(t * 1000)} µs`;
}

/** Rows whose service or operation (or span id) contains the text, case-insensitively. */
export function matchingRows<S extends SpanLike & { service?: string; operation?: string }>(
  rows: readonly Row<S>[],
  text: string,
): Set<string> {
  const needle = text.trim().toLowerCase();
  const found = new Set<string>();
  if (!needle) return found;
  for (const row of rows) {
    const s = row.span;
    if (
      (s.operation ?? "").toLowerCase().includes(needle) ||
      (s.service ?? "").toLowerCase().includes(needle) ||
      row.id.startsWith(needle)
    )
      found.add(row.id);
  }
  return found;
}

/** Where a stretch [offset, offset + duration] (ms from the trace start) sits in the shown
 * window (ms), in percent of its width: clipped to the window; `visible` is false when the
 * stretch lies wholly outside it. `start`/`end` are unclipped (for placing labels). */
export function placeBar(
  offsetMs: number,
  durationMs: number,
  view: readonly [number, number],
): { left: number; width: number; start: number; end: number; visible: boolean } {
  const span = view[1] - view[0] || 1;
  const start = ((offsetMs - view[0]) / span) * 100;
  const end = ((offsetMs + durationMs - view[0]) / span) * 100;
  const left = Math.max(0, Math.min(100, start));
  const right = Math.max(0, Math.min(100, end));
  return { left, width: right - left, start, end, visible: end >= 0 && start <= 100 };
}
