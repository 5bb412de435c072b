// The browser half of bench_web.py: time to first render of the overview and of a trace
// view in headless Chromium (Debian's, driven by Playwright from web/node_modules).
//
//   node benchmarks/web_render.mjs '{"url": "...", "token": "...", "email": "...",
//                                   "traceId": "...", "runs": 5}'
//
// Each run is a fresh browser context (empty HTTP cache, the session put in localStorage
// before the first script runs, so no login page), navigating straight to the page. An
// init script watches the DOM with a MutationObserver and notes performance.now() (ms
// since navigation start) when the page's first data-bearing element appears:
//   overview: the first row of the Services table;  trace: the first waterfall row.
// Printed: one JSON object with every run's figures.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(fileURLToPath(new URL("../web/package.json", import.meta.url)));
const { chromium } = require("@playwright/test");

const options = JSON.parse(process.argv[2] ?? "{}");
const runs = options.runs ?? 5;

const PAGES = {
  overview: { path: "/", selector: "section[aria-labelledby=services-title] table tbody tr" },
  trace: { path: `/traces/${options.traceId}`, selector: "[role=treegrid] [role=row]" },
};

function watch(selector) {
  const mark = () => {
    if (window.__firstRender === undefined && document.querySelector(selector)) {
      window.__firstRender = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(mark);
  observer.observe(document, { childList: true, subtree: true });
}

async function measure(browser, name) {
  const spec = PAGES[name];
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  await context.addInitScript(
    ([key, value]) => localStorage.setItem(key, value),
    ["sentinel.session", JSON.stringify({ token: options.token, email: options.email, expiresAt: Date.now() + 3600_000 })],
  );
  await context.addInitScript(watch, spec.selector);
  const page = await context.newPage();
  await page.goto(options.url + spec.path);
  await page.waitForFunction(() => window.__firstRender !== undefined, null, { timeout: 60_000, polling: 50 });
  const figures = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    const api = performance
      .getEntriesByType("resource")
      .filter((r) => r.name.includes("/api/tracing/traces/") || r.name.includes("/api/tracing/statistics"))
      .map((r) => ({ url: new URL(r.name).pathname, start: r.startTime, end: r.responseEnd, bytes: r.encodedBodySize }));
    return {
      firstRenderMs: window.__firstRender,
      firstContentfulPaintMs: paint ? paint.startTime : null,
      domContentLoadedMs: nav ? nav.domContentLoadedEventEnd : null,
      api,
    };
  });
  // How many rows the page holds (the waterfall renders only a window of its rows).
  figures.rowsInDom = await page.locator(spec.selector).count();
  await context.close();
  return figures;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  const result = { overview: [], trace: [] };
  await measure(browser, "overview"); // warm-up: the server's first requests (imports, caches)
  await measure(browser, "trace");
  for (let i = 0; i < runs; i++) {
    result.overview.push(await measure(browser, "overview"));
    result.trace.push(await measure(browser, "trace"));
  }
  process.stdout.write(JSON.stringify(result));
} finally {
  await browser.close();
}
