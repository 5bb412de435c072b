// Pure helpers for the SVG charts: scales, "nice" ticks and paths with gaps.

export interface Point {
  /** epoch milliseconds */
  t: number;
  /** null: no data (the line breaks) */
  v: number | null;
}

export interface Series {
  name: string;
  points: Point[];
  /** CSS colour; default: the theme's series palette in order */
  color?: string;
}

export function linear(domain: [number, number], range: [number, number]): (x: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (x) => r0 + ((x - d0) / span) * (r1 - r0);
}

/** Round tick values covering [min, max] (about `count` of them). */
export function niceTicks(min: number, max: number, count = 4): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) max = min + 1;
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  // From the last round value at or below min to the first at or above max.
  const ticks: number[] = [];
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** An SVG path through the points; null values break the line. */
export function linePath(points: Point[], x: (t: number) => number, y: (v: number) => number): string {
  let path = "";
  let pen = false;
  for (const p of points) {
    if (p.v === null || !Number.isFinite(p.v)) {
      pen = false;
      continue;
    }
    path += `${pen ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
    pen = true;
  }
  return path;
}

export function extent(series: Series[]): { t0: number; t1: number; vMax: number } {
  let t0 = Infinity;
  let t1 = -Infinity;
  let vMax = 0;
  for (const s of series) {
    for (const p of s.points) {
      t0 = Math.min(t0, p.t);
      t1 = Math.max(t1, p.t);
      if (p.v !== null && Number.isFinite(p.v)) vMax = Math.max(vMax, p.v);
    }
  }
  return { t0, t1, vMax };
}

/** Index of the point nearest to time t (points sorted by t). */
export function nearestIndex(points: Point[], t: number): number {
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((points[mid]?.t ?? 0) < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs((points[lo - 1]?.t ?? 0) - t) < Math.abs((points[lo]?.t ?? 0) - t)) lo -= 1;
  return lo;
}

export function timeTickLabel(t: number, spanMs: number): string {
  const date = new Date(t);
  if (spanMs > 2 * 86_400_000) return date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}
