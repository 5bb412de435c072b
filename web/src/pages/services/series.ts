// RED series from the tracing statistics: pure helpers.
import type { Point } from "../../components/charts";

export interface StatPoint {
  time: string;
  count: number;
  error_count: number;
  rate_per_second: number;
  error_rate: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

/** The step start times (epoch ms) the server buckets [start, end] into: whole minutes
 * from the start's minute, `stepSeconds` apart. */
export function stepTimes(startMs: number, endMs: number, stepSeconds: number): number[] {
  const step = stepSeconds * 1000;
  const first = Math.floor(startMs / 60_000) * 60_000;
  const times: number[] = [];
  for (let t = first; t <= endMs && times.length < 10_000; t += step) times.push(t);
  return times;
}

export interface RedSeries {
  rate: Point[];
  errors: Point[];
  errorRate: Point[];
  p50: Point[];
  p95: Point[];
  p99: Point[];
}

/** One point per step. The statistics omit steps without spans: there, rate and errors
 * are 0 (no traffic) and latencies are gaps (nothing to measure). */
export function redSeries(points: readonly StatPoint[], startMs: number, endMs: number, stepSeconds: number): RedSeries {
  const times = stepTimes(startMs, endMs, stepSeconds);
  const first = times[0] ?? startMs;
  const step = stepSeconds * 1000;
  const slots = new Map<number, StatPoint>();
  for (const p of points) {
    const index = Math.round((Date.parse(p.time) - first) / step);
    if (index >= 0 && index < times.length) slots.set(index, p);
  }
  const pick = (f: (p: StatPoint) => number | null, empty: number | null): Point[] =>
    times.map((t, i) => {
      const p = slots.get(i);
      return { t, v: p ? f(p) : empty };
    });
  return {
    rate: pick((p) => p.rate_per_second, 0),
    errors: pick((p) => p.error_count / stepSeconds, 0),
    errorRate: pick((p) => p.error_rate, 0),
    p50: pick((p) => p.p50_ms, null),
    p95: pick((p) => p.p95_ms, null),
    p99: pick((p) => p.p99_ms, null),
  };
}
