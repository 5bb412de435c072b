// `make web`: install the locked dependencies, generate the typed API client, type-check
// and build into src/sentinel/web/static/ — each step only when its inputs changed:
//   npm ci           when package-lock.json changed (stamp: node_modules/.sentinel-lock)
//   the build        when web sources, the lock or the API's OpenAPI document changed
//                    (stamp: web/.built holds the hash of all of them)
// Uses only Node built-ins, so it runs before node_modules exists.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(web, "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const bin = (name) => join(web, "node_modules", ".bin", name);
const run = (cmd, args, extraEnv = {}) =>
  execFileSync(cmd, args, { cwd: web, stdio: "inherit", env: { ...process.env, ...extraEnv } });
const sha1 = (data) => createHash("sha1").update(data).digest("hex");

// 1. dependencies
const lock = readFileSync(join(web, "package-lock.json"));
const lockStamp = join(web, "node_modules", ".sentinel-lock");
if (!existsSync(lockStamp) || readFileSync(lockStamp, "utf8") !== sha1(lock)) {
  console.log("web: npm ci");
  run(npm, ["ci", "--no-audit", "--no-fund"], { PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1" });
  writeFileSync(lockStamp, sha1(lock));
}

// 2. the API's description, from the Python app (no server needed)
const sentinel = process.env.SENTINEL ?? join(repo, ".venv", "bin", "sentinel");
const openapi = execFileSync(sentinel, ["openapi"], { cwd: repo, maxBuffer: 64 * 1024 * 1024 });

// 3. everything the build reads
function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}
const inputs = [
  "package.json",
  "package-lock.json",
  "index.html",
  "vite.config.ts",
  "tsconfig.json",
  ...files(join(web, "src")).map((p) => relative(web, p)),
]
  .filter((p) => p !== join("src", "api", "schema.d.ts") && !/\.test\.tsx?$/.test(p) && !p.startsWith(join("src", "test")))
  .sort();
const hash = createHash("sha1");
for (const path of inputs) hash.update(path).update("\0").update(readFileSync(join(web, path)));
hash.update(openapi);
const digest = hash.digest("hex");

const stamp = join(web, ".built");
const index = join(repo, "src", "sentinel", "web", "static", "index.html");
if (existsSync(index) && existsSync(stamp) && readFileSync(stamp, "utf8") === digest) {
  console.log("web: UI up to date (src/sentinel/web/static)");
  process.exit(0);
}

// 4. build
writeFileSync(join(web, "openapi.json"), openapi);
run(bin("openapi-typescript"), ["openapi.json", "-o", join("src", "api", "schema.d.ts")]);
run(bin("tsc"), ["--noEmit"]);
run(bin("vite"), ["build"]);
writeFileSync(stamp, digest);
