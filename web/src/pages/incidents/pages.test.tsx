import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { session } from "../../auth/session";
import { incident } from "../../test/incidentFixtures";
import { fakeApi, renderAt } from "../../test/render";
import { postMortemFileName } from "./PostMortem";

// Rendering through the router and react-query takes seconds on a busy machine.
const SLOW = { timeout: 30_000 };

// The areas are lazy-loaded: their first render may take a while on a busy machine.
const LAZY = { timeout: 10_000 };

const stats = {
  start: "2025-01-01T00:00:00Z",
  end: "2025-01-31T00:00:00Z",
  total: 3,
  open: 1,
  mtta: { count: 2, mean_seconds: 252, median_seconds: 200, p90_seconds: 300 },
  mttr: { count: 2, mean_seconds: 5400, median_seconds: 5000, p90_seconds: 7000 },
  by_severity: { critical: 1, high: 2 },
  by_status: {},
  by_service: { payments: 2, checkout: 1 },
  by_period: {},
  period: "day",
};

const me = { kind: "user", id: 1, name: "admin@example.com", role: "admin", scopes: [], permissions: ["admin", "ingest", "read", "respond", "write"], team_ids: [] };

describe("the incident list", SLOW, () => {
  it("shows open incidents first, then resolved and closed, with the filters from the URL and MTTA/MTTR", async () => {
    session.start("token", "admin@example.com", 3600);
    const calls = fakeApi((call) => {
      if (call.path === "/api/auth/me") return { body: me };
      if (call.path === "/api/incidents/statistics") return { body: stats };
      if (call.path === "/api/incidents/active") return { body: { items: [incident({ id: 7, title: "Payments DB pool exhausted", severity: "critical" })], next_cursor: null } };
      if (call.path === "/api/incidents") return { body: { items: [incident({ id: 3, title: "Inventory sync lagging", status: "resolved", resolved_at: "2025-01-01T11:30:00Z" })], next_cursor: null } };
      if (call.path === "/api/incidents/stream") return { status: 503 };
      return undefined;
    });
    renderAt("/incidents?severity=critical&service=payments");
    const open = await screen.findByRole("region", { name: /^Open/ }, LAZY);
    expect(await within(open).findByRole("link", { name: "Payments DB pool exhausted" })).toBeTruthy();
    const past = screen.getByRole("region", { name: /Resolved and closed/ });
    expect(await within(past).findByRole("link", { name: "Inventory sync lagging" })).toBeTruthy();
    expect(within(past).getByText("1h 30m")).toBeTruthy();
    const order = screen.getAllByRole("region").map((r) => r.getAttribute("aria-labelledby"));
    expect(order.indexOf("open-incidents")).toBeLessThan(order.indexOf("past-incidents"));

    const active = calls.find((c) => c.path === "/api/incidents/active")!;
    expect(new URLSearchParams(active.search).get("severity")).toBe("critical");
    expect(new URLSearchParams(active.search).get("service")).toBe("payments");
    const list = calls.find((c) => c.path === "/api/incidents")!;
    expect(new URLSearchParams(list.search).getAll("status")).toEqual(["resolved", "closed"]);
    expect((screen.getByLabelText("Severity") as HTMLSelectElement).value).toBe("critical");

    const times = screen.getByRole("region", { name: "Response times" });
    expect(await within(times).findByText("4m 12s")).toBeTruthy(); // MTTA mean
    expect(within(times).getByText("1h 30m")).toBeTruthy(); // MTTR mean
  });

  it("asks for one status only when one is chosen", async () => {
    session.start("token", "admin@example.com", 3600);
    const calls = fakeApi((call) => (call.path === "/api/auth/me" ? { body: me } : call.path === "/api/incidents/statistics" ? { body: stats } : call.path === "/api/incidents/stream" ? { status: 503 } : undefined));
    renderAt("/incidents?status=resolved");
    expect(await screen.findByRole("region", { name: /Status: resolved/ }, LAZY)).toBeTruthy();
    expect(screen.queryByRole("region", { name: /^Open/ })).toBeNull();
    await waitFor(() => expect(calls.some((c) => c.path === "/api/incidents")).toBe(true));
    expect(new URLSearchParams(calls.find((c) => c.path === "/api/incidents")!.search).getAll("status")).toEqual(["resolved"]);
  });
});

describe("the post-mortem", SLOW, () => {
  it("renders the server's Markdown and downloads it as a .md file", async () => {
    session.start("token", "admin@example.com", 3600);
    const markdown = "# Post-mortem: Checkout failing (incident 5)\n\n## Summary\n\nPool <b>exhausted</b>.\n";
    const asked: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (request: Request) => {
        const url = new URL(request.url);
        asked.push(url.pathname + url.search);
        if (url.pathname === "/api/incidents/5/post-mortem") {
          return url.searchParams.get("format") === "markdown"
            ? new Response(markdown, { headers: { "Content-Type": "text/markdown; charset=utf-8" } })
            : Response.json({ title: "Checkout failing", markdown });
        }
        return Response.json({ items: [], next_cursor: null });
      }),
    );
    const blobs: Blob[] = [];
    const createObjectURL = vi.fn((blob: Blob) => {
      blobs.push(blob);
      return "blob:post-mortem";
    });
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    renderAt("/incidents/5/post-mortem");
    const doc = await screen.findByRole("article", { name: "Post-mortem document" }, LAZY);
    expect(within(doc).getByRole("heading", { level: 3, name: "Summary" })).toBeTruthy();
    expect(doc.querySelector("b")).toBeNull();
    expect(doc.textContent).toContain("Pool <b>exhausted</b>.");

    await userEvent.setup().click(screen.getByRole("button", { name: "Download .md" }));
    await waitFor(() => expect(clicked).toHaveLength(1));
    expect(clicked[0]!.download).toBe("incident-5-checkout-failing-post-mortem.md");
    expect(await blobs[0]!.text()).toBe(markdown);
    expect(asked).toContain("/api/incidents/5/post-mortem?format=markdown");
  });

  it("names the file after the incident", () => {
    expect(postMortemFileName(12, "DB: pool exhausted (payments) ")).toBe("incident-12-db-pool-exhausted-payments-post-mortem.md");
    expect(postMortemFileName(3, "")).toBe("incident-3-post-mortem.md");
  });
});
