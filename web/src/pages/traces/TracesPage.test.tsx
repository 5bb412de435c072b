import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { session } from "../../auth/session";
import { currentUrl, fakeApi, renderAt } from "../../test/render";

const MS = 1_000_000;
const T0 = Date.parse("2025-05-01T11:30:00Z") * MS;
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

function node(id: string, parent: string | null, startMs: number, durationMs: number, extra: Record<string, unknown> = {}) {
  return {
    trace_id: TRACE, span_id: id, parent_span_id: parent, service: "inventory", operation: `index ${id}`, kind: "internal",
    start_time: new Date((T0 + startMs * MS) / MS).toISOString(), start_ns: T0 + startMs * MS,
    duration_ns: durationMs * MS, duration_ms: durationMs, self_time_ns: 0, self_time_ms: 0,
    on_critical_path: false, critical_path_ns: 0, depth: 1, status: "unset", status_message: "", error: false,
    http_method: null, http_route: null, http_status_code: null, db_system: null, peer_service: null,
    attributes: {}, resource: { "service.name": "inventory" }, scope: { name: "test", version: "1" },
    events: [], links: [], children: [] as unknown[], ...extra,
  };
}

/** A root with `spans - 1` children; the third child failed with an exception event. */
function bigTrace(spans: number) {
  const children = Array.from({ length: spans - 1 }, (_, i) =>
    node(`c${String(i).padStart(5, "0")}`, "root", i * 2, 2, i === 2
      ? {
          error: true, status: "error", status_message: "index write rejected", service: "search-index",
          attributes: { "db.system.name": "elasticsearch", "batch.index": 2 },
          events: [{ time: new Date().toISOString(), time_ns: T0 + 5 * MS, name: "exception", attributes: { "exception.type": "IOError", "exception.message": "disk full" } }],
        }
      : {}),
  );
  const root = { ...node("root", null, 0, spans * 2, { operation: "catalog.reindex", on_critical_path: true, critical_path_ns: spans * 2 * MS, children }), depth: 0 };
  return {
    trace_id: TRACE, root_service: "inventory", root_operation: "catalog.reindex", start_time: root.start_time, start_ns: T0,
    duration_ns: spans * 2 * MS, duration_ms: spans * 2, span_count: spans, error_count: 1,
    services: { inventory: spans - 1, "search-index": 1 }, complete: true, critical_path: ["root"], roots: [root],
  };
}

const hit = (id: string, minute: number, durationMs: number, errors = 0) => ({
  trace_id: id, root_service: "frontend", root_operation: "GET /cart", start_time: `2025-05-01T11:${String(minute).padStart(2, "0")}:00Z`,
  start_ns: 0, duration_ns: durationMs * MS, duration_ms: durationMs, span_count: 12, error_count: errors,
  services: { frontend: 4, checkout: 8 }, complete: true,
});

beforeEach(() => {
  session.start("t", "admin@example.com", 3600);
  // jsdom lays nothing out: give scrolling boxes the size a browser would.
  vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(520);
  vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(1000);
  vi.spyOn(HTMLElement.prototype, "offsetHeight", "get").mockReturnValue(520);
  vi.spyOn(HTMLElement.prototype, "offsetWidth", "get").mockReturnValue(1000);
});
afterEach(() => vi.restoreAllMocks());

describe("trace search", () => {
  it("searches with the URL's filters, plots the hits and opens one", async () => {
    const calls = fakeApi((call) => {
      if (call.path === "/api/tracing/traces")
        return { body: { items: [hit("a".repeat(32), 40, 2300, 1), hit("b".repeat(32), 45, 1200)], next_cursor: null } };
      if (call.path === "/api/tracing/services") return { body: ["checkout", "frontend", "payments"] };
      if (call.path === "/api/tracing/services/frontend/operations")
        return { body: [{ service: "frontend", operation: "GET /cart" }] };
      return undefined;
    });
    renderAt("/traces?service=frontend&min=1s&attr=http.route%3D%2Fcart&range=6h");
    const table = await screen.findByRole("table", { name: "Matching traces" });
    const search = calls.find((c) => c.path === "/api/tracing/traces")!;
    const query = new URLSearchParams(search.search);
    expect(query.get("service")).toBe("frontend");
    expect(query.get("min_duration_ms")).toBe("1000");
    expect(query.getAll("attribute")).toEqual(["http.route=/cart"]);
    expect(Date.parse(query.get("end")!) - Date.parse(query.get("start")!)).toBe(6 * 3600_000);
    // The form shows the URL's filters.
    expect((screen.getByLabelText("Min duration") as HTMLInputElement).value).toBe("1s");
    expect((screen.getByLabelText("Attribute filter 1") as HTMLInputElement).value).toBe("http.route=/cart");
    // One dot per hit, the failed one in red.
    const scatter = screen.getByRole("img", { name: /Duration over time of 2 traces/ });
    expect(scatter.querySelectorAll("circle")).toHaveLength(2);
    expect(scatter.querySelectorAll("circle.error")).toHaveLength(1);

    fireEvent.click(scatter.querySelector(`circle[data-trace-id="${"b".repeat(32)}"]`)!);
    await waitFor(() => expect(currentUrl()).toBe(`/traces/${"b".repeat(32)}?range=6h`));
    expect(table).toBeTruthy();
  });

  it("writes the form into the URL and refuses unreadable durations", async () => {
    fakeApi((call) => (call.path === "/api/tracing/services" ? { body: ["payments"] } : undefined));
    renderAt("/traces");
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Min duration"), "soon");
    await user.click(screen.getByRole("button", { name: "Search" }));
    expect(screen.getByRole("alert").textContent).toMatch(/250ms/);
    expect(currentUrl()).toBe("/traces");
    await user.clear(screen.getByLabelText("Min duration"));
    await user.type(screen.getByLabelText("Min duration"), "500ms");
    await user.selectOptions(screen.getByLabelText("Status"), "error");
    await user.selectOptions(screen.getByLabelText("Order"), "duration");
    await user.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => expect(currentUrl()).toBe("/traces?min=500ms&status=error&sort=duration"));
  });

  it("says how to send traces when none exist", async () => {
    fakeApi((call) => (call.path === "/api/tracing/services" ? { body: [] } : undefined));
    renderAt("/traces");
    expect(await screen.findByText("No traces yet")).toBeTruthy();
    expect(screen.getByLabelText("OpenTelemetry environment variables").textContent).toContain("OTEL_EXPORTER_OTLP_ENDPOINT");
  });
});

