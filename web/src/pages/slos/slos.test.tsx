import { render, screen, within } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { beforeEach, describe, expect, it } from "vitest";
import { session } from "../../auth/session";
import { fakeApi, renderAt } from "../../test/render";
import { BurnRateTable } from "./BurnRateTable";
import SlosPage from "./SlosPage";
import { budgetLabel, formatRatio, formatSpan, sliLabel, windowLabel } from "./sloFormat";

const condition = (key: string, severity: string, long: string, short: string, threshold: number, lr: number, sr: number, extra = {}) => ({
  key,
  severity,
  long_window: long,
  short_window: short,
  threshold,
  long_burn_rate: lr,
  short_burn_rate: sr,
  long_window_events: 925,
  firing: lr >= threshold && sr >= threshold,
  guarded: false,
  ...extra,
});

const CONDITIONS = [
  condition("page-1h-5m", "page", "1h", "5m", 14.4, 22.49, 0),
  condition("page-6h-30m", "page", "6h", "30m", 6, 22.49, 30.16),
  condition("ticket-1d-2h", "ticket", "1d", "2h", 3, 0.4, 0.2),
  condition("ticket-3d-6h", "ticket", "3d", "6h", 1, 5, 5, { firing: false, guarded: true, long_window_events: 3 }),
];
const BURN = { "5m": 0, "30m": 30.16, "1h": 22.49, "2h": 0.2, "6h": 22.49, "1d": 0.4, "3d": 5 };

describe("BurnRateTable", () => {
  it("shows each multi-window condition with both burn rates against its threshold", () => {
    render(<BurnRateTable conditions={CONDITIONS} burnRates={BURN} />);
    const table = screen.getByRole("table", { name: "Burn-rate alert conditions" });
    const rows = within(table).getAllByRole("row").slice(1);
    const text = rows.map((r) => within(r).getAllByRole("cell").map((c) => c.textContent));
    expect(text).toEqual([
      ["1h / 5m", "14.4×", "22.5×", "0×", "one window over"],
      ["6h / 30m", "6×", "22.5×", "30.2×", "firing"],
      ["1d / 2h", "3×", "0.4×", "0.2×", "ok"],
      ["3d / 6h", "1×", "5×", "5×", "too few events"],
    ]);
    expect(rows[1]!.getAttribute("data-firing")).toBe("true");
    // Burns at or above the threshold are marked.
    expect(within(rows[1]!).getAllByRole("cell")[2]!.className).toContain("bad");
    expect(within(rows[2]!).getAllByRole("cell")[2]!.className).not.toContain("bad");
    const windows = screen.getByRole("table", { name: /Burn rate per window/ });
    expect(within(windows).getAllByRole("columnheader").map((h) => h.textContent)).toEqual(Object.keys(BURN));
  });
});

describe("SLO formatting", () => {
  it("reads windows, SLIs, targets, budgets and spans", () => {
    expect(windowLabel({ kind: "rolling", duration: "30d" })).toBe("30-day rolling");
    expect(windowLabel({ kind: "calendar", unit: "month", tz: "Europe/Berlin" })).toBe("calendar month (Europe/Berlin)");
    expect(sliLabel({ source: "span_latency", operation: "GET /", threshold_ms: 300 })).toBe("spans of GET / ≤ 300 ms");
    expect(sliLabel({ source: "span_ratio" })).toBe("non-error spans");
    expect(formatRatio(0.999)).toBe("99.9%");
    expect(formatRatio(0.9995)).toBe("99.95%");
    expect(budgetLabel(0.625)).toBe("62.5% left");
    expect(budgetLabel(-21.486)).toBe("exhausted (overspent by 2148.6%)");
    expect(formatSpan(3 * 86400 + 4 * 3600)).toBe("3 d 4 h");
    expect(formatSpan(216 * 60)).toBe("3 h 36 min");
  });
});

function status(id: number, name: string, remaining: number, firing: boolean) {
  return {
    slo_id: id,
    name,
    service: "checkout",
    target: 0.995,
    budgeting: "occurrences",
    window: { kind: "rolling", duration: "30d" },
    window_start: "2025-04-01T00:00:00Z",
    window_end: "2025-05-01T00:00:00Z",
    evaluated_at: "2025-05-01T00:00:00Z",
    sli: remaining > 0 ? 0.998 : 0.8876,
    good: 821,
    total: 925,
    bad: 104,
    bad_minutes: 20,
    excluded_minutes: 0,
    meets_target: remaining > 0,
    error_budget: {
      unit: "events",
      total: 4.6,
      consumed: 104,
      remaining: -99.4,
      remaining_ratio: remaining,
      consumed_ratio: 1 - remaining,
      time_total_minutes: 216,
      time_consumed_minutes: 0,
      time_remaining_minutes: remaining > 0 ? 100 : -4641,
    },
    burn_rates: BURN,
    conditions: CONDITIONS,
    alert_state: firing
      ? [{ condition: "page", severity: "page", state: "firing", since: "2025-05-01T00:00:00Z", value: 22.49, threshold: 6, alert_id: 7 }]
      : [],
    source_error: null,
  };
}

