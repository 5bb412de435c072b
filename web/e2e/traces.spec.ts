// Services and traces in a real browser against the real server with demo data
// (`sentinel demo --once --history 15m`: the shop's services, payments failing, and the
// inventory's 5,000-span catalog.reindex trace).
import { expect, test, type Page } from "@playwright/test";
import { join } from "node:path";
import { SCREENSHOTS, server } from "./server";

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

async function logIn(page: Page, path: string) {
  const { url, email, password } = server();
  await page.goto(url + path);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

test("services: the dependency graph, then a service's RED charts and operations", async ({ page }) => {
  await logIn(page, "/services");
  await expect(page.getByRole("heading", { name: "Services", level: 1 })).toBeVisible();
  const graph = page.getByRole("group", { name: /Service dependency graph/ });
  await expect(graph).toBeVisible();
  for (const name of ["frontend", "checkout", "payments", "inventory", "redis"]) {
    await expect(graph.getByRole("link", { name: new RegExp(`^${name}:`) })).toBeVisible();
  }
  // payments fails in the demo: its incoming call is drawn as failing.
  await expect(graph.locator(".graph-edge.edge-bad").first()).toBeVisible();
  await shot(page, "services-graph");

  await graph.getByRole("link", { name: /^payments:/ }).click();
  await expect(page).toHaveURL(/\/services\/payments$/);
  await expect(page.getByRole("heading", { name: "payments", level: 1 })).toBeVisible();
  for (const chart of ["Requests per second", "Error rate", "Duration percentiles"]) {
    await expect(page.getByRole("img", { name: chart })).toBeVisible();
  }
  await expect(page.getByRole("img", { name: "Requests per second" }).locator("path").first()).toHaveAttribute("d", /L/);
  const operations = page.getByRole("region", { name: "Operations" });
  await expect(operations.getByRole("link", { name: "POST /api/charges" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Called by" }).getByRole("link", { name: "checkout" })).toBeVisible();
  await shot(page, "service-payments");
});

test("traces: search for a slow trace, open its waterfall, select a span and see its attributes", async ({ page }) => {
  await logIn(page, "/traces");
  await expect(page.getByRole("heading", { name: "Traces", level: 1 })).toBeVisible();
  await page.getByLabel("Min duration").fill("1s");
  await page.getByLabel("Order").selectOption("duration");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/traces\?min=1s&sort=duration$/);
  const hits = page.getByRole("table", { name: "Matching traces" });
  await expect(hits).toBeVisible();
  await expect(page.getByRole("img", { name: /Duration over time of \d+ traces/ }).locator("circle").first()).toBeVisible();
  // Slowest first, and every hit at least a second long.
  const durations = await hits.locator("[role=row] [role=cell]:nth-child(3)").allInnerTexts();
  expect(durations.length).toBeGreaterThan(0);
  for (const text of durations) expect(text).toMatch(/\d+(\.\d+)? (s|min)$/);
  await shot(page, "trace-search");

  // Open a slow checkout (payments times out in the demo), not the batch job.
  await hits.getByRole("row").filter({ hasText: "POST /cart/checkout" }).first().click();
  await expect(page).toHaveURL(/\/traces\/[0-9a-f]{32}$/);
  await expect(page.getByRole("heading", { name: "frontend: POST /cart/checkout", level: 1 })).toBeVisible();
  const waterfall = page.getByRole("treegrid");
  await expect(waterfall).toBeVisible();
  const failing = waterfall.getByRole("row", { name: /^payments: .*, error$/ }).first();
  await failing.click();
  await expect(page).toHaveURL(/\?span=[0-9a-f]{16}$/);
  const details = page.getByRole("complementary");
  await expect(details.getByText("Status: error")).toBeVisible();
  const attributes = details.getByRole("region", { name: "Attributes" });
  await expect(attributes.getByRole("rowheader").first()).toBeVisible();
  const resource = details.getByRole("region", { name: "Resource" });
  await expect(resource.getByRole("row", { name: /^service.name payments/ })).toBeVisible();
  await expect(page.getByRole("link", { name: /^Logs of this trace/ })).toHaveAttribute("href", /^\/logs\?trace_id=[0-9a-f]{32}&from=/);
  await shot(page, "trace-waterfall");

  // The selection survives a reload (it is in the URL).
  const selected = page.url();
  await page.reload();
  await expect(page.getByRole("complementary").getByText("Status: error")).toBeVisible();
  expect(page.url()).toBe(selected);
});

test("traces: the 5,000-span catalog.reindex trace opens and scrolls", async ({ page }) => {
  await logIn(page, "/traces?service=inventory&operation=catalog.reindex");
  const hits = page.getByRole("table", { name: "Matching traces" });
  await hits.getByRole("row").filter({ hasText: "catalog.reindex" }).first().click();
  const waterfall = page.getByRole("treegrid");
  await expect(waterfall).toHaveAttribute("aria-rowcount", "5000");
  await expect(page.getByText("5,000 spans")).toBeVisible();
  // Only the rows in view are in the page.
  expect(await waterfall.getByRole("row").count()).toBeLessThan(100);
  await shot(page, "trace-5000-spans");

  // Scroll through to the end: the last span is drawn, still only a window of rows.
  for (const fraction of [0.25, 0.5, 0.75, 1]) {
    await waterfall.evaluate((el, f) => (el.scrollTop = el.scrollHeight * f), fraction);
    await page.waitForTimeout(50);
  }
  await expect(waterfall.locator('[role=row][aria-rowindex="5000"]')).toBeVisible();
  expect(await waterfall.getByRole("row").count()).toBeLessThan(100);

  // Select the last span with the keyboard (End), collapse the root from the top (Home, ←).
  await waterfall.focus();
  await page.keyboard.press("End");
  await expect(page).toHaveURL(/span=[0-9a-f]{16}/);
  await expect(page.getByRole("complementary").getByRole("heading", { name: "index products" })).toBeVisible();
  await page.keyboard.press("Home");
  await page.keyboard.press("ArrowLeft");
  await expect(waterfall.getByRole("row")).toHaveCount(1);
  await expect(waterfall.getByText("+4999")).toBeVisible();
});
