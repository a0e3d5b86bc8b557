"""Time the whole `caseload report` process (the monthly report) on the 100k-patient demo.

    .venv/bin/python bench/bench_report.py [--patients 100000] [--followups 10] [--runs 5]
                                           [--month YYYY-MM] [--format text]

The store is the one `caseload demo --patients 100000 --followups 10 --seed 7` builds
(bench/common.py builds it once under bench/.data). Each run is a whole process
(start-up, key, queries, output to /dev/null); the median of --runs after one warm-up.
Target (issue 12): under 2 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from common import caseload_cmd, demo_store, summary, time_runs

TARGET_S = 2.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--followups", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--month", default=None, help="YYYY-MM (default: this month)")
    ap.add_argument("--format", default="text")
    args = ap.parse_args()
    db = demo_store(args.patients, args.followups)
    cmd = caseload_cmd(db, "report", "--format", args.format)
    if args.month:
        cmd += ["--month", args.month]
    time_runs(cmd, 1)  # warm-up: the page cache, as on a coordinator's second run
    times = time_runs(cmd, args.runs)
    print(summary(f"report {args.format} {args.month or 'this month'}", times))
    ok = statistics.median(times) < TARGET_S
    print(f"target {TARGET_S} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
