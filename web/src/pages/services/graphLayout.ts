// The service graph's layout: pure, no DOM. Callers on the left, callees to the right.
//
// Layered ("Sugiyama-lite"): cycles are broken by ignoring the edges a depth-first walk
// finds going back to a node on its own path; each node's layer is its longest path from
// a node nobody calls; within a layer, nodes are ordered by the mean position of their
// neighbours (a few sweeps each way), which untangles most crossings of a small graph.
// Node radius grows with the square root of traffic (area ~ traffic); edges carry an
// error level and a width from their call count.

export interface GraphEdge {
  caller: string;
  callee: string;
  call_count: number;
  error_count: number;
  error_rate: number;
  traced: boolean;
  p50_ms?: number | null;
  p95_ms?: number | null;
  p99_ms?: number | null;
}

export type ErrorLevel = "ok" | "warn" | "bad";

export interface LayoutNode {
  id: string;
  x: number;
  y: number;
  r: number;
  layer: number;
  traffic: number;
}

export interface LayoutEdge {
  edge: GraphEdge;
  path: string;
  level: ErrorLevel;
  width: number;
  /** Where a label sits (the path's midpoint). */
  mid: { x: number; y: number };
}

export interface GraphLayout {
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  width: number;
  height: number;
}

export interface LayoutOptions {
  layerGap?: number;
  rowGap?: number;
  minRadius?: number;
  maxRadius?: number;
  margin?: number;
}

/** Error rate → level: 5% and more is bad, 1% and more a warning (as on the overview). */
export function errorLevel(rate: number): ErrorLevel {
  if (rate >= 0.05) return "bad";
  if (rate >= 0.01) return "warn";
  return "ok";
}

/** Layer of each node: 0 for nodes nobody calls, else 1 + the deepest caller (cycles broken). */
export function assignLayers(nodes: readonly string[], edges: readonly GraphEdge[]): Map<string, number> {
  const out = new Map<string, string[]>();
  for (const n of nodes) out.set(n, []);
  for (const e of edges) {
    if (!out.has(e.caller)) out.set(e.caller, []);
    if (!out.has(e.callee)) out.set(e.callee, []);
    if (e.caller !== e.callee) out.get(e.caller)!.push(e.callee);
  }
  const ids = [...out.keys()].sort();
  const incoming = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const targets of out.values()) for (const t of targets) incoming.set(t, incoming.get(t)! + 1);

  // Depth-first from the sources (then from whatever is left: pure cycles), keeping the
  // edges that do not close a cycle, in an order where callers come before callees.
  const state = new Map<string, 1 | 2>(); // 1 on the path, 2 done
  const forward = new Map<string, string[]>(ids.map((id) => [id, []]));
  const finished: string[] = [];
  const visit = (start: string) => {
    const stack: { id: string; next: number }[] = [{ id: start, next: 0 }];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const targets = out.get(top.id)!;
      if (top.next < targets.length) {
        const target = targets[top.next++]!;
        const seen = state.get(target);
        if (seen === 1) continue; // back edge: ignored for layering
        forward.get(top.id)!.push(target);
        if (seen === undefined) {
          state.set(target, 1);
          stack.push({ id: target, next: 0 });
        }
      } else {
        state.set(top.id, 2);
        finished.push(top.id);
        stack.pop();
      }
    }
  };
  for (const id of ids) if (incoming.get(id) === 0 && !state.has(id)) visit(id);
  for (const id of ids) if (!state.has(id)) visit(id);

  const layers = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const id of finished.reverse()) {
    for (const target of forward.get(id)!) {
      layers.set(target, Math.max(layers.get(target)!, layers.get(id)! + 1));
    }
  }
  return layers;
}

