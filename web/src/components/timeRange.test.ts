import { describe, expect, it } from "vitest";
import {
  keepTimeRange,
  parseTimeRange,
  presetLabel,
  stepSeconds,
  timeRangeBounds,
  withTimeRange,
} from "./timeRange";

const params = (text: string) => new URLSearchParams(text);

describe("time range in the URL", () => {
  it("defaults to the last hour and ignores what it cannot read", () => {
    expect(parseTimeRange(params(""))).toEqual({ kind: "relative", preset: "1h" });
    expect(parseTimeRange(params("range=3y"))).toEqual({ kind: "relative", preset: "1h" });
    expect(parseTimeRange(params("from=yesterday&to=now"))).toEqual({ kind: "relative", preset: "1h" });
    // from after to is not a range
    expect(parseTimeRange(params("from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z")).kind).toBe("relative");
  });

  it("reads absolute ranges as ISO or epoch milliseconds", () => {
    const range = parseTimeRange(params("from=1700000000000&to=2023-11-14T23:13:20Z"));
    expect(range).toEqual({ kind: "absolute", from: new Date(1_700_000_000_000), to: new Date("2023-11-14T23:13:20Z") });
  });

  it("gives bounds relative to now", () => {
    const now = Date.parse("2025-05-01T12:00:00Z");
    const { start, end } = timeRangeBounds({ kind: "relative", preset: "6h" }, now);
    expect(end.toISOString()).toBe("2025-05-01T12:00:00.000Z");
    expect(start.toISOString()).toBe("2025-05-01T06:00:00.000Z");
  });

  it("writes and keeps only the range parameters", () => {
    const next = withTimeRange(params("service=api&range=6h"), { kind: "relative", preset: "7d" });
    expect(next.toString()).toBe("service=api&range=7d");
    expect(keepTimeRange("?service=api&range=7d&q=x")).toBe("?range=7d");
    expect(keepTimeRange("?service=api")).toBe("");
  });

  it("labels presets and picks a whole-minute step", () => {
    expect(presetLabel("15m")).toBe("Last 15 minutes");
    expect(presetLabel("1h")).toBe("Last hour");
    expect(stepSeconds({ kind: "relative", preset: "15m" })).toBe(60);
    expect(stepSeconds({ kind: "relative", preset: "24h" })).toBe(24 * 60);
    expect(stepSeconds({ kind: "relative", preset: "7d" }) % 60).toBe(0);
  });
});