function slo(id: number, name: string) {
  return {
    id,
    name,
    service: "checkout",
    description: "",
    target: 0.995,
    window: { kind: "rolling", duration: "30d" },
    budgeting: "occurrences",
    timeslice_target: null,
    sli: { source: "span_ratio", operation: "POST /api/checkout" },
    alerting: {},
    labels: {},
    source_error: null,
    source_error_at: null,
    last_evaluated_at: null,
    created_at: "2025-04-01T00:00:00Z",
    updated_at: "2025-04-01T00:00:00Z",
  };
}

const AREA = (
  <Routes>
    <Route path="/slos/*" element={<SlosPage />} />
  </Routes>
);

beforeEach(() => session.start("token-1", "sre@example.com", 3600));

describe("the SLO pages", () => {
  it("list every SLO with its budget bar and state", async () => {
    fakeApi((call) => {
      if (call.path === "/api/slo") return { body: { items: [slo(1, "checkout-availability"), slo(2, "search-latency")], next_cursor: null } };
      if (call.path === "/api/slo/statuses")
        return { body: { items: [status(1, "checkout-availability", -21.5, true), status(2, "search-latency", 0.8, false)], next_cursor: null } };
      return undefined;
    });
    renderAt("/slos", AREA);
    const meter = await screen.findByRole("meter", { name: "Error budget remaining of checkout-availability" });
    expect(meter.getAttribute("aria-valuenow")).toBe("0");
    expect(meter.getAttribute("aria-valuetext")).toBe("exhausted (overspent by 2150%)");
    const row = screen.getByRole("row", { name: /checkout-availability/ });
    expect(within(row).getByText("burning (page)")).toBeTruthy();
    expect(within(row).getByText("non-error spans of POST /api/checkout")).toBeTruthy();
    expect(within(row).getByRole("link", { name: "checkout-availability" }).getAttribute("href")).toBe("/slos/1");
    const other = screen.getByRole("meter", { name: "Error budget remaining of search-latency" });
    expect(other.getAttribute("aria-valuenow")).toBe("80");
  });

  it("say how to create an SLO when there is none", async () => {
    fakeApi(() => undefined);
    renderAt("/slos", AREA);
    expect(await screen.findByText("No SLOs defined yet")).toBeTruthy();
    expect(screen.getByLabelText("curl: define an SLO").textContent).toContain("/api/slo");
    expect(screen.getByLabelText("curl: post SLO measurements").textContent).toContain("/measurements");
  });

  it("show one SLO's budget, burn rates, alert state, prediction and violations", async () => {
    fakeApi((call) => {
      if (call.path === "/api/slo/1") return { body: slo(1, "checkout-availability") };
      if (call.path === "/api/slo/1/status") return { body: status(1, "checkout-availability", -21.5, true) };
      if (call.path === "/api/slo/1/history")
        return {
          body: {
            slo_id: 1,
            unit: "events",
            step_seconds: 60,
            points: [
              { at: "2025-05-01T00:00:00Z", sli: 1, good: 10, total: 10, remaining_ratio: 1, consumed: 0, remaining: 1 },
              { at: "2025-05-01T00:01:00Z", sli: 0.5, good: 10, total: 20, remaining_ratio: -3, consumed: 10, remaining: -3 },
            ],
          },
        };
      if (call.path === "/api/slo/1/predict")
        return {
          body: {
            slo_id: 1,
            evaluated_at: "2025-05-01T00:00:00Z",
            remaining_ratio: 0.4,
            current_burn_rate: 3,
            exhausted: false,
            seconds_to_exhaustion_current_burn: 8 * 3600,
            seconds_to_exhaustion_trend: 6 * 3600,
            trend_slope_per_hour: -0.05,
            trend_r_squared: 0.9,
            trend_points: 24,
            method: "trend",
            expected_exhaustion_at: new Date(Date.now() + 6 * 3600_000).toISOString(),
            breach_at: null,
            breach_in_window: true,
            confidence: 0.82,
            horizon_seconds: 259200,
            predicted_breach_alert: true,
          },
        };
      if (call.path === "/api/slo/violations")
        return { body: { items: [{ slo_id: 1, reasons: ["page-6h-30m: burn 22.49/30.16 ≥ 6.00"] }], next_cursor: null } };
      return undefined;
    });
    renderAt("/slos/1", AREA);
    expect(await screen.findByRole("heading", { name: /checkout-availability/, level: 1 })).toBeTruthy();
    expect(await screen.findByRole("table", { name: "Burn-rate alert conditions" })).toBeTruthy();
    const prediction = await screen.findByRole("region", { name: "Prediction" });
    expect(await within(prediction).findByText("in 8 h (3× over the last hour)")).toBeTruthy();
    expect(within(prediction).getByText("in 6 h")).toBeTruthy();
    expect(within(prediction).getByText("82%")).toBeTruthy();
    expect(within(prediction).getByText("SLOPredictedBreach is firing")).toBeTruthy();
    const alerts = screen.getByRole("region", { name: "Alert state" });
    expect(within(alerts).getByRole("link", { name: "alert #7" }).getAttribute("href")).toBe("/alerts/7");
    expect(await screen.findByText("page-6h-30m: burn 22.49/30.16 ≥ 6.00")).toBeTruthy();
    expect(await screen.findByRole("img", { name: "Error budget remaining over the time range" })).toBeTruthy();
  });
});
