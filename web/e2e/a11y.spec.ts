// Every page, as the demo fills it: each control has a label a screen reader announces, and
// nothing that reacts to a click is out of reach of the keyboard.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { server } from "./server";

async function logIn(page: Page) {
  const { url, email, password } = server();
  await page.goto(url + "/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "Overview", level: 1 })).toBeVisible();
}

/** The detail pages' ids, from the API (the newest of each). */
async function detailPaths(request: APIRequestContext): Promise<string[]> {
  const { url, email, password } = server();
  const login = await request.post(`${url}/api/auth/login`, { data: { email, password } });
  const headers = { Authorization: `Bearer ${((await login.json()) as { access_token: string }).access_token}` };
  const first = async (path: string, key: string): Promise<string> => {
    const answer = await request.get(url + path, { headers });
    expect(answer.status(), path).toBe(200);
    const body = (await answer.json()) as { items?: Record<string, unknown>[] } | Record<string, unknown>[];
    const items = Array.isArray(body) ? body : (body.items ?? []);
    expect(items.length, `${path} has something to open`).toBeGreaterThan(0);
    return String(items[0]![key]);
  };
  const trace = await first("/api/tracing/traces?service=frontend&sort=duration&limit=1", "trace_id");
  const incident = await first("/api/incidents?limit=1", "id");
  const slo = await first("/api/slo", "id");
  const alert = await first("/api/alerts?limit=1", "id");
  return [`/traces/${trace}`, `/incidents/${incident}`, `/incidents/${incident}/post-mortem`, `/slos/${slo}`, `/alerts/${alert}`];
}

const PAGES = [
  "/",
  "/services",
  "/services/payments",
  "/traces",
  "/logs",
  "/logs?tab=patterns",
  "/logs?tab=anomalies",
  "/logs?tab=errors",
  "/alerts",
  "/alerts/silences",
  "/alerts/routes",
  "/alerts/fatigue",
  "/alerts/statistics",
  "/oncall",
  "/oncall/policies",
  "/oncall/me",
  "/oncall/history",
  "/incidents",
  "/slos",
  "/settings/connect",
  "/settings/api-keys",
  "/settings/users",
  "/settings/teams",
  "/settings/channels",
];

/** Roles a user operates; an accessible name is what a screen reader says for them. */
const CONTROL = /^\s*- (button|link|textbox|searchbox|combobox|listbox|checkbox|radio|switch|slider|spinbutton|tab|menuitem|option)(?=$|:| \[)/;

/** What the browser's accessibility tree gives no name, as Playwright's aria snapshot shows it. */
async function unnamedControls(page: Page): Promise<string[]> {
  const snapshot = await page.locator("body").ariaSnapshot();
  return snapshot
    .split("\n")
    .filter((line) => CONTROL.test(line))
    .map((line) => line.trim());
}

/** Visible elements that look clickable (pointer cursor) but that Tab never reaches: not
 * focusable themselves, and not inside a focusable control or one of the composite widgets
 * whose items are reached with the arrow keys (a row of the waterfall, a tab). */
async function unreachable(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const el of Array.from(document.body.querySelectorAll<HTMLElement | SVGElement>("*"))) {
      if (!el.checkVisibility?.()) continue;
      if (el.closest("label, [aria-disabled=true], :disabled")) continue;
      // A chart is one image; the dots of the traces' scatter open a trace on click, and the
      // table under it lists the same traces for the keyboard.
      if (el.closest("[role=img]")) continue;
      const focusable = (e: Element) => (e as HTMLElement).tabIndex >= 0 && !(e as HTMLElement).hasAttribute("disabled");
      const pointer = getComputedStyle(el).cursor === "pointer";
      const interactive = el.matches("a[href], button, input, select, textarea, summary, [role=button], [role=link], [role=tab], [role=checkbox], [role=option], [role=row][tabindex]");
      if (!pointer && !interactive) continue;
      let reachable = false;
      for (let e: Element | null = el; e && e !== document.body; e = e.parentElement) {
        if (focusable(e)) reachable = true;
        // A roving-tabindex composite (treegrid, grid, tablist, listbox): one item is in the tab order, arrows move.
        if (e.matches("[role=treegrid], [role=grid], [role=tablist], [role=listbox]") && e.querySelector("[tabindex='0']")) reachable = true;
        if (reachable) break;
      }
      if (!reachable) {
        const text = (el.getAttribute("aria-label") ?? el.textContent ?? "").trim().slice(0, 60);
        found.push(`<${el.tagName.toLowerCase()} class="${el.getAttribute("class") ?? ""}"> ${text}`);
      }
    }
    return found;
  });
}

test("every page: controls are labelled and reachable with the keyboard", async ({ page, request }) => {
  test.setTimeout(240_000);
  // The checks themselves: an unlabelled box and a clickable div are caught, a button is not.
  await page.setContent('<main><input type="text"><div style="cursor: pointer">open</div><button>Save</button></main>');
  expect(await unnamedControls(page)).toEqual(["- textbox"]);
  expect(await unreachable(page)).toEqual(['<div class=""> open']);

  await logIn(page);
  const problems: string[] = [];
  for (const path of [...PAGES, ...(await detailPaths(request))]) {
    await page.goto(server().url + path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    // Wait for the page's data: no loading indicator left.
    await expect(page.getByRole("status").filter({ hasText: /^Loading/ })).toHaveCount(0);
    for (const line of await unnamedControls(page)) problems.push(`${path}: no label: ${line}`);
    for (const el of await unreachable(page)) problems.push(`${path}: clickable but not reachable by Tab: ${el}`);
  }
  expect(problems).toEqual([]);

  // Tab from the top of the overview: the time range, the theme, log out, then the navigation.
  await page.goto(server().url + "/");
  await expect(page.getByRole("region", { name: "Services" })).toBeVisible();
  const order: string[] = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    order.push(
      await page.evaluate(() => {
        const el = document.activeElement as HTMLElement & { labels?: NodeListOf<HTMLLabelElement> };
        return (el.getAttribute("aria-label") ?? el.labels?.[0]?.textContent ?? el.textContent ?? "").trim();
      }),
    );
  }
  for (const name of ["Time range", "Log out", "Overview", "Services", "Traces", "Logs", "Alerts"]) expect(order).toContain(name);
});
