// Starts a real Sentinel for the UI tests: temporary data dir and SQLite database, a free
// port, `sentinel migrate`, `sentinel create-user` (admin, known password), an ingest key,
// `sentinel serve` (serving the built UI), then `sentinel demo --once` and e2e/seed.ts send
// data through the real API. The server's output: <dataDir>/server.log (kept with
// SENTINEL_E2E_KEEP=1; the path is in test-results/e2e-server.json).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { seed } from "./seed";
import { SCREENSHOTS, STATE_FILE, type E2EServer } from "./server";

const repo = resolve(import.meta.dirname, "..", "..");
const sentinel = process.env.SENTINEL ?? join(repo, ".venv", "bin", "sentinel");
const EMAIL = "admin@e2e.test";
const PASSWORD = "e2e-admin-password";

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (address && typeof address === "object" ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

async function waitForHealth(url: string, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Sentinel did not become healthy at ${url}; its output is in ${logFile}`);
}

export default async function globalSetup(): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  rmSync(STATE_FILE, { force: true });
  const dataDir = mkdtempSync(join(tmpdir(), "sentinel-e2e-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    SENTINEL_DATABASE_URL: `sqlite+aiosqlite:///${join(dataDir, "sentinel.db")}`,
    SENTINEL_DATA_DIR: dataDir,
    SENTINEL_HOST: "127.0.0.1",
    SENTINEL_PORT: String(port),
    SENTINEL_LOG_FORMAT: "text",
    SENTINEL_LOG_LEVEL: "WARNING",
    SENTINEL_SECRET_KEY: "e2e-secret-key-e2e-secret-key-0123456789",
    // SLO status appears after the worker's evaluation; every 5 s instead of every minute
    // so the SLO pages have numbers soon after the demo's spans arrive.
    SENTINEL_SLO_EVALUATION_SECONDS: "5",
  };
  const opts = { cwd: dataDir, env, encoding: "utf8" as const };
  execFileSync(sentinel, ["migrate"], opts);
  execFileSync(sentinel, ["create-user", "--email", EMAIL, "--role", "admin", "--password", PASSWORD], opts);
  const ingestKey = execFileSync(sentinel, ["create-api-key", "--name", "e2e", "--scopes", "ingest"], {
    ...opts,
    stdio: ["ignore", "pipe", "ignore"],
  }).trim();

  const logFile = join(dataDir, "server.log");
  const log = openSync(logFile, "a");
  const child = spawn(sentinel, ["serve"], { cwd: dataDir, env, stdio: ["ignore", log, log], detached: false });
  child.unref();
  try {
    await waitForHealth(url, logFile);
    // The demo workload (every page has data: traces incl. a 5,000-span one, logs, alerts,
    // an incident, SLOs, on-call), then the few records these tests assert on (newest).
    const demo = execFileSync(sentinel, ["demo", "--once", "--history", "15m", "--url", url], {
      ...opts,
      stdio: ["ignore", "pipe", "pipe"],
    });
    writeFileSync(join(dataDir, "demo.log"), demo);
    await seedAndRecord(url, child.pid!, dataDir, ingestKey);
  } catch (error) {
    child.kill("SIGTERM");
    throw error;
  }
}

async function seedAndRecord(url: string, pid: number, dataDir: string, ingestKey: string): Promise<void> {
  const login = await fetch(`${url}/api/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const seeded = await seed(url, ingestKey, token);

  const state: E2EServer = { url, pid, dataDir, email: EMAIL, password: PASSWORD, ingestKey, seeded };
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
}
