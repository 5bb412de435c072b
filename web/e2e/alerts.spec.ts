// The Alerts and On-call pages in a real browser against the seeded server (demo data plus
// the alerts raised here through the API).
import { expect, test, type Page } from "@playwright/test";
import { join } from "node:path";
import { SCREENSHOTS, server } from "./server";

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
const open = (page: Page, path: string) => page.goto(server().url + path);

async function logIn(page: Page, path: string) {
  const { email, password } = server();
  await open(page, path);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** Raise an alert through the brief's API with the ingest key. */
async function raise(body: Record<string, unknown>) {
  const { url, ingestKey } = server();
  const response = await fetch(`${url}/api/alerts`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ingestKey}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBeLessThan(300);
}

// Below "high", so no incident opens for them (other specs look for the demo's incident).
test.beforeAll(async () => {
  await raise({
    service_name: "e2e-storage",
    alert_name: "E2EDiskFilling",
    severity: "medium",
    title: "Disk /var/lib/e2e above 90%",
    current_value: 93.5,
    threshold_value: 90,
    labels: { instance: "e2e-node-1" },
  });
  await raise({
    service_name: "e2e-queue",
    alert_name: "E2EQueueBacklog",
    severity: "low",
    title: "Queue backlog growing",
    labels: { queue: "e2e-emails" },
  });
});

/** Resolve the alerts raised here, so pages tested after this file (the overview's short
 * list of active alerts) see the server as the global setup left it. */
test.afterAll(async () => {
  const { url, email, password } = server();
  const login = await fetch(`${url}/api/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const headers = { Authorization: `Bearer ${token}` };
  for (const name of ["E2EDiskFilling", "E2EQueueBacklog"]) {
    const listed = await fetch(`${url}/api/alerts?alert_name=${name}`, { headers });
    const { items } = (await listed.json()) as { items: { id: number; status: string }[] };
    for (const alert of items.filter((a) => a.status !== "resolved")) {
      const resolved = await fetch(`${url}/api/alerts/${alert.id}/resolve`, { method: "POST", headers });
      expect(resolved.status).toBe(200);
    }
  }
});

test("alerts: grouped as they page, acknowledge, silence from an alert, silences, routing, fatigue, statistics", async ({ page }) => {
  await logIn(page, "/alerts");
  await expect(page.getByRole("heading", { name: "Alerts", level: 1 })).toBeVisible();

  // The demo's checkout-path alerts page together: one group by namespace and env, routed to the shop's on-call.
  const shop = page.getByRole("region", { name: "Group env=demo namespace=shop" });
  await expect(shop).toBeVisible();
  await expect(shop.getByText("→ shop-oncall")).toBeVisible();
  await expect(shop.getByText("route “Shop: checkout path”")).toBeVisible();
  await expect(shop.getByText("policy Shop critical path")).toBeVisible();
  await expect(shop.getByRole("link", { name: "checkout: error rate above 5% for 1m" })).toBeVisible();
  await expect(shop.getByRole("link", { name: /payments: DB connections time out/ })).toBeVisible();
  // Alerts of the default route are grouped by alertname and service.
  const disk = page.getByRole("region", { name: "Group alertname=E2EDiskFilling service=e2e-storage" });
  await expect(disk.getByText("default route")).toBeVisible();
  await expect(disk.getByRole("row", { name: /Disk \/var\/lib\/e2e above 90%/ })).toContainText("93.5 (threshold 90)");
  await shot(page, "alerts");

  // Acknowledge: the state changes in place, with who did it.
  const diskRow = disk.getByRole("row", { name: /Disk \/var\/lib\/e2e above 90%/ });
  await expect(diskRow).toContainText("firing");
  await diskRow.getByRole("button", { name: "Acknowledge E2EDiskFilling" }).click();
  await expect(diskRow).toContainText("acknowledged");
  await expect(diskRow).toContainText(`by ${server().email}`);
  await expect(diskRow.getByRole("button", { name: "Acknowledge E2EDiskFilling" })).toHaveCount(0);

  // Silence from an alert: the matchers come from its labels.
  const queue = page.getByRole("region", { name: "Group alertname=E2EQueueBacklog service=e2e-queue" });
  await queue.getByRole("button", { name: "Silence E2EQueueBacklog" }).click();
  const dialog = page.getByRole("dialog", { name: "Silence E2EQueueBacklog" });
  await expect(dialog.getByLabel("Matcher 1 label")).toHaveValue("alertname");
  await expect(dialog.getByLabel("Matcher 1 value")).toHaveValue("E2EQueueBacklog");
  await expect(dialog.getByLabel("Matcher 3 label")).toHaveValue("queue");
  await expect(dialog).toContainText('alertname="E2EQueueBacklog", service="e2e-queue", queue="e2e-emails"');
  await expect(dialog).toContainText("mutes 1 of the");
  await dialog.getByLabel("Duration").selectOption({ label: "4 hours" });
  await dialog.getByLabel("Comment").fill("e2e: emails drain after the deploy");
  await shot(page, "alerts-silence-form");
  await dialog.getByRole("button", { name: "Create silence" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByText(/Silence created for/)).toBeVisible();
  await expect(queue.getByRole("row", { name: /Queue backlog growing/ })).toContainText("silenced");

  // The silences tab lists it as active, with its comment; expiring works from there.
  await page.getByRole("link", { name: "See silences" }).click();
  await expect(page).toHaveURL(/\/alerts\/silences$/);
  const silence = page.getByRole("row", { name: /E2EQueueBacklog/ });
  await expect(silence).toContainText("e2e: emails drain after the deploy");
  await expect(silence).toContainText("in 4 h");
  await expect(page.getByRole("row", { name: /RedisMemoryHigh/ })).toBeVisible(); // the demo's silence
  await shot(page, "alerts-silences");

  // Routing tree.
  await page.getByRole("navigation", { name: "Alerts sections" }).getByRole("link", { name: "Routing" }).click();
  await expect(page.getByRole("heading", { name: "Routing tree" })).toBeVisible();
  await expect(page.getByText("Shop: checkout path")).toBeVisible();
  await expect(page.getByText('namespace="shop"')).toBeVisible();
  await shot(page, "alerts-routes");

  // The fatigue report: the demo's flapping RedisMemoryHigh with its score and recommendations.
  await page.getByRole("navigation", { name: "Alerts sections" }).getByRole("link", { name: "Fatigue" }).click();
  await expect(page.getByRole("heading", { name: "Fatigue report" })).toBeVisible();
  const redis = page.locator(".fatigue-entry").filter({ has: page.getByRole("heading", { name: "RedisMemoryHigh" }) });
  await expect(redis.getByLabel(/^score \d+ of 100$/)).toBeVisible();
  await expect(redis.getByRole("list", { name: "Recommendations for RedisMemoryHigh" })).toContainText("add for:");
  await expect(page.getByRole("region", { name: "Flapping alerts" })).toContainText("RedisMemoryHigh");
  await shot(page, "alerts-fatigue");

  await page.getByRole("navigation", { name: "Alerts sections" }).getByRole("link", { name: "Statistics" }).click();
  await expect(page.getByText("MTTA")).toBeVisible();
  await expect(page.getByRole("img", { name: /Alert fires per day/ })).toBeVisible();
  await shot(page, "alerts-statistics");
});

test("on-call: who is on call now, the two-week timeline with an override, policies, my contact methods, notification history", async ({ page }) => {
  await logIn(page, "/oncall");
  await expect(page.getByRole("heading", { name: "On-call", level: 1 })).toBeVisible();

  // The demo puts the admin on call now in its primary schedule.
  const now = page.getByRole("region", { name: "On call now" });
  const primary = now.getByRole("row", { name: /Shop primary on-call/ });
  await expect(primary).toContainText(server().email);
  await expect(primary.getByText("you", { exact: true })).toBeVisible();
  await expect(now.getByLabel("You")).toContainText("You are on call now: Shop primary on-call until");
  await expect(now.getByRole("row", { name: /Shop secondary on-call/ })).toBeVisible();

  // The primary schedule's next two weeks: its layer, the demo's override (Bob), the final lane.
  await primary.getByRole("button", { name: "Show the timeline of Shop primary on-call" }).click();
  const timeline = page.getByRole("region", { name: "Shop primary on-call: the next two weeks" });
  await expect(timeline.getByRole("img", { name: /Shop primary on-call, next two weeks: \d+ final shifts, 1 overrides/ })).toBeVisible();
  await expect(timeline.locator('[data-lane="final"] [data-kind="override"]')).toHaveCount(1);
  await expect(timeline.getByRole("table", { name: "Overrides and swaps" })).toContainText("Bob Okafor");

  // Add an override for Priya, three days from now.
  await timeline.getByRole("button", { name: "Add override" }).click();
  const dialog = page.getByRole("dialog", { name: "Override on Shop primary on-call" });
  await dialog.getByLabel("On call").selectOption({ label: "Priya Raman" });
  const day = new Date(Date.now() + 3 * 86_400_000);
  const local = (h: number) => {
    const d = new Date(day);
    d.setHours(h, 0, 0, 0);
    const pad = (n: number) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(h)}:00`;
  };
  await dialog.getByLabel("From").fill(local(9));
  await dialog.getByLabel("Until").fill(local(17));
  await dialog.getByRole("button", { name: "Create override" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(timeline.getByRole("table", { name: "Overrides and swaps" })).toContainText("Priya Raman");
  await expect(timeline.locator('[data-lane="final"] [data-kind="override"]')).toHaveCount(2);
  await expect(timeline.locator('[data-lane="overrides"] [data-kind="override"]')).toHaveCount(2);
  await shot(page, "oncall");

  // Escalation policies: the demo's two-step policy.
  await page.getByRole("navigation", { name: "On-call sections" }).getByRole("link", { name: "Escalation policies" }).click();
  const steps = page.getByRole("list", { name: "Steps of Shop critical path" });
  await expect(steps.getByRole("listitem")).toHaveText([
    "Notify whoever is on call in Shop primary on-call",
    "Wait 10 min",
    "Notify whoever is on call in Shop secondary on-call",
  ]);
  await expect(page.getByText("used by route “Shop: checkout path”")).toBeVisible();
  await shot(page, "oncall-policies");

  // My contact methods: add a phone, see it, remove it.
  await page.getByRole("navigation", { name: "On-call sections" }).getByRole("link", { name: "My notifications" }).click();
  const methods = page.getByRole("region", { name: "Your contact methods" });
  await methods.getByLabel("Kind").selectOption("sms");
  await methods.getByLabel("Address").fill("+4915112345678");
  await methods.getByLabel("Label").fill("e2e phone");
  await methods.getByRole("button", { name: "Add contact method" }).click();
  await expect(methods.getByRole("list", { name: "Contact methods" })).toContainText("+4915112345678");
  const rules = page.getByRole("region", { name: "Your notification rules" });
  await rules.getByLabel("Notify").selectOption({ label: "SMS: +4915112345678 (e2e phone)" });
  await rules.getByLabel("after (minutes)").fill("5");
  await rules.getByRole("button", { name: "Add rule" }).click();
  await expect(rules.getByRole("list", { name: "Notification rules" })).toContainText("After 5 min: SMS: +4915112345678 (e2e phone)");
  await shot(page, "oncall-me");
  await rules.getByRole("button", { name: "Remove rule: After 5 min: SMS: +4915112345678 (e2e phone)" }).click();
  await methods.getByRole("button", { name: "Remove SMS: +4915112345678 (e2e phone)" }).click();
  await expect(methods.getByRole("list", { name: "Contact methods" })).not.toContainText("+4915112345678");

  // Notification history: the demo's pages (the worker sends them once the group's wait is over).
  await page.getByRole("navigation", { name: "On-call sections" }).getByRole("link", { name: "Notification history" }).click();
  await expect(page.getByRole("heading", { name: "Notification history" })).toBeVisible();
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("table", { name: "Delivery attempts, newest first" })).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 90_000 });
  const first = page.getByRole("table", { name: "Delivery attempts, newest first" }).getByRole("row").nth(1);
  await expect(first).toContainText(/group \d+/);
  await expect(first).toContainText(/delivered|failed/);
  await page.getByLabel("Result").selectOption("failed");
  await expect(page).toHaveURL(/result=failed/);
  await shot(page, "oncall-history");
});
