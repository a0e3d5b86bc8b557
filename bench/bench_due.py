"""Time the whole `caseload due --format json` process on 100k patients and 1M follow-ups.

    .venv/bin/python bench/bench_due.py [--patients 100000] [--followups 10] [--runs 9]

Target (SPEC): under 0.5 s median for the whole process on the 2-core machine.
Pass --profile to print where the time goes (imports and the query).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from common import caseload_cmd, demo_store, summary, time_runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--followups", type=int, default=10)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--fresh", action="store_true", help="rebuild the demo store")
    ap.add_argument("--profile", action="store_true", help="show import time and a cProfile")
    args = ap.parse_args()

    db = demo_store(args.patients, args.followups, fresh=args.fresh)
    cmd = caseload_cmd(db, "due", "--format", "json")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    items = json.loads(out)
    statuses = {s: sum(i["status"] == s for i in items) for s in ("overdue", "due", "upcoming")}
    time_runs(cmd, 1)  # warm the page cache once
    times = time_runs(cmd, args.runs)
    print(
        f"store: {args.patients:,} patients x {args.followups} follow-ups ({db.stat().st_size / 1e6:.0f} MB)"
    )
    print(f"due list: {len(items):,} items {statuses}")
    print(summary("caseload due --format json", times))
    verdict = "meets" if sorted(times)[len(times) // 2] < 0.5 else "MISSES"
    print(f"target < 0.5 s median: {verdict}")
    for fmt in ("text", "csv"):
        print(
            summary(
                f"caseload due --format {fmt}",
                time_runs(caseload_cmd(db, "due", "--format", fmt), 3),
            )
        )
    if args.profile:
        imp = subprocess.run(
            [sys.executable, "-X", "importtime", *cmd[1:]], capture_output=True, text=True
        )
        lines = [ln for ln in imp.stderr.splitlines() if ln.startswith("import time:")]
        top = sorted(lines[1:], key=lambda ln: int(ln.split("|")[1]), reverse=True)[:12]
        print("slowest imports (cumulative µs):")
        print("\n".join(top))
        prof = subprocess.run(
            [sys.executable, "-m", "cProfile", "-s", "cumulative", *cmd[1:]],
            capture_output=True,
            text=True,
        )
        body = prof.stdout[prof.stdout.find("Ordered by") :]
        print("\n".join(body.splitlines()[:30]))


if __name__ == "__main__":
    main()
