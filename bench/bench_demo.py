"""Time the whole `caseload demo` process: 100k patients with 10 follow-ups each, encrypted.

    .venv/bin/python bench/bench_demo.py [--patients 100000] [--followups 10] [--runs 1]

Target (the issue): "well under a minute" on the 2-core machine. Each run builds
a fresh store in a temporary folder through the real command
(`python -m caseload --db DIR/demo.db demo … --no-open`), then reads the counts
back with the key file the demo wrote beside the store.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(folder: Path, patients: int, followups: int, seed: int) -> tuple[float, Path]:
    db = folder / "demo.db"
    cmd = [
        sys.executable, "-m", "caseload", "--db", str(db), "demo",
        "--patients", str(patients), "--followups", str(followups), "--seed", str(seed),
        "--no-open",
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, db


def counts(db: Path) -> dict[str, int]:
    """Row counts through a keyed connection (the key file is beside the store)."""
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    conn = connect(db, read_key_file(db.with_name(db.name + ".key")))
    try:
        tables = ("patient", "followup", "contact", "care_plan", "goal", "transition", "referral")
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--followups", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()

    times = []
    for i in range(args.runs):
        folder = Path(tempfile.mkdtemp(prefix="caseload-bench-demo-"))
        try:
            seconds, db = run_once(folder, args.patients, args.followups, args.seed)
            times.append(seconds)
            if i == args.runs - 1:
                n = counts(db)
                size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        f"caseload demo --patients {args.patients} --followups {args.followups}: "
        f"median {statistics.median(times):.1f} s wall over {len(times)} run(s) "
        f"(min {min(times):.1f} s, max {max(times):.1f} s)"
    )
    print("rows: " + ", ".join(f"{t} {c:,}" for t, c in n.items()))
    print(f"store size (with key file): {size / 1e6:.0f} MB")
    verdict = "meets" if statistics.median(times) < 30 else "MISSES"
    print(f"target well under a minute (< 30 s): {verdict}")


if __name__ == "__main__":
    main()
