"""Time the whole `caseload due` process on 100k patients and 1M follow-ups, in two shapes.

    .venv/bin/python bench/bench_due.py [--shape demo|imported] [--patients 100000]
                                        [--followups 10] [--runs 9] [--days 7]
                                        [--overdue-days N] [--profile]

`demo`: the store `caseload demo` builds (one current follow-up per patient, the rest
history). `imported`: a store built the way a program arrives, through
`caseload import patients` and `caseload import followups` of generated CSVs: ten
follow-ups per patient on distinct due dates spread over -400..+120 days from the
run date, `done` when due more than 30 days ago, open otherwise, so a month of open
follow-ups is overdue (a long list, as real imported data makes it).

Each format is timed as a whole process (start-up, key, query, output to
/dev/null), the median of --runs after one warm-up run; the list length is
printed beside the time. Target (SPEC): under 0.5 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta

from common import DATA, caseload_cmd, demo_store, program, summary, time_runs

KINDS = ("call", "visit", "med_review", "screening", "appointment", "other")


def imported_store(patients: int, per_patient: int, day: date, *, fresh: bool = False):
    """A store built through `caseload import` of generated CSVs, once per run date."""
    DATA.mkdir(exist_ok=True)
    db = DATA / f"imported-{patients}x{per_patient}-{day.isoformat()}.db"
    key = db.with_name(db.name + ".key")
    if not fresh and db.exists() and key.exists():
        return db
    for p in (db, key, *(db.with_name(db.name + s) for s in ("-wal", "-shm"))):
        p.unlink(missing_ok=True)
    rng = random.Random(7)
    pcsv = DATA / f"imported-{patients}-patients.csv"
    fcsv = DATA / f"imported-{patients}x{per_patient}-{day.isoformat()}-followups.csv"
    with pcsv.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "given_name", "family_name", "phone", "language", "risk"])
        for n in range(patients):
            w.writerow(
                [
                    f"P{n:06d}",
                    rng.choice(("Ana", "Wei", "Fadumo", "John", "Maria", "Kofi", "Olga")),
                    rng.choice(("Silva", "Chen", "Warsame", "Smith", "Garcia", "Mensah")),
                    f"555-{n % 10000:04d}",
                    rng.choice(("en", "es", "so", "zh", "")),
                    rng.choice(("high", "medium", "medium", "low", "low")),
                ]
            )
    with fcsv.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["patient_external_id", "title", "kind", "due_on", "status", "priority"])
        for n in range(patients):
            for offset in rng.sample(range(-400, 121), per_patient):
                kind = rng.choice(KINDS)
                w.writerow(
                    [
                        f"P{n:06d}",
                        f"{kind.replace('_', ' ').capitalize()} {offset % 12 + 1}",
                        kind,
                        (day + timedelta(days=offset)).isoformat(),
                        "done" if offset < -30 else "open",
                        rng.choice((1, 2, 3, 3, 3, 4)),
                    ]
                )
    # `init` with a --key-file that does not exist yet writes the new key there.
    for args in (("init",), ("import", "patients", str(pcsv)), ("import", "followups", str(fcsv))):
        started = time.perf_counter()
        subprocess.run(caseload_cmd(db, *args), check=True, stdin=subprocess.DEVNULL)
        print(f"{' '.join(args[:2])}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return db


def list_length(cmd: list[str]) -> tuple[int, dict, str]:
    run = subprocess.run(cmd, check=True, capture_output=True, text=True)
    items = json.loads(run.stdout)
    statuses = {s: sum(i["status"] == s for i in items) for s in ("overdue", "due", "upcoming")}
    return len(items), statuses, run.stderr.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", choices=("demo", "imported"), default="demo")
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--followups", type=int, default=10)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--days", type=int, default=7, help="due --days (look-ahead)")
    ap.add_argument("--overdue-days", type=int, default=None, help="due --overdue-days")
    ap.add_argument("--fresh", action="store_true", help="rebuild the store")
    ap.add_argument("--profile", action="store_true", help="show import time and a cProfile")
    args = ap.parse_args()

    if args.shape == "demo":
        db = demo_store(args.patients, args.followups, fresh=args.fresh)
    else:
        db = imported_store(args.patients, args.followups, date.today(), fresh=args.fresh)
    due_args = ["due", "--days", str(args.days)]
    if args.overdue_days is not None:
        due_args += ["--overdue-days", str(args.overdue_days)]
    size = db.stat().st_size / 1e6
    print(f"store ({args.shape}): {args.patients:,} patients x {args.followups} ({size:.0f} MB)")
    print(f"load: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    n, statuses, note = list_length(caseload_cmd(db, *due_args, "--format", "json"))
    print(f"{' '.join(due_args)}: {n:,} items {statuses}" + (f"; stderr: {note}" if note else ""))
    medians = {}
    for fmt in ("json", "csv", "text"):
        cmd = caseload_cmd(db, *due_args, "--format", fmt)
        time_runs(cmd, 1)  # warm the page cache once
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        times = time_runs(cmd, args.runs)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # On a shared machine the wall time carries the others' load; CPU time does not.
        cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / args.runs
        medians[fmt] = statistics.median(times)
        print(summary(f"due --format {fmt} ({n:,} items)", times) + f"; CPU {cpu:.3f} s a run")
    ok = medians["json"] < 0.5 and medians["csv"] < 0.5 and medians["text"] <= 2 * medians["json"]
    print(f"target json/csv < 0.5 s, text <= 2x json: {'meets' if ok else 'MISSES'}")
    if args.profile:
        profile(caseload_cmd(db, *due_args, "--format", "json"))


def profile(cmd: list[str]) -> None:
    args = cmd[len(program()) :]
    imp = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "caseload", *args],
        capture_output=True,
        text=True,
    )
    lines = [ln for ln in imp.stderr.splitlines() if ln.startswith("import time:")]
    top = sorted(lines[1:], key=lambda ln: int(ln.split("|")[1]), reverse=True)[:12]
    print("slowest imports (cumulative µs):")
    print("\n".join(top))
    prof = subprocess.run(
        [sys.executable, "-m", "cProfile", "-s", "cumulative", "-m", "caseload", *args],
        capture_output=True,
        text=True,
    )
    body = prof.stdout[prof.stdout.find("Ordered by") :]
    print("\n".join(body.splitlines()[:30]))


if __name__ == "__main__":
    main()
