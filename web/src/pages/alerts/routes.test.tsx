import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { session } from "../../auth/session";
import { fakeApi, renderAt } from "../../test/render";

const ME = { kind: "user", id: 1, name: "ada", role: "editor", scopes: [], permissions: ["read", "respond", "write"], team_ids: [], user: null };
const ROUTE = {
  id: 4,
  name: "database team",
  parent_id: null,
  position: 0,
  matchers: ['job=~"postgres|mysql"'],
  continue_matching: true,
  receiver: "db-oncall",
  team_id: 2,
  escalation_policy_id: null,
  channels: null,
  group_by: ["alertname", "cluster"],
  group_wait_s: null,
  group_interval_s: null,
  repeat_interval_s: 3600,
  created_at: new Date().toISOString(),
};

describe("Routing tab", () => {
  it("shows the tree with inherited settings and creates a child route from the form", async () => {
    session.start("t", "ada@example.com", 3600);
    const calls = fakeApi((c) => {
      if (c.path === "/api/auth/me") return { body: ME };
      if (c.path === "/api/alerting/routes" && c.method === "GET") return { body: { items: [ROUTE], next_cursor: null } };
      if (c.path === "/api/alerting/routes" && c.method === "POST") return { status: 201, body: { ...ROUTE, ...(c.body as object), id: 5 } };
      if (c.path === "/api/teams") return { body: { items: [{ id: 2, name: "Data" }], next_cursor: null } };
      if (c.path === "/api/oncall/escalation-policies") return { body: { items: [{ id: 3, name: "DB critical" }], next_cursor: null } };
      return undefined;
    });
    renderAt("/alerts/routes");
    const tree = await screen.findByRole("list", { name: "Routes" }, { timeout: 5000 });
    const [root, db] = within(tree).getAllByRole("listitem");
    expect(root!.textContent).toContain("Default route");
    expect(db!.textContent).toContain('job=~"postgres|mysql"');
    expect(db!.textContent).toContain("continue");
    await waitFor(() => expect(db!.textContent).toContain("Data"));
    // Group wait is not set on the route: the default route's 30 s, marked as inherited.
    const wait = within(db!).getByText("Group wait").closest(".fact")!;
    expect(wait.className).toContain("inherited");
    expect(wait.textContent).toContain("30 s");
    expect(within(db!).getByText("Repeat").closest(".fact")!.className).not.toContain("inherited");

    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "New route" }));
    const dialog = screen.getByRole("dialog", { name: "New route" });
    await user.type(within(dialog).getByLabelText("Name"), "mysql only");
    await user.selectOptions(within(dialog).getByLabelText("Parent"), "4");
    await user.type(within(dialog).getByLabelText("Matchers (one a line)"), 'job="mysql"{enter}severity="critical"');
    await user.selectOptions(within(dialog).getByLabelText("Escalation policy"), "3");
    await user.type(within(dialog).getByLabelText("Channels"), "slack:#mysql, email:dba@example.com");
    await user.click(within(dialog).getByRole("button", { name: "Save route" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.body).toEqual({
      name: "mysql only",
      parent_id: 4,
      position: 0,
      matchers: ['job="mysql"', 'severity="critical"'],
      continue_matching: false,
      receiver: null,
      team_id: null,
      escalation_policy_id: 3,
      channels: ["slack:#mysql", "email:dba@example.com"],
      group_by: null,
      group_wait_s: null,
      group_interval_s: null,
      repeat_interval_s: null,
    });
  });

  it("deletes a route only after confirming, naming the routes under it", async () => {
    session.start("t", "ada@example.com", 3600);
    const child = { ...ROUTE, id: 6, name: "mysql", parent_id: 4 };
    const calls = fakeApi((c) => {
      if (c.path === "/api/auth/me") return { body: ME };
      if (c.path === "/api/alerting/routes") return { body: { items: [ROUTE, child], next_cursor: null } };
      if (c.method === "DELETE") return { status: 204, body: null };
      return undefined;
    });
    renderAt("/alerts/routes");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Delete route database team" }, { timeout: 5000 }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await user.click(screen.getByRole("button", { name: "Delete it and the 1 route under it" }));
    await waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.path === "/api/alerting/routes/4")).toBe(true));
  });
});
