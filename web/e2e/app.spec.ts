// The shell and the overview in a real browser against a real, seeded server.
import { expect, test, type Page } from "@playwright/test";
import { join } from "node:path";
import { SCREENSHOTS, server } from "./server";

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

async function logIn(page: Page) {
  const { email, password } = server();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** Opens a path of the server the global setup started. */
const open = (page: Page, path: string) => page.goto(server().url + path);

test("log in, see the overview, dark theme, deep link reload, log out", async ({ page }) => {
  const { seeded } = server();

  await open(page, "/");
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
  await expect(page.getByRole("heading", { name: "Sentinel" })).toBeVisible();
  await shot(page, "login");
  await logIn(page);

  // The overview, populated from the seeded spans, alerts, incident and SLO.
  await expect(page.getByRole("heading", { name: "Overview", level: 1 })).toBeVisible();
  const services = page.getByRole("region", { name: "Services" });
  for (const name of seeded.services) {
    await expect(services.getByRole("link", { name, exact: true })).toBeVisible();
  }
  const payments = services.getByRole("row").filter({ has: page.getByRole("link", { name: "payments", exact: true }) });
  await expect(payments.getByRole("cell").nth(1)).not.toHaveText("0.00%"); // payments fails now and then
  await expect(page.getByRole("region", { name: /Active alerts/ }).getByText(seeded.alertTitle)).toBeVisible();
  await expect(page.getByRole("region", { name: /Open incidents/ }).getByText(seeded.incidentTitle)).toBeVisible();
  await expect(page.getByRole("region", { name: /SLOs at risk/ }).getByText(seeded.sloName)).toBeVisible();
  await shot(page, "overview-light");

  // Dark theme, kept across a reload.
  await page.getByRole("button", { name: "Switch to dark theme" }).click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await expect(page.getByRole("region", { name: "Services" }).getByRole("link", { name: "checkout", exact: true })).toBeVisible();
  await shot(page, "overview-dark");

  // A deep link with a time range, reloaded: served by Sentinel, same page, same range.
  await page.getByLabel("Time range", { exact: true }).selectOption("6h");
  await expect(page).toHaveURL(/\?range=6h$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
  await expect(page).toHaveURL(/\/alerts\?range=6h$/);
  await page.reload();
  await expect(page.getByRole("heading", { name: "Alerts", level: 1 })).toBeVisible();
  await expect(page.getByLabel("Time range", { exact: true })).toHaveValue("6h");
  await open(page, "/services/checkout?range=24h");
  await expect(page.getByRole("heading", { name: "checkout", level: 1 })).toBeVisible();
  await expect(page.getByLabel("Time range", { exact: true })).toHaveValue("24h");

  // Log out: back at the login page, and pages need a login again.
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByText("You are logged out.")).toBeVisible();
  await open(page, "/incidents");
  await expect(page).toHaveURL(/\/login\?next=%2Fincidents$/);
});

test("an expired session says so and returns to the page after login", async ({ page }) => {
  await open(page, "/login");
  await logIn(page);
  await expect(page.getByRole("heading", { name: "Overview", level: 1 })).toBeVisible();
  // The server no longer accepts the token (as after SENTINEL_JWT_TTL_MINUTES).
  await page.evaluate(() => {
    const stored = JSON.parse(localStorage.getItem("sentinel.session") ?? "{}");
    localStorage.setItem("sentinel.session", JSON.stringify({ ...stored, token: "expired.token.value" }));
  });
  await open(page, "/slos?range=7d");
  await expect(page.getByText("Your session expired — log in again.")).toBeVisible();
  await shot(page, "session-expired");
  await logIn(page);
  await expect(page).toHaveURL(/\/slos\?range=7d$/);
  await expect(page.getByRole("heading", { name: "SLOs", level: 1 })).toBeVisible();
});
