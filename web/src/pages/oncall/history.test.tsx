import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { session } from "../../auth/session";
import { currentUrl, fakeApi, renderAt } from "../../test/render";

const ME = { kind: "user", id: 1, name: "ada", role: "viewer", scopes: [], permissions: ["read"], team_ids: [], user: null };

function attempt(id: number, over: object = {}) {
  return {
    id,
    at: new Date(Date.now() - id * 60_000).toISOString(),
    outbox_id: id,
    idempotency_key: `page:${id}`,
    group_id: 2,
    user_id: 4,
    step_index: 0,
    channel: "email",
    address: "priya@example.com",
    ok: false,
    status_code: null,
    error: "SMTPConnectError: connection refused",
    latency_ms: 10.5,
    message_status: "failed",
    ...over,
  };
}

describe("Notification history", () => {
  it("asks for the time range and filters from the URL, shows each attempt and pages on", async () => {
    session.start("t", "ada@example.com", 3600);
    const calls = fakeApi((c) => {
      if (c.path === "/api/auth/me") return { body: ME };
      if (c.path === "/api/users") return { body: { items: [{ id: 4, name: "Priya Raman" }], next_cursor: null } };
      if (c.path === "/api/notifications") {
        const cursor = new URLSearchParams(c.search).get("cursor");
        return cursor
          ? { body: { items: [attempt(3, { ok: true, status_code: 200, error: null, message_status: "sent", channel: "webhook" })], next_cursor: null } }
          : { body: { items: [attempt(1), attempt(2)], next_cursor: "abc" } };
      }
      return undefined;
    });
    renderAt("/oncall/history?range=6h&channel=email&result=failed");
    const table = await screen.findByRole("table", { name: "Delivery attempts, newest first" }, { timeout: 5000 });
    const query = new URLSearchParams(calls.find((c) => c.path === "/api/notifications")!.search);
    expect(query.get("channel")).toBe("email");
    expect(query.get("ok")).toBe("false");
    const span = Date.parse(query.get("end")!) - Date.parse(query.get("start")!);
    expect(span).toBe(6 * 3_600_000);
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    await waitFor(() => expect(rows[0]!.textContent).toContain("Priya Raman"));
    expect(rows[0]!.textContent).toContain("priya@example.com");
    expect(rows[0]!.textContent).toContain("failed");
    expect(rows[0]!.textContent).toContain("SMTPConnectError");
    expect(rows[0]!.textContent).toContain("11 ms");
    expect(within(rows[0]!).getByRole("link", { name: "group 2" })).toBeTruthy();

    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Load older" }));
    await waitFor(() => expect(within(table).getAllByRole("row")).toHaveLength(4));
    expect(screen.queryByRole("button", { name: "Load older" })).toBeNull();

    await user.selectOptions(screen.getByLabelText("Result"), "");
    await waitFor(() => expect(currentUrl()).toBe("/oncall/history?range=6h&channel=email"));
  });
});
