import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../api/client";
import { session } from "../../auth/session";
import { fakeApi, renderAt } from "../../test/render";
import { groupTimers } from "./AlertGroupCard";
import { formatMatcher, labelsMatch, matchersFromLabels, quote } from "./matchers";
import { buildRouteTree, flatten } from "./routeTree";

const NOW = Date.now();
const ago = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();

const ME = {
  kind: "user",
  id: 1,
  name: "ada@example.com",
  role: "responder",
  scopes: [],
  permissions: ["read", "respond"],
  team_ids: [],
  user: null,
};

function alert(id: number, over: Partial<Schemas["AlertOut"]>): Schemas["AlertOut"] {
  return {
    id,
    fingerprint: `fp${id}`,
    labels: {},
    annotations: {},
    alert_name: "A",
    service: "svc",
    alert_type: "threshold",
    title: "",
    description: "",
    severity: "medium",
    status: "firing",
    source: "api",
    generator_url: "",
    starts_at: ago(10),
    ends_at: null,
    resolved_at: null,
    acknowledged_at: null,
    acknowledged_by: null,
    last_seen_at: ago(1),
    count: 1,
    occurrences: 1,
    current_value: null,
    threshold_value: null,
    muted_by: null,
    group_id: null,
    ...over,
  };
}

function group(id: number, over: Partial<Schemas["AlertGroupOut"]>): Schemas["AlertGroupOut"] {
  return {
    id,
    group_key: `k${id}`,
    route_id: null,
    receiver: "default",
    team_id: null,
    escalation_policy_id: null,
    channels: [],
    labels: {},
    status: "open",
    reason: "group_by",
    alert_count: 1,
    group_wait_s: 30,
    group_interval_s: 300,
    repeat_interval_s: 14_400,
    created_at: ago(10),
    next_flush_at: ago(9),
    last_notified_at: ago(9),
    ...over,
  };
}

const payments = alert(7, {
  alert_name: "PaymentsDown",
  title: "Payments refuse charges",
  severity: "critical",
  service: "payments",
  labels: { alertname: "PaymentsDown", service: "payments", namespace: "shop", instance: 'pay-1 "eu"' },
  current_value: 0.42,
  threshold_value: 0.05,
  count: 3,
  group_id: 1,
});
const latency = alert(8, {
  alert_name: "CheckoutSlow",
  severity: "medium",
  service: "checkout",
  labels: { alertname: "CheckoutSlow", service: "checkout", namespace: "shop" },
  status: "acknowledged",
  acknowledged_by: "bob",
  group_id: 1,
});
const disk = alert(9, {
  alert_name: "DiskFull",
  severity: "low",
  labels: { alertname: "DiskFull", service: "node" },
  status: "silenced",
  group_id: 2,
});

const GROUPED = {
  groups: [
    {
      group: group(1, {
        route_id: 4,
        receiver: "shop-oncall",
        team_id: 2,
        escalation_policy_id: 3,
        labels: { namespace: "shop" },
        alert_count: 2,
        repeat_interval_s: 3600,
      }),
      alerts: [payments, latency],
    },
    { group: group(2, { labels: { alertname: "DiskFull", service: "node" } }), alerts: [disk] },
  ],
  ungrouped: [],
};

function api(extra: (c: { method: string; path: string; body: unknown }) => { status?: number; body?: unknown } | undefined = () => undefined) {
  return fakeApi((c) => {
    const answer = extra(c);
    if (answer) return answer;
    if (c.path === "/api/auth/me") return { body: ME };
    if (c.path === "/api/alerts/grouped") return { body: GROUPED };
    if (c.path === "/api/alerting/routes") return { body: { items: [{ id: 4, name: "Shop: checkout path" }], next_cursor: null } };
    if (c.path === "/api/teams") return { body: { items: [{ id: 2, name: "Shop" }], next_cursor: null } };
    if (c.path === "/api/oncall/escalation-policies") return { body: { items: [{ id: 3, name: "Shop critical path" }], next_cursor: null } };
    if (c.path === "/api/oncall/escalations")
      return {
        body: {
          items: [
            {
              id: 1, group_id: 1, policy_id: 3, chain: [{}, {}, {}], status: "active", step_index: 2,
              next_step_at: new Date(NOW + 8 * 60_000).toISOString(), steps_run: 2, started_at: ago(5),
              stopped_at: null, stopped_by: null, stop_reason: null,
            },
          ],
          next_cursor: null,
        },
      };
    return undefined;
  });
}

