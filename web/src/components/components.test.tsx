import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { linePath, niceTicks } from "./charts";
import { ErrorBanner } from "./ErrorBanner";
import { TimeSeriesChart } from "./TimeSeriesChart";
import { formatMs, formatPercent, formatRate } from "./format";
import { VirtualTable } from "./VirtualTable";

describe("ErrorBanner", () => {
  it("shows the API's problem detail and request id", () => {
    const error = new ApiError(403, {
      title: "Forbidden",
      status: 403,
      detail: "This needs the 'respond' permission.",
      request_id: "req-42",
    });
    render(<ErrorBanner error={error} what="alerts" />);
    const banner = screen.getByRole("alert");
    expect(banner.textContent).toContain("Could not load alerts (403 Forbidden)");
    expect(banner.textContent).toContain("This needs the 'respond' permission.");
    expect(banner.textContent).toContain("req-42");
  });
});

describe("VirtualTable", () => {
  it("renders only the visible rows of a long list, and rows activate with the keyboard", async () => {
    // jsdom lays nothing out: give the scrolling body the size a browser would.
    vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(320);
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(800);
    const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, name: `span-${i}` }));
    const opened = vi.fn();
    render(
      <VirtualTable
        label="Spans"
        rows={rows}
        rowKey={(r) => String(r.id)}
        columns={[{ id: "name", header: "Name", cell: (r) => r.name }]}
        height={320}
        onRowActivate={opened}
      />,
    );
    const table = screen.getByRole("table", { name: "Spans" });
    expect(table.getAttribute("aria-rowcount")).toBe("5001");
    const rendered = screen.getAllByRole("row").length - 1;
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(60);
    const first = screen.getByText("span-0").closest("[role=row]") as HTMLElement;
    first.focus();
    await userEvent.setup().keyboard("{Enter}");
    expect(opened).toHaveBeenCalledWith({ id: 0, name: "span-0" });
  });
});

describe("TimeSeriesChart", () => {
  it("draws one labelled line per series with round y ticks and a legend", () => {
    const t0 = Date.parse("2025-05-01T12:00:00Z");
    const points = (f: (i: number) => number | null) =>
      Array.from({ length: 30 }, (_, i) => ({ t: t0 + i * 60_000, v: f(i) }));
    const { container } = render(
      <TimeSeriesChart
        label="Requests per second, last 30 minutes"
        format={(v) => `${v}/s`}
        series={[
          { name: "requests", points: points((i) => 10 + (i % 5)) },
          { name: "errors", points: points((i) => (i === 7 ? null : i % 3)) },
        ]}
      />,
    );
    expect(screen.getByRole("img", { name: "Requests per second, last 30 minutes" })).toBeTruthy();
    const lines = container.querySelectorAll("path");
    expect(lines).toHaveLength(2);
    expect(lines[1]!.getAttribute("d")!.match(/M/g)).toHaveLength(2); // the gap at i=7
    const ticks = [...container.querySelectorAll("text.tick")].map((t) => t.textContent);
    expect(ticks).toContain("0/s");
    expect(ticks).toContain("15/s");
    expect(container.querySelector("figcaption")!.textContent).toBe("requestserrors");
  });
});

describe("chart helpers", () => {
  it("break the line at missing values", () => {
    const path = linePath(
      [
        { t: 0, v: 1 },
        { t: 1, v: null },
        { t: 2, v: 3 },
      ],
      (t) => t * 10,
      (v) => v,
    );
    expect(path).toBe("M0.0,1.0M20.0,3.0");
  });

  it("choose round ticks", () => {
    expect(niceTicks(0, 0.93)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(0, 480)).toEqual([0, 200, 400, 600]);
    expect(niceTicks(0, 400)).toEqual([0, 100, 200, 300, 400]);
  });
});

describe("formatting", () => {
  it("formats rates, percentages and durations for people", () => {
    expect(formatRate(0.25)).toBe("15.0/min");
    expect(formatRate(12.34)).toBe("12.3/s");
    expect(formatPercent(0.0123, 2)).toBe("1.23%");
    expect(formatPercent(null)).toBe("–");
    expect(formatMs(0.5)).toBe("500 µs");
    expect(formatMs(245.4)).toBe("245 ms");
    expect(formatMs(1500)).toBe("1.50 s");
  });
});
