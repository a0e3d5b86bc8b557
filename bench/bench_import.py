"""Time `caseload import patients FILE` against `sqlite-utils insert` of the same 100k-row CSV.

    .venv/bin/python bench/bench_import.py [--patients 100000] [--runs 5] [--profile]

Target (SPEC): under 2 s wall for the whole command, and at least 2.5x faster than
`sqlite-utils insert db.db patients FILE --csv`, measured side by side (runs
alternate, each into a fresh store). sqlite-utils is a benchmark-only tool:
install it with `.venv/bin/pip install sqlite-utils`.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DATA, caseload_cmd

GIVEN = "Amina Bob Chen Dolores Emeka Fatima Grace Hiro Ines Jamal Kofi Lena Mateo Nia Omar Priya"
FAMILY = "Okafor Smith Nguyen García Jones Müller Rossi Kim Haddad Silva Kowalski Dubois Ito Patel"
HEADER = [
    "MRN", "First Name", "Last Name", "DOB", "Sex", "Phone Number", "Email", "Address",
    "Language", "risk", "programs", "enrolled_on", "may_text", "notes",
]  # fmt: skip


def make_csv(path: Path, n: int, seed: int = 11) -> None:
    rnd = random.Random(seed)
    given, family = GIVEN.split(), FAMILY.split()
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i in range(n):
            g, fam = rnd.choice(given), rnd.choice(family)
            w.writerow(
                [
                    f"MRN{i:07d}", g, fam,
                    f"{rnd.randint(1935, 2005)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                    rnd.choice(("female", "male")),
                    f"0{rnd.randint(100000000, 999999999)}",
                    f"{g.lower()}.{i}@example.org",
                    f"{rnd.randint(1, 999)} Main Street, Springfield",
                    rnd.choice(("en", "es", "vi", "ar")),
                    rnd.choice(("high", "medium", "low")),
                    rnd.choice(("diabetes", "chf;diabetes", "bh", "sud;bh", "")),
                    f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                    rnd.choice(("yes", "no")),
                    rnd.choice(("", "prefers mornings", "lives with daughter; call her first")),
                ]
            )  # fmt: skip


def fresh_caseload(work: Path) -> Path:
    db = work / "caseload.db"
    for p in work.glob("caseload.db*"):
        p.unlink()
    subprocess.run(caseload_cmd(db, "init"), check=True, capture_output=True)
    return db


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one import")
    args = ap.parse_args()

    su = shutil.which("sqlite-utils") or str(Path(sys.executable).with_name("sqlite-utils"))
    if not Path(su).exists():
        sys.exit("sqlite-utils is missing: install it with `.venv/bin/pip install sqlite-utils`")
    DATA.mkdir(exist_ok=True)
    source = DATA / f"patients-{args.patients}.csv"
    if not source.exists():
        make_csv(source, args.patients)
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        work = Path(tmp)
        ours, theirs = [], []
        for _ in range(args.runs):
            db = fresh_caseload(work)
            ours.append(timed(caseload_cmd(db, "import", "patients", str(source))))
            plain = work / "plain.db"
            plain.unlink(missing_ok=True)
            theirs.append(timed([su, "insert", str(plain), "patients", str(source), "--csv"]))
        db = fresh_caseload(work)
        subprocess.run(caseload_cmd(db, "import", "patients", str(source)), check=True)
        if args.profile:
            db = fresh_caseload(work)
            prof = work / "import.prof"
            cmd = caseload_cmd(db, "import", "patients", str(source))
            cmd[1:1] = ["-m", "cProfile", "-o", str(prof)]
            subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
            import pstats

            pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(25)
    a, b = statistics.median(ours), statistics.median(theirs)
    print(
        f"{args.patients:,} patients, {source.stat().st_size / 1e6:.1f} MB CSV, {args.runs} runs each"
    )
    print(f"caseload import patients : median {a:.3f} s (min {min(ours):.3f}, max {max(ours):.3f})")
    print(
        f"sqlite-utils insert --csv: median {b:.3f} s (min {min(theirs):.3f}, max {max(theirs):.3f})"
    )
    print(f"ratio: caseload is {b / a:.2f}x faster")
    print(f"target < 2 s: {'meets' if a < 2 else 'MISSES'}; target >= 2.5x: "
          f"{'meets' if b / a >= 2.5 else 'MISSES'}")  # fmt: skip


if __name__ == "__main__":
    main()