/** Orders the nodes of each layer to reduce crossings (barycentre sweeps). */
export function orderLayers(layers: Map<string, number>, edges: readonly GraphEdge[], sweeps = 4): string[][] {
  const count = Math.max(-1, ...layers.values()) + 1;
  const rows: string[][] = Array.from({ length: count }, () => []);
  for (const [id, layer] of [...layers].sort(([a], [b]) => a.localeCompare(b))) rows[layer]!.push(id);
  const callers = new Map<string, string[]>();
  const callees = new Map<string, string[]>();
  for (const e of edges) {
    if (e.caller === e.callee) continue;
    callers.set(e.callee, [...(callers.get(e.callee) ?? []), e.caller]);
    callees.set(e.caller, [...(callees.get(e.caller) ?? []), e.callee]);
  }
  const position = new Map<string, number>();
  const remember = () => rows.forEach((row) => row.forEach((id, i) => position.set(id, i / Math.max(1, row.length - 1))));
  remember();
  const reorder = (row: string[], neighbours: Map<string, string[]>) => {
    const keyed = row.map((id, index) => {
      const ps = (neighbours.get(id) ?? []).map((n) => position.get(n)).filter((p): p is number => p !== undefined);
      const centre = ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : index / Math.max(1, row.length - 1);
      return { id, centre, index };
    });
    keyed.sort((a, b) => a.centre - b.centre || a.index - b.index);
    return keyed.map((k) => k.id);
  };
  for (let sweep = 0; sweep < sweeps; sweep++) {
    for (let l = 1; l < count; l++) {
      rows[l] = reorder(rows[l]!, callers);
      remember();
    }
    for (let l = count - 2; l >= 0; l--) {
      rows[l] = reorder(rows[l]!, callees);
      remember();
    }
  }
  return rows;
}

/** Radius for a node's traffic: area proportional to traffic, between min and max. */
export function radiusFor(traffic: number, maxTraffic: number, min = 12, max = 34): number {
  if (maxTraffic <= 0 || traffic <= 0) return min;
  return min + (max - min) * Math.sqrt(Math.min(1, traffic / maxTraffic));
}

const DUMMY = "\u0000";

/** Long calls (across more than one layer) become chains through placeholder nodes in the
 * layers between, so ordering keeps them clear of the nodes they pass and they bend around
 * them. Returns the layers and the chain edges (for ordering) with each call's waypoints. */
function withWaypoints(layers: Map<string, number>, edges: readonly GraphEdge[]) {
  const all = new Map(layers);
  const chained: GraphEdge[] = [];
  const waypoints = new Map<GraphEdge, string[]>();
  for (const edge of edges) {
    const from = layers.get(edge.caller);
    const to = layers.get(edge.callee);
    if (from === undefined || to === undefined || to - from <= 1) {
      chained.push(edge);
      continue;
    }
    const ids: string[] = [];
    for (let layer = from + 1; layer < to; layer++) {
      const id = `${DUMMY}${edge.caller}->${edge.callee}#${layer}`;
      all.set(id, layer);
      ids.push(id);
    }
    const chain = [edge.caller, ...ids, edge.callee];
    for (let i = 1; i < chain.length; i++) chained.push({ ...edge, caller: chain[i - 1]!, callee: chain[i]! });
    waypoints.set(edge, ids);
  }
  return { all, chained, waypoints };
}

export function layoutGraph(
  services: readonly string[],
  edges: readonly GraphEdge[],
  traffic: ReadonlyMap<string, number>,
  options: LayoutOptions = {},
): GraphLayout {
  const { layerGap = 200, rowGap = 112, minRadius = 12, maxRadius = 34, margin = 24 } = options;
  const layers = assignLayers(services, edges);
  const { all, chained, waypoints } = withWaypoints(layers, edges);
  const rows = orderLayers(all, chained);
  const maxTraffic = Math.max(0, ...[...layers.keys()].map((id) => traffic.get(id) ?? 0));
  // A node takes a full row; a waypoint a narrow lane.
  const slot = (id: string) => (id.startsWith(DUMMY) ? rowGap * 0.4 : rowGap);
  const extent = (row: string[]) => row.reduce((sum, id) => sum + slot(id), 0);
  const tallest = Math.max(rowGap, ...rows.map(extent));
  const left = margin + maxRadius + 40; // room for labels
  const top = margin + maxRadius;
  const nodes: LayoutNode[] = [];
  const byId = new Map<string, LayoutNode>();
  rows.forEach((row, layer) => {
    let y = top + (tallest - extent(row)) / 2;
    for (const id of row) {
      const t = traffic.get(id) ?? 0;
      const dummy = id.startsWith(DUMMY);
      const node = { id, layer, traffic: t, x: left + layer * layerGap, y: y + (slot(id) - rowGap) / 2, r: dummy ? 0 : radiusFor(t, maxTraffic, minRadius, maxRadius) };
      y += slot(id);
      if (!dummy) nodes.push(node);
      byId.set(id, node);
    }
  });
  const maxCalls = Math.max(1, ...edges.map((e) => e.call_count));
  const laid: LayoutEdge[] = [];
  for (const edge of edges) {
    const a = byId.get(edge.caller);
    const b = byId.get(edge.callee);
    if (!a || !b) continue;
    const via = (waypoints.get(edge) ?? []).map((id) => byId.get(id)!);
    const { path, mid } = via.length ? chainPath(a, via, b) : edgePath(a, b, rowGap);
    laid.push({ edge, path, mid, level: errorLevel(edge.error_rate), width: 1.2 + 3 * Math.sqrt(edge.call_count / maxCalls) });
  }
  const width = left + Math.max(0, rows.length - 1) * layerGap + maxRadius + 40 + margin;
  const height = top + tallest - rowGap + maxRadius + 36 + margin; // 36: the two label lines under a node
  return { nodes, edges: laid, width, height };
}

