import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { session } from "../../auth/session";
import { currentUrl, fakeApi, renderAt, type Call } from "../../test/render";
import LogsPage from "./LogsPage";
import { applyTailEvents } from "./useLiveTail";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

function hit(id: number, message: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    timestamp: "2025-05-01T12:00:00Z",
    time_ns: 1746100800000000000,
    observed_ns: 1746100800000000000,
    service_name: "payments",
    level: "ERROR",
    severity_number: 17,
    message,
    trace_id: null,
    span_id: null,
    trace_url: null,
    pattern_id: 7,
    attributes: {},
    resource: {},
    ...extra,
  };
}

function searchAnswer(call: Call) {
  const params = new URLSearchParams(call.search);
  const natural = params.get("nl") !== "false" && (params.get("query") ?? "").includes("errors from");
  return {
    items: [
      hit(2, "charge ch_1 failed: database connection pool exhausted", {
        trace_id: TRACE,
        attributes: { "db.pool": "payments-primary", retries: 2 },
        resource: { "service.version": "1.4.2" },
      }),
      hit(1, "card declined", { level: "WARN", severity_number: 13 }),
    ],
    next_cursor: null,
    count: 2,
    natural_language: natural,
    query: natural
      ? { services: ["payments"], levels: ["ERROR", "FATAL"], start_ns: 1746097200000000000 }
      : { terms: ["pool"], services: ["payments"] },
    interpretation: natural ? ["'errors' -> level ERROR/FATAL", "'payments' -> service payments"] : [],
    index: { indexed_through_id: 2, pending_records: 0, updated_at: null, note: "up to date" },
  };
}

function statisticsAnswer() {
  const end = Date.now();
  const start = end - 3_600_000;
  return {
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    step_seconds: 60,
    total: 42,
    by_level: { ERROR: 40, WARN: 2 },
    by_service: { payments: 42 },
    series: [{ start: new Date(start + 30 * 60_000).toISOString(), total: 42, by_level: { ERROR: 40, WARN: 2 }, by_service: { payments: 42 } }],
  };
}

function logsApi() {
  return fakeApi((call) => {
    if (call.path === "/api/logs/search") return { body: searchAnswer(call) };
    if (call.path === "/api/logs/statistics") return { body: statisticsAnswer() };
    return undefined;
  });
}

beforeEach(() => {
  session.start("token-1", "sre@example.com", 3600);
  vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(500);
  vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(1000);
});

describe("the logs query bar", () => {
  it("shows the structured query a natural-language question ran, and how it was read", async () => {
    const calls = logsApi();
    renderAt("/logs?q=errors+from+payments+in+the+last+hour", <LogsPage />);
    const ran = await screen.findByRole("note", { name: "Query that ran" });
    expect(within(ran).getByTestId("structured-query").textContent).toBe("service:payments level:error,fatal");
    expect(ran.textContent).toContain("natural language");
    expect(within(ran).getByText("'payments' -> service payments")).toBeTruthy();
    const search = calls.find((c) => c.path === "/api/logs/search")!;
    expect(new URLSearchParams(search.search).get("query")).toBe("errors from payments in the last hour");
    expect(search.authorization).toBe("Bearer token-1");
    // The histogram counts what the same query matches.
    const stats = calls.find((c) => c.path === "/api/logs/statistics")!;
    expect(new URLSearchParams(stats.search).get("query")).toBe("errors from payments in the last hour");
    expect(await screen.findByRole("img", { name: /Matching lines over the time range, by level: 42 lines/ })).toBeTruthy();

    // "Edit as query" puts the structured query in the bar, read as the search language.
    await userEvent.setup().click(within(ran).getByRole("button", { name: "Edit as query" }));
    await waitFor(() => expect(currentUrl()).toBe("/logs?q=service%3Apayments+level%3Aerror%2Cfatal&nl=false"));
  });

  it("searches in the search language when asked to, and keeps it all in the URL", async () => {
    const calls = logsApi();
    const user = userEvent.setup();
    renderAt("/logs?range=6h", <LogsPage />);
    await screen.findByRole("list", { name: "Log lines, newest first" });
    await user.type(screen.getByLabelText("Log query"), "pool service:payments");
    await user.selectOptions(screen.getByLabelText("Read the query as"), "language");
    await user.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => expect(currentUrl()).toBe("/logs?range=6h&q=pool+service%3Apayments&nl=false"));
    const ran = await screen.findByRole("note", { name: "Query that ran" });
    await waitFor(() => expect(within(ran).getByTestId("structured-query").textContent).toBe("service:payments pool"));
    expect(ran.textContent).toContain("search language");
    const last = calls.filter((c) => c.path === "/api/logs/search").at(-1)!;
    expect(new URLSearchParams(last.search).get("nl")).toBe("false");
  });
});

