import { describe, expect, it } from "vitest";
import { EMPTY_FILTERS, filterProblems, parseDurationMs, parseFilters, searchQuery, writeFilters } from "./filters";

describe("trace search filters", () => {
  it("round-trip through the URL, keeping the time range", () => {
    const filters = {
      service: "payments",
      operation: "POST /charge",
      min: "500ms",
      max: "10s",
      status: "error" as const,
      attributes: ["http.response.status_code=503", "user.tier!=free"],
      sort: "duration" as const,
    };
    const url = writeFilters(new URLSearchParams("range=6h&service=old"), filters);
    expect(url.get("range")).toBe("6h");
    expect(url.getAll("attr")).toEqual(filters.attributes);
    expect(parseFilters(new URLSearchParams(url.toString()))).toEqual(filters);
    // Empty filters leave a clean URL.
    expect(writeFilters(new URLSearchParams("range=6h"), EMPTY_FILTERS).toString()).toBe("range=6h");
  });

  it("read durations with units, plain numbers as milliseconds", () => {
    expect(parseDurationMs("250")).toBe(250);
    expect(parseDurationMs("250ms")).toBe(250);
    expect(parseDurationMs("1.5s")).toBe(1500);
    expect(parseDurationMs(" 2 m ")).toBe(120_000);
    expect(parseDurationMs("800us")).toBeCloseTo(0.8);
    expect(parseDurationMs("fast")).toBeNull();
    expect(parseDurationMs("-1s")).toBeNull();
  });

  it("become the API's query, and say what is wrong before searching", () => {
    const filters = { ...EMPTY_FILTERS, service: "checkout", min: "1s", attributes: ["k=v", " "] };
    expect(searchQuery(filters)).toEqual({ service: "checkout", min_duration_ms: 1000, attribute: ["k=v"], sort: "start" });
    expect(filterProblems(filters)).toEqual({});
    expect(filterProblems({ ...EMPTY_FILTERS, min: "2s", max: "1s" }).max).toMatch(/not be below/);
    expect(filterProblems({ ...EMPTY_FILTERS, min: "soon" }).min).toMatch(/250ms/);
    expect(filterProblems({ ...EMPTY_FILTERS, attributes: ["=v"] }).attributes).toMatch(/key is missing/);
  });
});