/** A smooth curve from a through the waypoints to b (horizontal tangents at each). */
export function chainPath(a: LayoutNode, via: readonly LayoutNode[], b: LayoutNode): { path: string; mid: { x: number; y: number } } {
  const f = (n: number) => n.toFixed(1);
  const points = [{ x: a.x + a.r, y: a.y }, ...via.map((v) => ({ x: v.x, y: v.y })), { x: b.x - b.r - 6, y: b.y }];
  let path = `M${f(points[0]!.x)},${f(points[0]!.y)}`;
  for (let i = 1; i < points.length; i++) {
    const p = points[i - 1]!;
    const q = points[i]!;
    const dx = (q.x - p.x) / 2;
    path += ` C${f(p.x + dx)},${f(p.y)} ${f(q.x - dx)},${f(q.y)} ${f(q.x)},${f(q.y)}`;
  }
  const middle = via[Math.floor((via.length - 1) / 2)]!;
  return { path, mid: { x: middle.x, y: middle.y } };
}

/** A cubic curve from a's right side to b's left side; a call backwards (or within a
 * layer, or to itself) loops below. */
export function edgePath(a: LayoutNode, b: LayoutNode, rowGap: number): { path: string; mid: { x: number; y: number } } {
  const f = (n: number) => n.toFixed(1);
  if (a.id === b.id) {
    const x = a.x;
    const y = a.y + a.r;
    return { path: `M${f(x - 6)},${f(y)} C${f(x - 30)},${f(y + 40)} ${f(x + 30)},${f(y + 40)} ${f(x + 6)},${f(y)}`, mid: { x, y: y + 30 } };
  }
  if (b.layer > a.layer) {
    const x1 = a.x + a.r;
    const x2 = b.x - b.r - 6; // room for the arrow head
    const dx = (x2 - x1) / 2;
    return {
      path: `M${f(x1)},${f(a.y)} C${f(x1 + dx)},${f(a.y)} ${f(x2 - dx)},${f(b.y)} ${f(x2)},${f(b.y)}`,
      mid: { x: (x1 + x2) / 2, y: (a.y + b.y) / 2 },
    };
  }
  const x1 = a.x;
  const y1 = a.y + a.r;
  const x2 = b.x;
  const y2 = b.y + b.r + 6;
  const dip = Math.max(y1, y2) + rowGap * 0.45;
  return {
    path: `M${f(x1)},${f(y1)} C${f(x1)},${f(dip)} ${f(x2)},${f(dip)} ${f(x2)},${f(y2)}`,
    mid: { x: (x1 + x2) / 2, y: dip - rowGap * 0.1 },
  };
}

/** Traffic per node: the requests a service served, or (for untraced callees such as
 * databases) the calls its callers made to it, whichever is larger. */
export function nodeTraffic(
  services: readonly string[],
  edges: readonly GraphEdge[],
  served: ReadonlyMap<string, number>,
): Map<string, number> {
  const traffic = new Map<string, number>(services.map((s) => [s, served.get(s) ?? 0]));
  const incoming = new Map<string, number>();
  for (const e of edges) incoming.set(e.callee, (incoming.get(e.callee) ?? 0) + e.call_count);
  for (const [id, calls] of incoming) traffic.set(id, Math.max(traffic.get(id) ?? 0, calls));
  return traffic;
}
