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

test.beforeAll(async () => {
  await raise({
    service_name: "e2e-storage",
    alert_name: "E2EDiskFilling",
    severity: "high",
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
