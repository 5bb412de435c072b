// The Logs and SLO pages in a real browser against the seeded server (the demo's workload:
// payments' database pool runs dry, a new error pattern, checkout's availability SLO burns).
import { expect, test, type Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
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

/** Send log lines through the brief's REST ingest API with the ingest key. */
async function ingest(records: Record<string, unknown>[]) {
  const { url, ingestKey } = server();
  const response = await fetch(`${url}/api/logs/ingest`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ingestKey}`, "Content-Type": "application/json" },
    body: JSON.stringify(records),
  });
  expect(response.status).toBe(200);
  expect(((await response.json()) as { accepted: number }).accepted).toBe(records.length);
}

test("search logs in plain words, see the query that ran, the new error pattern and a line's trace", async ({ page }) => {
  await logIn(page, "/logs");
  await expect(page.getByRole("heading", { name: "Logs", level: 1 })).toBeVisible();
  const lines = page.getByRole("list", { name: "Log lines, newest first" });
  await expect(lines.getByRole("listitem").first()).toBeVisible();

  await page.getByLabel("Log query").fill("errors from payments in the last hour");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/logs\?q=errors\+from\+payments\+in\+the\+last\+hour$/);
  const ran = page.getByRole("note", { name: "Query that ran" });
  await expect(ran.getByTestId("structured-query")).toHaveText("service:payments level:error,fatal");
  await expect(ran).toContainText("natural language");
  await expect(ran).toContainText("'payments' -> service payments");
  const pool = lines.getByRole("listitem").filter({ hasText: "database connection pool exhausted" });
  await expect(pool.first()).toBeVisible();
  await expect(lines.getByRole("listitem").filter({ hasNotText: "payments" })).toHaveCount(0);
  await expect(page.getByRole("img", { name: /Matching lines over the time range, by level: [1-9]\d* lines/ })).toBeVisible();
  await shot(page, "logs-search");

  // Open a line: its attributes, and the trace link.
  const first = pool.first();
  await first.getByRole("button", { name: "Show details" }).click();
  await expect(first.getByText("span_id", { exact: true })).toBeVisible();
  await shot(page, "logs-line-details");

  // The patterns tab: the failure's new error pattern; clicking it searches its lines.
  await page.getByRole("tab", { name: "Patterns" }).click();
  await expect(page).toHaveURL(/tab=patterns/);
  const template = page.getByRole("button", { name: /database connection pool exhausted/ }).first();
  await expect(template).toBeVisible();
  await shot(page, "logs-patterns");
  await template.click();
  await expect(page).toHaveURL(/q=pattern%3A\d+&nl=false$/);
  await expect(page.getByRole("tab", { name: "Lines" })).toHaveAttribute("aria-selected", "true");
  await expect(lines.getByRole("listitem").first()).toContainText("database connection pool exhausted");

  await page.getByRole("tab", { name: "Anomalies" }).click();
  await expect(page.getByText(/New error pattern|error-rate spike|volume spike/i).first()).toBeVisible();
  await shot(page, "logs-anomalies");
  await page.getByRole("tab", { name: "Errors" }).click();
  await expect(page.getByRole("button", { name: /TimeoutError|pool exhausted/ }).first()).toBeVisible();
  await shot(page, "logs-errors");

  // A line's trace link opens the trace page; the trace's logs are one link away.
  await page.getByRole("tab", { name: "Lines" }).click();
  const traced = lines.getByRole("listitem").filter({ has: page.getByRole("link", { name: /^Trace [0-9a-f]{32}$/ }) }).first();
  const link = traced.getByRole("link", { name: /^Trace [0-9a-f]{32}$/ });
  const traceId = ((await link.getAttribute("aria-label")) ?? "").slice(6);
  await link.click();
  await expect(page).toHaveURL(new RegExp(`/traces/${traceId}$`));
  await open(page, `/logs?trace_id=${traceId}`);
  await expect(page.getByText(`Lines of trace ${traceId} (at any time).`)).toBeVisible();
  await expect(lines.getByRole("listitem").first()).toBeVisible();
  for (const link of await lines.getByRole("link", { name: /^Trace / }).all()) {
    await expect(link).toHaveAttribute("href", `/traces/${traceId}`);
  }
  await shot(page, "logs-trace");
});

test("live tail shows a line ingested after it opened", async ({ page }) => {
  const token = `livetail${randomBytes(4).toString("hex")}`;
  await logIn(page, `/logs?q=${token}&live=1`);
  await expect(page.getByRole("button", { name: "Stop live tail" })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("status").filter({ hasText: "Live — waiting for new lines" })).toBeVisible();
  await expect(page.getByRole("note", { name: "Query that ran" }).getByTestId("structured-query")).toHaveText(token);
  await ingest([
    { service_name: "payments", level: "error", message: `${token} charge failed: database connection pool exhausted` },
    { service_name: "payments", level: "info", message: "a line the tail does not match" },
  ]);
  const live = page.getByRole("list", { name: "Live log lines, newest first" });
  await expect(live.getByRole("listitem")).toHaveCount(1);
  await expect(live.getByRole("listitem").first()).toContainText(`${token} charge failed`);
  await expect(live.getByRole("listitem").first()).toHaveClass(/level-error/);
  await shot(page, "logs-live-tail");
  await page.getByRole("button", { name: "Stop live tail" }).click();
  await expect(page).toHaveURL(new RegExp(`/logs\\?q=${token}$`));
  // The same line is in the search.
  await expect(page.getByRole("list", { name: "Log lines, newest first" }).getByRole("listitem")).toHaveCount(1);
});

test("SLO list and the burning checkout-availability SLO", async ({ page }) => {
  // Its SLI is read from the demo's spans by the worker's evaluation (once a minute).
  test.setTimeout(240_000);
  await logIn(page, "/slos");
  await expect(page.getByRole("heading", { name: "SLOs", level: 1 })).toBeVisible();
  const row = page.getByRole("row", { name: /checkout-availability/ });
  await expect(row).toBeVisible();
  await expect(async () => {
    await page.reload();
    await expect(row).toContainText(/burning|out of target/, { timeout: 5_000 });
  }).toPass({ timeout: 180_000, intervals: [5_000] });
  await expect(page.getByRole("meter", { name: "Error budget remaining of checkout-availability" })).toBeVisible();
  await expect(page.getByRole("row", { name: new RegExp(server().seeded.sloName) })).toBeVisible();
  await shot(page, "slos");

  await row.getByRole("link", { name: "checkout-availability" }).click();
  await expect(page).toHaveURL(/\/slos\/\d+$/);
  await expect(page.getByRole("heading", { name: /checkout-availability/, level: 1 })).toBeVisible();
  const burn = page.getByRole("table", { name: "Burn-rate alert conditions" });
  await expect(burn.getByRole("row")).toHaveCount(5);
  await expect(page.getByRole("img", { name: "Error budget remaining over the time range" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Prediction" })).toContainText("Confidence");
  await expect(page.getByRole("region", { name: "Violations" }).getByRole("listitem").first()).toBeVisible();
  await shot(page, "slo-detail");
});
