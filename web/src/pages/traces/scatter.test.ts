import { describe, expect, it } from "vitest";
import { dotRadius, durationScale, logTicks, timeScale } from "./scatter";

describe("scatter scales", () => {
  it("use a linear duration axis from 0 when durations are alike", () => {
    const y = durationScale([120, 180, 240], [200, 10]);
    expect(y.log).toBe(false);
    expect(y(0)).toBe(200);
    expect(y.ticks[0]).toBe(0);
    expect(y(y.ticks[y.ticks.length - 1]!)).toBe(10);
    expect(y(240)).toBeLessThan(y(120));
  });

  it("switch to a log axis when one trace is far slower than the rest", () => {
    const y = durationScale([3, 40, 250, 23_900], [200, 10]);
    expect(y.log).toBe(true);
    expect(y.ticks[0]).toBe(1);
    expect(y.ticks[y.ticks.length - 1]).toBe(100_000);
    // Equal ratios are equal distances.
    expect(y(10) - y(100)).toBeCloseTo(y(1000) - y(10_000));
    expect(y(1)).toBe(200);
  });

  it("place times across the range and size dots by span count", () => {
    const x = timeScale([1000, 2000], [50, 550]);
    expect(x(1500)).toBe(300);
    expect(dotRadius(1)).toBe(3);
    expect(dotRadius(5000)).toBeGreaterThan(dotRadius(15));
    expect(dotRadius(10 ** 9)).toBe(10);
    expect(logTicks(1, 100)).toEqual([1, 2, 5, 10, 20, 50, 100]);
  });
});
