// Scales for the duration-over-time scatter. Pure.
import { linear, niceTicks } from "../../components/charts";

export interface YScale {
  (ms: number): number;
  ticks: number[];
  log: boolean;
}

/** Duration → y. Durations spanning more than ~30× use a log scale (a 20 s outlier does not
 * flatten every 50 ms request onto the axis); otherwise linear from 0. */
export function durationScale(durations: readonly number[], range: [number, number]): YScale {
  const positive = durations.filter((d) => d > 0 && Number.isFinite(d));
  const min = positive.length ? Math.min(...positive) : 1;
  const max = positive.length ? Math.max(...positive) : 1;
  const [bottom, top] = range;
  if (max / min > 30) {
    const lo = 10 ** Math.floor(Math.log10(min));
    const hi = 10 ** Math.ceil(Math.log10(max));
    const toY = linear([Math.log10(lo), Math.log10(hi)], [bottom, top]);
    const scale = ((ms: number) => toY(Math.log10(Math.max(ms, lo)))) as YScale;
    scale.ticks = logTicks(lo, hi);
    scale.log = true;
    return scale;
  }
  const ticks = niceTicks(0, max, 4);
  const toY = linear([0, ticks[ticks.length - 1] ?? max], [bottom, top]);
  const scale = ((ms: number) => toY(ms)) as YScale;
  scale.ticks = ticks;
  scale.log = false;
  return scale;
}

/** 1-2-5 ticks between powers of ten lo and hi (only the powers when the span is wide). */
export function logTicks(lo: number, hi: number): number[] {
  const decades = Math.round(Math.log10(hi / lo));
  const ticks: number[] = [];
  for (let d = 0; d <= decades; d++) {
    const base = lo * 10 ** d;
    const steps = decades > 3 || d === decades ? [1] : [1, 2, 5];
    for (const m of steps) ticks.push(Number((base * m).toPrecision(6)));
  }
  return ticks;
}

/** Dot radius from the trace's span count: 3px for one span, ~10px for thousands. */
export function dotRadius(spanCount: number): number {
  return Math.min(10, 3 + Math.log10(Math.max(1, spanCount)) * 2);
}

/** Time → x over the searched range. */
export function timeScale(domain: [number, number], range: [number, number]): (t: number) => number {
  return linear(domain, range);
}