describe("Active alerts", () => {
  it("shows the open alerts grouped as they page: group labels, receiver, route, team, policy, timers, escalation", async () => {
    session.start("t", "ada@example.com", 3600);
    api();
    renderAt("/alerts");
    const shop = await screen.findByRole("region", { name: /Group namespace=shop/ }, { timeout: 5000 });
    expect(within(shop).getByText("→ shop-oncall")).toBeTruthy();
    await waitFor(() => expect(within(shop).getByText("route “Shop: checkout path”")).toBeTruthy());
    expect(within(shop).getByText("team Shop")).toBeTruthy();
    expect(within(shop).getByText("policy Shop critical path")).toBeTruthy();
    expect(within(shop).getByText("2 alerts")).toBeTruthy();
    expect(shop.textContent).toContain("waits 30 s, then every 5 min · repeats every 1 h · last notified 9 min ago");
    await waitFor(() => expect(shop.textContent).toContain("paging: step 3 of 3, next step in 8 min"));

    // Rows in the group's order, with severity, state, value and the labels the group does not share.
    const rows = within(shop).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getByRole("link").textContent)).toEqual(["Payments refuse charges", "CheckoutSlow"]);
    expect(rows[0]!.textContent).toContain("critical");
    expect(rows[0]!.textContent).toContain("0.42 (threshold 0.05)");
    expect(rows[0]!.textContent).toContain('instance=pay-1 "eu"');
    expect(rows[0]!.textContent).not.toContain("namespace=shop");
    expect(rows[1]!.textContent).toContain("acknowledged");
    expect(rows[1]!.textContent).toContain("by bob");
    // An acknowledged alert can no longer be acknowledged; a responder may resolve and silence it.
    expect(within(rows[1]!).queryByRole("button", { name: "Acknowledge CheckoutSlow" })).toBeNull();
    expect(within(rows[1]!).getByRole("button", { name: "Resolve CheckoutSlow" })).toBeTruthy();

    const node = screen.getByRole("region", { name: /Group alertname=DiskFull service=node/ });
    expect(within(node).getByText("default route")).toBeTruthy();
    expect(screen.getByText(/open alerts in/).textContent).toBe("3 open alerts in 2 groups: 1 firing, 1 acknowledged, 1 silenced");
  });

  it("filters by severity and state from the URL", async () => {
    session.start("t", "ada@example.com", 3600);
    api();
    renderAt("/alerts?state=silenced");
    expect(await screen.findByRole("region", { name: /Group alertname=DiskFull/ }, { timeout: 5000 })).toBeTruthy();
    expect(screen.queryByRole("region", { name: /Group namespace=shop/ })).toBeNull();
  });

  it("acknowledges an alert and asks for the list again", async () => {
    session.start("t", "ada@example.com", 3600);
    const calls = api((c) => (c.method === "POST" && c.path === "/api/alerts/7/acknowledge" ? { body: { ...payments, status: "acknowledged" } } : undefined));
    renderAt("/alerts");
    const button = await screen.findByRole("button", { name: "Acknowledge PaymentsDown" }, { timeout: 5000 });
    await userEvent.setup().click(button);
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === "/api/alerts/7/acknowledge")).toBe(true));
    // The list is asked for again after the change.
    await waitFor(() => expect(calls.filter((c) => c.path === "/api/alerts/grouped").length).toBeGreaterThan(1));
  });

  it("acknowledges and resolves a whole group, resolving only after a second click", async () => {
    session.start("t", "ada@example.com", 3600);
    const calls = api((c) =>
      c.method === "POST" && c.path.startsWith("/api/alerts/groups/1/")
        ? { body: { group_id: 1, action: c.path.split("/").pop(), alerts_changed: 2 } }
        : undefined,
    );
    renderAt("/alerts");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Acknowledge group namespace=shop" }, { timeout: 5000 }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === "/api/alerts/groups/1/acknowledge")).toBe(true));
    // The silenced-only group has nothing firing: no group acknowledge there.
    expect(screen.queryByRole("button", { name: "Acknowledge group alertname=DiskFull service=node" })).toBeNull();
    await user.click(screen.getByRole("button", { name: "Resolve group namespace=shop" }));
    expect(calls.some((c) => c.path === "/api/alerts/groups/1/resolve")).toBe(false);
    await user.click(screen.getByRole("button", { name: "Resolve all 2 alerts" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === "/api/alerts/groups/1/resolve")).toBe(true));
  });

  it("shows no actions without the respond permission", async () => {
    session.start("t", "viewer@example.com", 3600);
    api((c) => (c.path === "/api/auth/me" ? { body: { ...ME, role: "viewer", permissions: ["read"] } } : undefined));
    renderAt("/alerts");
    expect(await screen.findByRole("region", { name: /Group namespace=shop/ }, { timeout: 5000 })).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole("button", { name: /Acknowledge|Resolve|Silence/ })).toBeNull());
  });
});

