"""Shared by the benchmark scripts: build (or reuse) a demo store, run and time commands."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"


def program() -> list[str]:
    """The `caseload` program as cron runs it: the installed script beside this Python
    (`python -m caseload` where there is none; runpy adds about 7 ms)."""
    script = Path(sys.executable).with_name("caseload")
    return [str(script)] if script.exists() else [sys.executable, "-m", "caseload"]


def caseload_cmd(db: Path, *args: str) -> list[str]:
    key = db.with_name(db.name + ".key")
    return [*program(), "--db", str(db), "--key-file", str(key), *args]


def demo_store(patients: int, followups: int, seed: int = 7, *, fresh: bool = False) -> Path:
    """A demo store of the given size under bench/.data, built once and reused."""
    DATA.mkdir(exist_ok=True)
    db = DATA / f"demo-{patients}x{followups}-s{seed}.db"
    key = db.with_name(db.name + ".key")
    if fresh or not (db.exists() and key.exists()):
        for p in (db, key, *(db.with_name(db.name + s) for s in ("-wal", "-shm"))):
            p.unlink(missing_ok=True)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "caseload",
                "--db",
                str(db),
                "demo",
                "--patients",
                str(patients),
                "--followups",
                str(followups),
                "--seed",
                str(seed),
                "--no-open",
            ],
            check=True,
            stdin=subprocess.DEVNULL,
        )
        print(f"built {db.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return db


def time_runs(cmd: list[str], runs: int, *, env: dict | None = None) -> list[float]:
    """Wall-clock seconds of ``runs`` runs of ``cmd`` (stdout discarded)."""
    times = []
    full_env = {**os.environ, **(env or {})}
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            cmd, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=full_env
        )
        times.append(time.perf_counter() - started)
    return times


def summary(label: str, times: list[float]) -> str:
    return (
        f"{label}: median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
        f"max {max(times):.3f} s over {len(times)} runs"
    )
