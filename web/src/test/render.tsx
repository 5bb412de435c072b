// Test helpers: render the app (or a part of it) at a URL with a fresh query client, and a
// fake `fetch` that answers like Sentinel's API.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, useLocation } from "react-router";
import { vi } from "vitest";
import { AppRoutes } from "../App";

let currentLocation = "";

function LocationProbe() {
  const location = useLocation();
  currentLocation = location.pathname + location.search;
  return null;
}

/** The path + query the router is at now. */
export function currentUrl(): string {
  return currentLocation;
}

export function renderAt(url: string, children: ReactNode = <AppRoutes />) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[url]}>
        {children}
        <LocationProbe />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

export interface Call {
  method: string;
  path: string;
  search: string;
  authorization: string | null;
  body: unknown;
}

/** An answer; with `wait`, the response is sent once that promise settles (a slow server). */
type Handler = (call: Call) => { status?: number; body?: unknown; wait?: Promise<unknown> } | undefined;

/** Replaces fetch: `handler` answers each call (undefined: an empty page `{items: []}`). */
export function fakeApi(handler: Handler) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (input: Request | string, init?: RequestInit) => {
    const request = typeof input === "string" ? new Request(input, init) : input;
    const url = new URL(request.url);
    const text = request.method === "GET" ? "" : await request.text();
    const call: Call = {
      method: request.method,
      path: url.pathname,
      search: url.search,
      authorization: request.headers.get("Authorization"),
      body: text ? JSON.parse(text) : undefined,
    };
    calls.push(call);
    const answer = handler(call) ?? { body: emptyAnswer(call.path) };
    if (answer.wait) await answer.wait;
    const status = answer.status ?? 200;
    const problem = status >= 400;
    return new Response(JSON.stringify(answer.body ?? {}), {
      status,
      headers: { "Content-Type": problem ? "application/problem+json" : "application/json" },
    });
  });
  vi.stubGlobal("fetch", fetch);
  return calls;
}

function emptyAnswer(path: string): unknown {
  if (path === "/api/tracing/statistics") {
    const totals = { count: 0, error_count: 0, rate_per_second: 0, error_rate: 0, avg_ms: null, p50_ms: null, p95_ms: null, p99_ms: null };
    return { start: new Date().toISOString(), end: new Date().toISOString(), step_seconds: 60, totals, operations: [], services: [] };
  }
  if (path === "/api/alerts/grouped") return { groups: [], ungrouped: [] };
  return { items: [], next_cursor: null };
}

export function problem(status: number, detail: string) {
  return { status, body: { type: "about:blank", title: "Error", status, detail } };
}