describe("the log lines", () => {
  it("colour by level, open to show attributes, and link a trace to its page", async () => {
    logsApi();
    renderAt("/logs", <LogsPage />);
    const list = await screen.findByRole("list", { name: "Log lines, newest first" });
    const rows = within(list).getAllByRole("listitem");
    expect(rows[0]!.className).toContain("level-error");
    expect(rows[1]!.className).toContain("level-warn");
    const trace = within(rows[0]!).getByRole("link", { name: `Trace ${TRACE}` });
    expect(trace.getAttribute("href")).toBe(`/traces/${TRACE}`);
    expect(within(rows[0]!).queryByText("db.pool")).toBeNull();
    await userEvent.setup().click(within(rows[0]!).getByRole("button", { name: "Show details" }));
    expect(within(rows[0]!).getByText("payments-primary")).toBeTruthy();
    expect(within(rows[0]!).getByText("2")).toBeTruthy();
    expect(within(rows[0]!).getByText("1.4.2")).toBeTruthy();
    expect(within(rows[0]!).getByRole("link", { name: "logs of this trace" }).getAttribute("href")).toBe(
      `/logs?trace_id=${TRACE}`,
    );
  });

  it("of a trace: searched by trace id at any time, without the histogram", async () => {
    const calls = logsApi();
    renderAt(`/logs?trace_id=${TRACE}`, <LogsPage />);
    await screen.findByRole("list", { name: "Log lines, newest first" });
    const search = new URLSearchParams(calls.find((c) => c.path === "/api/logs/search")!.search);
    expect(search.get("trace_id")).toBe(TRACE);
    expect(search.get("start")).toBeNull();
    expect(calls.some((c) => c.path === "/api/logs/statistics")).toBe(false);
    expect(screen.getByRole("link", { name: "Open the trace" }).getAttribute("href")).toBe(`/traces/${TRACE}`);
  });
});

describe("live tail state", () => {
  it("puts new lines first, counts skipped lines and ignores repeats", () => {
    const empty = { status: "live" as const, lines: [], header: null, skipped: 0, dropped: 0, error: null };
    const one = applyTailEvents(empty, [
      { event: "query", data: JSON.stringify({ query: { levels: ["ERROR"] }, natural_language: false, interpretation: [] }) },
      { event: "log", data: JSON.stringify(hit(10, "first")) },
      { event: "log", data: JSON.stringify(hit(11, "second")) },
    ]);
    expect(one.lines.map((l) => l.message)).toEqual(["second", "first"]);
    expect(one.header?.query.levels).toEqual(["ERROR"]);
    const two = applyTailEvents(one, [
      { event: "skipped", data: '{"skipped": 7}' },
      { event: "log", data: JSON.stringify(hit(11, "second")) },
      { event: "log", data: JSON.stringify(hit(12, "third")) },
    ]);
    expect(two.lines.map((l) => l.id)).toEqual([12, 11, 10]);
    expect(two.skipped).toBe(7);
  });
});
