// The volume histogram: the API's per-bucket counts (buckets without lines are left out)
// laid on a fixed grid over the range, every level present in every bucket. Pure.
import { LEVELS } from "./levels";

export interface StatisticsBucketIn {
  start: string;
  total: number;
  by_level: Record<string, number>;
}

export interface Bucket {
  /** Start of the bucket (epoch ms). */
  t: number;
  /** End of the bucket (epoch ms, exclusive). */
  end: number;
  total: number;
  /** A count per level, in LEVELS order (0 when none). */
  levels: Record<string, number>;
}

/** Step (seconds) giving at most `bars` buckets over `spanMs`, rounded to a readable width. */
export function histogramStep(spanMs: number, bars = 60): number {
  const steps = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  const raw = spanMs / 1000 / bars;
  return steps.find((s) => s >= raw) ?? Math.ceil(raw / 86400) * 86400;
}

/** Buckets of `stepSeconds` from `startMs` (the API's grid: start + k·step) up to `endMs`. */
export function bucketize(series: StatisticsBucketIn[], startMs: number, endMs: number, stepSeconds: number): Bucket[] {
  const stepMs = stepSeconds * 1000;
  const count = Math.max(1, Math.ceil((endMs - startMs) / stepMs));
  const buckets: Bucket[] = Array.from({ length: count }, (_, i) => ({
    t: startMs + i * stepMs,
    end: Math.min(startMs + (i + 1) * stepMs, endMs),
    total: 0,
    levels: Object.fromEntries(LEVELS.map((l) => [l, 0])),
  }));
  for (const b of series) {
    const index = Math.floor((Date.parse(b.start) - startMs) / stepMs);
    const bucket = buckets[index];
    if (!bucket) continue; // outside the grid (the range moved on)
    for (const [level, n] of Object.entries(b.by_level)) {
      bucket.levels[level] = (bucket.levels[level] ?? 0) + n;
      bucket.total += n;
    }
  }
  return buckets;
}

/** The levels that occur in any bucket, lowest first (the histogram's legend). */
export function levelsPresent(buckets: Bucket[]): string[] {
  const present = new Set<string>();
  for (const b of buckets) for (const [level, n] of Object.entries(b.levels)) if (n > 0) present.add(level);
  const known = LEVELS.filter((l) => present.has(l));
  return [...known, ...[...present].filter((l) => !(LEVELS as readonly string[]).includes(l)).sort()];
}
