"""Time `caseload import discharges FILE` of 10,000 generated HL7 v2 ADT^A03 messages.

    .venv/bin/python bench/bench_feeds.py [--messages 10000] [--runs 3] [--profile]

Target (issue 13): under 5 s wall for the whole command. Each run is a fresh store
holding the messages' patients (imported first with `caseload import patients`,
untimed); the messages are inpatient and emergency discharges of the last three
weeks, each with a visit number, written one file with `\\r` separators and MLLP
framing as an interface engine drops them. The re-run of the same file (every
visit found, nothing changed) is timed too.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import statistics
import subprocess
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from common import DATA, caseload_cmd


def adt(n: int, rnd: random.Random, today: date) -> str:
    day = today - timedelta(days=rnd.randint(1, 20))
    ts = day.strftime("%Y%m%d") + f"{rnd.randint(0, 23):02d}{rnd.randint(0, 59):02d}"
    admitted = (day - timedelta(days=rnd.randint(0, 9))).strftime("%Y%m%d") + "0800"
    klass = "E" if n % 4 == 0 else "I"
    pv1 = ["PV1", "1", klass, f"4W^{n % 40}^A^General Hospital"] + [""] * 15 + [f"V{n:07d}"]
    pv1 += [""] * 16 + ["01"] + [""] * 7 + [admitted, ts]
    segs = [
        f"MSH|^~\\&|ADT|GH|CASELOAD|CHW|{ts}||ADT^A03^ADT_A03|M{n}|P|2.5",
        f"EVN|A03|{ts}",
        f"PID|1||X{n}^^^GH^PI~MRN{n:07d}^^^GH^MR||Doe^Pat||19500101|F|||1 Main St^^Town^ST",
        "|".join(pv1),
        f"DG1|1||I50.9^Heart failure^I10|{rnd.choice(('Heart failure', 'COPD', 'Sepsis'))}",
    ]
    return "\x0b" + "\r".join(segs) + "\r\x1c\r"


def make_files(work: Path, n: int, seed: int = 13) -> tuple[Path, Path]:
    rnd = random.Random(seed)
    today = date.today()
    people = work / "patients.csv"
    with people.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "given_name", "family_name", "risk"])
        for i in range(n):
            w.writerow([f"MRN{i:07d}", "Pat", f"Doe{i}", rnd.choice(("high", "medium", "low"))])
    feed = work / "adt.hl7"
    feed.write_text("".join(adt(i, rnd, today) for i in range(n)), encoding="utf-8")
    return people, feed


def fresh(work: Path, people: Path) -> Path:
    db = work / "caseload.db"
    for p in work.glob("caseload.db*"):
        p.unlink()
    subprocess.run(caseload_cmd(db, "init"), check=True, capture_output=True)
    subprocess.run(caseload_cmd(db, "import", "patients", str(people)), check=True,
                   capture_output=True)  # fmt: skip
    return db


def timed(cmd: list[str], cpu: list[float]) -> float:
    """Wall seconds of ``cmd``; its CPU seconds (user + system) appended to ``cpu``: on a
    shared machine the wall figure carries the other processes' load, the CPU one not."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one import")
    args = ap.parse_args()
    DATA.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        work = Path(tmp)
        people, feed = make_files(work, args.messages)
        first, again, cpu1, cpu2 = [], [], [], []
        for _ in range(args.runs):
            db = fresh(work, people)
            first.append(timed(caseload_cmd(db, "import", "discharges", str(feed)), cpu1))
            again.append(timed(caseload_cmd(db, "import", "discharges", str(feed)), cpu2))
        out = subprocess.run(caseload_cmd(db, "followups", "list", "--format", "csv"),
                             check=True, capture_output=True, text=True).stdout  # fmt: skip
        made = out.count("\n") - 1
        if args.profile:
            db = fresh(work, people)
            prof = work / "feed.prof"
            cmd = caseload_cmd(db, "import", "discharges", str(feed))
            cmd[1:1] = ["-m", "cProfile", "-o", str(prof)]
            subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
            import pstats

            pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(25)
        size = feed.stat().st_size / 1e6
    a, b = statistics.median(first), statistics.median(again)
    print(f"{args.messages:,} ADT^A03 messages, {size:.1f} MB, {made:,} follow-ups made; "
          f"{args.runs} runs, each on a fresh store")  # fmt: skip
    c1, c2 = statistics.median(cpu1), statistics.median(cpu2)
    print(f"import discharges  : median {a:.3f} s wall (min {min(first):.3f}, max "
          f"{max(first):.3f}), {c1:.3f} s CPU")  # fmt: skip
    print(f"the same file again: median {b:.3f} s wall (min {min(again):.3f}, max "
          f"{max(again):.3f}), {c2:.3f} s CPU")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"target < 5 s: {'meets' if a < 5 else 'MISSES'} (wall), "
          f"{'meets' if c1 < 5 else 'MISSES'} (CPU)")  # fmt: skip


if __name__ == "__main__":
    main()