describe("Silence from an alert", () => {
  it("prefills one matcher per label, shows what it mutes and creates the silence", async () => {
    session.start("t", "ada@example.com", 3600);
    const calls = api((c) =>
      c.method === "POST" && c.path === "/api/alerting/silences"
        ? {
            status: 201,
            body: { id: "s-1", matchers: (c.body as { matchers: string[] }).matchers, starts_at: ago(0), ends_at: new Date(NOW + 7_200_000).toISOString(), created_by: "ada", comment: "fix", state: "active" },
          }
        : undefined,
    );
    renderAt("/alerts");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Silence PaymentsDown" }, { timeout: 5000 }));
    const dialog = screen.getByRole("dialog", { name: "Silence PaymentsDown" });
    const value = (i: number, part: string) => (within(dialog).getByLabelText(`Matcher ${i} ${part}`) as HTMLInputElement).value;
    expect([1, 2, 3, 4].map((i) => `${value(i, "label")}${value(i, "operator")}${value(i, "value")}`)).toEqual([
      "alertname=PaymentsDown",
      "service=payments",
      'instance=pay-1 "eu"',
      "namespace=shop",
    ]);
    expect(dialog.textContent).toContain("mutes 1 of the 3 open alerts");
    // Widen it: drop the instance, so every shop alert of the payments service matches.
    await user.click(within(dialog).getByRole("button", { name: "Remove matcher instance" }));
    await user.selectOptions(within(dialog).getByLabelText("Duration"), "240");
    await user.click(within(dialog).getByRole("button", { name: "Create silence" }));
    expect(within(dialog).getByRole("alert").textContent).toContain("Say why");
    await user.type(within(dialog).getByLabelText("Comment"), "deploying the fix");
    await user.click(within(dialog).getByRole("button", { name: "Create silence" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    const post = calls.find((c) => c.method === "POST" && c.path === "/api/alerting/silences")!;
    const body = post.body as { matchers: string[]; ends_at: string; comment: string };
    expect(body.matchers).toEqual(['alertname="PaymentsDown"', 'service="payments"', 'namespace="shop"']);
    expect(body.comment).toBe("deploying the fix");
    const minutes = (Date.parse(body.ends_at) - NOW) / 60_000;
    expect(minutes).toBeGreaterThan(239);
    expect(minutes).toBeLessThan(250);
    expect(await screen.findByText(/Silence created for/)).toBeTruthy();
  });

  it("builds matchers in Alertmanager's syntax", () => {
    expect(matchersFromLabels({ zone: "a", severity: "page", alertname: "X", service: "s" }).map(formatMatcher)).toEqual([
      'alertname="X"',
      'service="s"',
      'severity="page"',
      'zone="a"',
    ]);
    expect(quote('say "hi"\\n')).toBe('"say \\"hi\\"\\\\n"');
    expect(labelsMatch({ job: "postgres" }, [{ name: "job", op: "=~", value: "postgres|mysql" }])).toBe(true);
    expect(labelsMatch({ job: "postgres-x" }, [{ name: "job", op: "=~", value: "postgres|mysql" }])).toBe(false);
    expect(labelsMatch({}, [{ name: "env", op: "=", value: "" }])).toBe(true);
    expect(labelsMatch({ env: "prod" }, [{ name: "env", op: "!=", value: "prod" }])).toBe(false);
  });
});

describe("Routing tree", () => {
  it("nests routes under their parents in order and marks inherited settings", () => {
    const row = (id: number, parent_id: number | null, position: number, over: object = {}) =>
      ({ id, parent_id, position, name: `r${id}`, matchers: [], continue_matching: false, created_at: ago(1), ...over }) as Schemas["RouteOut"];
    const nodes = flatten(
      buildRouteTree([row(3, 1, 0), row(1, null, 1, { receiver: "db", group_wait_s: 10 }), row(2, null, 0), row(4, 1, -1, { receiver: "dba" })]),
    );
    expect(nodes.map((n) => [n.route.id, n.depth])).toEqual([[2, 1], [1, 1], [4, 2], [3, 2]]);
    const child = nodes.find((n) => n.route.id === 3)!;
    expect(child.effective.receiver).toBe("db");
    expect(child.effective.group_wait_s).toBe(10);
    expect(child.effective.repeat_interval_s).toBe(14_400);
    expect(child.inherited.has("receiver")).toBe(true);
    expect(nodes.find((n) => n.route.id === 4)!.inherited.has("receiver")).toBe(false);
  });

  it("says when a group was and will be notified", () => {
    const g = group(1, { last_notified_at: null, next_flush_at: new Date(NOW + 20_000).toISOString() });
    expect(groupTimers(g, NOW)).toBe("waits 30 s, then every 5 min · repeats every 4 h · first notification in 20 s");
  });
});
