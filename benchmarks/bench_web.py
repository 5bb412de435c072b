"""The web UI: built bundle size and time to first render in headless Chromium.

    .venv/bin/python benchmarks/bench_web.py                # 7 runs of each page
    .venv/bin/python benchmarks/bench_web.py --runs 11

Needs the built UI (`make web`), Node.js and web/node_modules (Playwright drives Debian's
/usr/bin/chromium, or $CHROMIUM). Starts a real `sentinel serve` (SQLite, temporary data
dir), fills it with `sentinel demo --once --history 15m` (the shop's services and the
inventory's 5,000-span catalog.reindex trace), then benchmarks/web_render.mjs opens each
page in a fresh browser context (cold HTTP cache, already logged in) and notes, from
navigation start, when the first data-bearing element appears:

- overview: the first row of the Services table (the page's first API answer rendered);
- trace: the first waterfall row of the 5,000-span trace (~7 MB of JSON from the API).

Bundle size: every JS and CSS file the build wrote, gzip-compressed (level 9, as a server
or CDN would send them), in total and for what the first page load fetches (index.html,
its entry script, the chunks it preloads and its stylesheets; each page's own chunk loads
when the page is opened). Budget (the issue names no target): first render of the
overview under 1 s and of the 5,000-span trace under 3 s (medians), initial page under
150 kB gzip. Exit 0 within budget, 1 over it, 2 when it could not run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from harness import ADMIN_EMAIL, running_server

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "src" / "sentinel" / "web" / "static"
WEB = ROOT / "web"
BUDGET = {"overview_ms": 1000.0, "trace_ms": 3000.0, "initial_gzip_kb": 150.0}


def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def bundle_sizes() -> dict[str, Any]:
    """Raw and gzip bytes of every asset, and of the ones the first page load fetches."""
    assets = sorted(p for p in (STATIC / "assets").iterdir() if p.suffix in (".js", ".css"))
    index = (STATIC / "index.html").read_text()
    referenced = set(re.findall(r'(?:src|href)="/assets/([^"]+)"', index))
    initial = [p for p in assets if p.name in referenced]
    return {
        "assets": [(p.name, p.stat().st_size, gzip_size(p)) for p in assets],
        "total_raw": sum(p.stat().st_size for p in assets),
        "total_gzip": sum(gzip_size(p) for p in assets),
        "initial_files": [p.name for p in initial] + ["index.html"],
        "initial_gzip": sum(gzip_size(p) for p in initial) + gzip_size(STATIC / "index.html"),
    }


def run_demo(url: str, key: str) -> None:
    sentinel = Path(sys.executable).with_name("sentinel")
    command = [str(sentinel), "demo", "--once", "--history", "15m", "--url", url, "--api-key", key]
    subprocess.run(command, check=True, capture_output=True, timeout=600)


def reindex_trace(url: str, token: str) -> str:
    answer = httpx.get(
        f"{url}/api/tracing/traces",
        params={"service": "inventory", "operation": "catalog.reindex", "limit": 1},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    answer.raise_for_status()
    items = answer.json()["items"]
    if not items or items[0]["span_count"] != 5000:
        raise RuntimeError(f"the demo's 5,000-span trace is missing: {items}")
    trace_id: str = items[0]["trace_id"]
    return trace_id


def browser_runs(url: str, token: str, trace_id: str, runs: int) -> dict[str, list[dict[str, Any]]]:
    options = {"url": url, "token": token, "email": ADMIN_EMAIL, "traceId": trace_id, "runs": runs}
    node = shutil.which("node") or "node"
    done = subprocess.run(
        [node, str(Path(__file__).with_name("web_render.mjs")), json.dumps(options)],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    result: dict[str, list[dict[str, Any]]] = json.loads(done.stdout)
    return result


def summary(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):7.0f} ms   "
        f"min {min(values):6.0f}   max {max(values):6.0f}   (n={len(values)})"
    )


def api_ms(run: dict[str, Any], fragment: str, key: str = "end") -> float | None:
    """When the page's request to `fragment` was sent ("start") or answered ("end")."""
    for call in run["api"]:
        if fragment in call["url"]:
            return float(call[key])
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not (STATIC / "index.html").exists():
        print("the UI is not built: run `make web` first", file=sys.stderr)
        return 2
    if not (WEB / "node_modules" / "@playwright" / "test").exists():
        print("web/node_modules is missing: run `make web` (npm ci) first", file=sys.stderr)
        return 2

    sizes = bundle_sizes()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print("\nbundle (src/sentinel/web/static/assets):")
    for name, raw, packed in sizes["assets"]:
        print(f"  {name:42} {raw / 1024:8.1f} kB   gzip {packed / 1024:7.1f} kB")
    total_raw, total_gzip = sizes["total_raw"] / 1024, sizes["total_gzip"] / 1024
    print(f"  {'all JS + CSS':42} {total_raw:8.1f} kB   gzip {total_gzip:7.1f} kB")
    initial = ", ".join(sizes["initial_files"])
    print(f"  initial page ({initial}): gzip {sizes['initial_gzip'] / 1024:.1f} kB")

    with running_server() as server:
        token = server.admin_token()
        run_demo(server.url, server.create_api_key("bench-demo", ["admin"]))
        trace_id = reindex_trace(server.url, token)
        print(f"\nserver {server.url}, demo data loaded; 5,000-span trace {trace_id}")
        runs = browser_runs(server.url, token, trace_id, args.runs)

    overview = [r["firstRenderMs"] for r in runs["overview"]]
    trace = [r["firstRenderMs"] for r in runs["trace"]]
    trace_sent = [v for r in runs["trace"] if (v := api_ms(r, "/traces/", "start")) is not None]
    trace_api = [v for r in runs["trace"] if (v := api_ms(r, "/traces/")) is not None]
    print("\ntime to first render, from navigation start (fresh context, cold cache):")
    print(f"  overview (first services row)        {summary(overview)}")
    print(f"  5,000-span trace (first span row)    {summary(trace)}")
    if trace_api and trace_sent:
        print(f"    the trace's API request sent at     {summary(trace_sent)}")
        print(f"    its answer fully received at        {summary(trace_api)}")
    fcp = [r["firstContentfulPaintMs"] for r in runs["overview"] if r["firstContentfulPaintMs"]]
    if fcp:
        print(f"  overview first contentful paint      {summary(fcp)}")
    rows = max(r["rowsInDom"] for r in runs["trace"])
    print(f"  waterfall rows in the DOM at most: {rows} of 5,000 (virtualised)")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")

    within = (
        statistics.median(overview) <= BUDGET["overview_ms"]
        and statistics.median(trace) <= BUDGET["trace_ms"]
        and sizes["initial_gzip"] / 1024 <= BUDGET["initial_gzip_kb"]
    )
    print(f"\nbudget {BUDGET}: {'met' if within else 'missed'}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
