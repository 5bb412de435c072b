import { describe, expect, it } from "vitest";
import { bucketize, histogramStep, levelsPresent } from "./histogram";

const T0 = Date.parse("2025-05-01T12:00:00Z");
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

describe("histogram bucketing", () => {
  it("lays the API's sparse buckets on a full grid with zeros, by level", () => {
    const buckets = bucketize(
      [
        { start: iso(0), total: 3, by_level: { INFO: 2, ERROR: 1 } },
        { start: iso(15), total: 5, by_level: { INFO: 4, WARN: 1 } },
      ],
      T0,
      T0 + 30 * 60_000,
      300,
    );
    expect(buckets).toHaveLength(6);
    expect(buckets.map((b) => b.total)).toEqual([3, 0, 0, 5, 0, 0]);
    expect(buckets[0]!.levels).toEqual({ TRACE: 0, DEBUG: 0, INFO: 2, WARN: 0, ERROR: 1, FATAL: 0 });
    expect(buckets[3]!.t).toBe(T0 + 15 * 60_000);
    expect(buckets[3]!.end).toBe(T0 + 20 * 60_000);
    expect(levelsPresent(buckets)).toEqual(["INFO", "WARN", "ERROR"]);
  });

  it("cuts the last bucket at the end of the range and drops counts outside it", () => {
    const buckets = bucketize(
      [
        { start: iso(-5), total: 9, by_level: { INFO: 9 } },
        { start: iso(10), total: 2, by_level: { FATAL: 2 } },
      ],
      T0,
      T0 + 12 * 60_000,
      300,
    );
    expect(buckets).toHaveLength(3);
    expect(buckets[2]).toMatchObject({ t: T0 + 10 * 60_000, end: T0 + 12 * 60_000, total: 2 });
    expect(buckets.reduce((n, b) => n + b.total, 0)).toBe(2);
  });

  it("chooses a readable step for about 60 bars", () => {
    expect(histogramStep(15 * 60_000)).toBe(60);
    expect(histogramStep(3_600_000)).toBe(60);
    expect(histogramStep(6 * 3_600_000)).toBe(600);
    expect(histogramStep(24 * 3_600_000)).toBe(1800);
    expect(histogramStep(7 * 86_400_000)).toBe(10800);
  });
});
