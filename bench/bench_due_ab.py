"""`caseload due` side by side: this tree against another checkout, alternating, one run.

    git worktree add /tmp/old d04e6b5
    .venv/bin/python bench/bench_due_ab.py --other /tmp/old [--runs 7]

On a shared or drifting host the absolute figures move from hour to hour; the
same commands alternated between two trees in one run compare fairly. The other
tree is chosen with PYTHONPATH, so both run with this venv's packages; the stores
are bench_due.py's (built first if missing).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from bench_due import imported_store
from common import HERE, caseload_cmd, demo_store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--other", type=Path, required=True, help="a checkout of another revision")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    trees = {"other": args.other.resolve(), "this": HERE.parent}
    stores = {
        "imported": imported_store(100_000, 10, date.today()),
        "demo": demo_store(100_000, 10),
    }
    print(f"load: {os.getloadavg()[0]:.2f}; other: {trees['other']}")
    print("| store | format | other | this |\n|---|---|---|---|")
    for shape, db in stores.items():
        for fmt in ("json", "csv", "text"):
            cmd = caseload_cmd(db, "due", "--days", "7", "--format", fmt)
            times: dict[str, list[float]] = {name: [] for name in trees}
            for _ in range(args.runs):
                for name, tree in trees.items():
                    env = {**os.environ, "PYTHONPATH": str(tree)}
                    started = time.perf_counter()
                    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)  # fmt: skip
                    times[name].append(time.perf_counter() - started)
            other, this = (statistics.median(times[n]) for n in ("other", "this"))
            print(f"| {shape} | {fmt} | {other:.3f} s | **{this:.3f} s** |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
