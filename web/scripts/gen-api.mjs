// Generate the typed API client's schema from Sentinel's own OpenAPI document:
//   `sentinel openapi` (no server, no database) -> web/openapi.json -> src/api/schema.d.ts
// Both outputs are gitignored; `tsc --noEmit` then checks every API call against them.
// SENTINEL (env) names the sentinel executable; default: the repository's .venv.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(web, "..");
const sentinel = process.env.SENTINEL ?? resolve(repo, ".venv/bin/sentinel");
if (!process.env.SENTINEL && !existsSync(sentinel)) {
  console.error(`gen-api: ${sentinel} not found; run \`make install\` first (or set SENTINEL)`);
  process.exit(1);
}
const spec = resolve(web, "openapi.json");
execFileSync(sentinel, ["openapi", "--output", spec], { cwd: repo, stdio: "inherit" });
execFileSync(
  process.execPath,
  [resolve(web, "node_modules/openapi-typescript/bin/cli.js"), spec, "-o", resolve(web, "src/api/schema.d.ts")],
  { cwd: web, stdio: "inherit" },
);
