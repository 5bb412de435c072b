import { describe, expect, it } from "vitest";
import { redSeries, stepTimes } from "./series";

const at = (iso: string) => Date.parse(iso);
const point = (time: string, count: number, errors: number, p95: number) => ({
  time,
  count,
  error_count: errors,
  rate_per_second: count / 60,
  error_rate: errors / count,
  p50_ms: p95 / 2,
  p95_ms: p95,
  p99_ms: p95 * 2,
});

describe("redSeries", () => {
  it("has a point per step: no traffic is 0 requests, but a gap in latency", () => {
    const start = at("2025-05-01T12:00:30Z");
    const end = at("2025-05-01T12:05:30Z");
    expect(stepTimes(start, end, 60).map((t) => new Date(t).toISOString().slice(11, 16))).toEqual([
      "12:00", "12:01", "12:02", "12:03", "12:04", "12:05",
    ]);
    const red = redSeries([point("2025-05-01T12:01:00Z", 120, 6, 80), point("2025-05-01T12:04:00Z", 60, 0, 40)], start, end, 60);
    expect(red.rate.map((p) => p.v)).toEqual([0, 2, 0, 0, 1, 0]);
    expect(red.errorRate.map((p) => p.v)).toEqual([0, 0.05, 0, 0, 0, 0]);
    expect(red.p95.map((p) => p.v)).toEqual([null, 80, null, null, 40, null]);
    expect(red.errors[1]!.v).toBeCloseTo(0.1);
  });
});