describe("trace view", () => {
  it("renders only the visible rows of a 5,000-span trace, selects a span from the URL and shows its details", async () => {
    fakeApi((call) => {
      if (call.path === `/api/tracing/traces/${TRACE}`) return { body: bigTrace(5000) };
      if (call.path === `/api/logs/trace/${TRACE}`)
        return { body: { trace_id: TRACE, trace_url: "", count: 1, items: [{ id: 1, timestamp: "2025-05-01T11:30:00Z", time_ns: T0 + 6 * MS, observed_ns: 0, service_name: "search-index", level: "ERROR", severity_number: 17, message: "bulk request failed", span_id: "c00002" }] } };
      return undefined;
    });
    renderAt(`/traces/${TRACE}?span=c00002`);
    const grid = await screen.findByRole("treegrid");
    expect(grid.getAttribute("aria-rowcount")).toBe("5000");
    const rendered = within(grid).getAllByRole("row");
    expect(rendered.length).toBeGreaterThan(10);
    expect(rendered.length).toBeLessThan(80);
    // The selected span's details: status, exception, attributes, its log line.
    const details = screen.getByRole("complementary", { name: "index c00002" });
    expect(within(details).getByText("index write rejected")).toBeTruthy();
    expect(within(details).getByText("IOError: disk full")).toBeTruthy();
    expect(within(details).getByText("elasticsearch")).toBeTruthy();
    expect(await within(details).findByText("bulk request failed")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Logs of this trace (1)" }).getAttribute("href")).toMatch(
      new RegExp(`^/logs\\?trace_id=${TRACE}&from=`),
    );
    expect(grid.getAttribute("aria-activedescendant")).toBe("wf-row-c00002");

    // Keyboard: down moves the selection (in the URL); left on a child goes to its parent.
    grid.focus();
    const user = userEvent.setup();
    await user.keyboard("{ArrowDown}");
    await waitFor(() => expect(currentUrl()).toBe(`/traces/${TRACE}?span=c00003`));
    await user.keyboard("{ArrowLeft}");
    await waitFor(() => expect(currentUrl()).toBe(`/traces/${TRACE}?span=root`));
    // Collapsing the root leaves one row, kept in the URL.
    await user.click(within(grid).getByRole("button", { name: "Collapse catalog.reindex" }));
    await waitFor(() => expect(within(grid).getAllByRole("row")).toHaveLength(1));
    expect(currentUrl()).toBe(`/traces/${TRACE}?span=root&collapsed=root`);
    expect(within(grid).getByText("+4999")).toBeTruthy();
  }, 30_000);

  it("zooms the timeline to a span from the URL and back out", async () => {
    fakeApi((call) => (call.path === `/api/tracing/traces/${TRACE}` ? { body: bigTrace(50) } : undefined));
    renderAt(`/traces/${TRACE}?span=root&zoom=c00010`);
    await screen.findByRole("treegrid");
    const ticks = () => [...document.querySelectorAll(".wf-tick")].map((t) => t.textContent);
    expect(ticks()).toEqual(["20.0 ms", "20.5 ms", "21.0 ms", "21.5 ms", "22.0 ms"]); // c00010 runs 20..22 ms
    await userEvent.setup().click(screen.getByRole("button", { name: "Reset zoom (index c00010)" }));
    await waitFor(() => expect(ticks()[0]).toBe("0"));
    expect(currentUrl()).toBe(`/traces/${TRACE}?span=root`);
    expect(screen.getByRole("button", { name: "Zoom the timeline to this span" })).toBeTruthy();
  });

  it("says when a trace is not stored", async () => {
    fakeApi((call) =>
      call.path.startsWith("/api/tracing/traces/")
        ? { status: 404, body: { type: "about:blank", title: "Not Found", status: 404, detail: "No trace." } }
        : undefined,
    );
    renderAt(`/traces/${TRACE}`);
    expect(await screen.findByText("No such trace")).toBeTruthy();
  });
});
