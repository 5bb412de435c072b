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
