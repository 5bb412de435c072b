import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { session } from "../../auth/session";
import { currentUrl, fakeApi, renderAt } from "../../test/render";

const start = "2025-05-01T11:00:00Z";
const end = "2025-05-01T12:00:00Z";
const edge = (caller: string, callee: string, calls: number, errors: number, traced = true) => ({
  caller, callee, traced, call_count: calls, error_count: errors, error_rate: errors / calls, p50_ms: 5, p95_ms: 40, p99_ms: 90,
});
const totals = (count: number, errors: number) => ({
  count, error_count: errors, rate_per_second: count / 3600, error_rate: errors / count, avg_ms: 20, p50_ms: 10, p95_ms: 80, p99_ms: 200,
});
const series = [
  { time: "2025-05-01T11:30:00Z", ...totals(120, 12) },
  { time: "2025-05-01T11:31:00Z", ...totals(60, 0) },
];
const GRAPH = {
  start, end,
  services: ["checkout", "frontend", "payments", "payments-db"],
  edges: [edge("frontend", "checkout", 600, 0), edge("checkout", "payments", 300, 30), edge("payments", "payments-db", 300, 0, false)],
};
const stats = (service?: string) => ({
  start, end, step_seconds: 60, totals: totals(1200, 30),
  operations: [
    { service: "payments", operation: "POST /charge", series, ...totals(300, 30) },
    { service: "payments", operation: "INSERT charges", series, ...totals(300, 0) },
  ].filter((o) => !service || o.service === service),
  services: [
    { service: "frontend", basis: "entry_spans", operations: 1, series, ...totals(600, 0) },
    { service: "checkout", basis: "entry_spans", operations: 1, series, ...totals(300, 0) },
    { service: "payments", basis: "entry_spans", operations: 2, series, ...totals(300, 30) },
  ].filter((s) => !service || s.service === service),
});

function api() {
  session.start("t", "admin@example.com", 3600);
  return fakeApi((call) => {
    const query = new URLSearchParams(call.search);
    if (call.path === "/api/tracing/dependencies") return { body: GRAPH };
    if (call.path === "/api/tracing/statistics") return { body: stats(query.get("service") ?? undefined) };
    if (call.path === "/api/tracing/services/payments/dependencies")
      return { body: { service: "payments", start, end, upstream: [GRAPH.edges[1]], downstream: [GRAPH.edges[2]] } };
    return undefined;
  });
}

describe("Services", () => {
  it("draws the graph (nodes by traffic, failing edge in red) and opens a service from it", async () => {
    api();
    renderAt("/services?range=6h");
    const graph = await screen.findByRole("group", { name: /Service dependency graph: 4 services, 3 calls/ });
    const node = (name: string) => within(graph).getByRole("link", { name: new RegExp(`^${name}:`) });
    const radius = (name: string) => Number(node(name).querySelector("circle")!.getAttribute("r"));
    expect(radius("frontend")).toBeGreaterThan(radius("payments"));
    expect(node("payments").getAttribute("class")).toContain("node-bad"); // 10% errors
    expect(node("payments-db").getAttribute("class")).toContain("node-untraced");
    expect(graph.querySelectorAll(".graph-edge.edge-bad")).toHaveLength(1);
    expect(within(graph).getByText("10.0%")).toBeTruthy(); // the failing edge's label
    // The calls table lists the worst first.
    const calls = screen.getByRole("region", { name: "Calls" });
    expect(within(calls).getAllByRole("row")[1]!.textContent).toContain("10.00%");

    node("payments").focus();
    await userEvent.setup().keyboard("{Enter}");
    expect(await screen.findByRole("heading", { name: "payments", level: 1 })).toBeTruthy();
    expect(currentUrl()).toBe("/services/payments?range=6h");
  });

  it("shows a service's RED charts, operations linking to traces, and its callers and callees", async () => {
    const calls = api();
    renderAt("/services/payments");
    expect(await screen.findByRole("img", { name: "Requests per second" })).toBeTruthy();
    expect(screen.getByRole("img", { name: "Error rate" })).toBeTruthy();
    expect(screen.getByRole("img", { name: "Duration percentiles" })).toBeTruthy();
    expect(screen.getByRole("heading", { name: /Errors 10.00%/ })).toBeTruthy();
    const ops = screen.getByRole("region", { name: "Operations" });
    const link = within(ops).getByRole("link", { name: "POST /charge" });
    expect(link.getAttribute("href")).toBe("/traces?service=payments&operation=POST+%2Fcharge");
    expect(within(screen.getByRole("region", { name: "Called by" })).getByRole("link", { name: "checkout" })).toBeTruthy();
    expect(within(screen.getByRole("region", { name: "Calls" })).getByText("(not traced)")).toBeTruthy();
    await waitFor(() => expect(calls.some((c) => c.path === "/api/tracing/statistics" && c.search.includes("service=payments"))).toBe(true));
  });

  it("says how to send traces when there are none", async () => {
    session.start("t", "admin@example.com", 3600);
    fakeApi((call) => (call.path === "/api/tracing/dependencies" ? { body: { start, end, services: [], edges: [] } } : undefined));
    renderAt("/services");
    expect(await screen.findByText("No services in this range")).toBeTruthy();
    expect(screen.getByLabelText("OpenTelemetry environment variables").textContent).toContain("OTEL_EXPORTER_OTLP_ENDPOINT");
  });
});
