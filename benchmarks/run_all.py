"""Run every benchmarks/bench_*.py in turn (`make bench`), one process each.

    .venv/bin/python benchmarks/run_all.py            # all of them
    .venv/bin/python benchmarks/run_all.py reads      # only those whose name contains "reads"

Convention for the scripts: exit 0 when the figure meets its SPEC target, 1 when it misses
it, anything else when the benchmark itself failed. Each script's output is shown as it
runs and kept in benchmarks/results/<time>-<name>.txt (ignored by git). This exits non-zero
only when a benchmark failed to run; a missed target is reported, not an error, because
figures on a shared machine are measurements, not tests.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTCOMES = {0: "meets target", 1: "misses target"}


def discover(filters: list[str]) -> list[Path]:
    scripts = sorted(HERE.glob("bench_*.py"))
    if filters:
        scripts = [s for s in scripts if any(f in s.stem for f in filters)]
    return scripts


def run_one(script: Path, results: Path) -> int:
    """Run one benchmark, echoing and saving its output; returns its exit code."""
    print(f"\n{'=' * 78}\n{script.name}\n{'=' * 78}", flush=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out_path = results / f"{stamp}-{script.stem}.txt"
    with out_path.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(script)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=HERE.parent,
        )
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            out.write(line)
        return process.wait()


def main(argv: list[str]) -> int:
    scripts = discover(argv)
    if not scripts:
        print(f"no benchmarks/bench_*.py matched {argv}", file=sys.stderr)
        return 2
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    outcomes: list[tuple[str, int, float]] = []
    for script in scripts:
        started = time.monotonic()
        code = run_one(script, results)
        outcomes.append((script.name, code, time.monotonic() - started))
    print(f"\n{'=' * 78}\nSummary (outputs in {results})")
    for name, code, seconds in outcomes:
        outcome = OUTCOMES.get(code, f"FAILED (exit {code})")
        print(f"  {name:40} {outcome:24} {seconds:6.0f} s")
    return 1 if any(code not in OUTCOMES for _, code, _ in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
