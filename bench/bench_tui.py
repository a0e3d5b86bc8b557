"""TUI at 100k patients: launch until Today shows, search per keystroke, peak memory.

Headless (``App.run_test``) on the bench demo store (built by ``bench_due.py``'s
store helper if missing). Prints the figures; SPEC's targets: interactive in
under 1 s, search results under 50 ms per keystroke, under 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import demo_store


async def measure(db: Path, keystrokes: int) -> dict:
    from caseload.store.keys import read_key_file
    from caseload.tui.app import CaseloadApp

    started = time.perf_counter()
    app = CaseloadApp(db, key=read_key_file(db.with_name(db.name + ".key")))
    out: dict = {}
    async with app.run_test(size=(100, 30)) as pilot:
        while app.screen.id != "today":
            await pilot.pause(0.005)
        out["interactive_s"] = time.perf_counter() - started
        while not app.screen.items:
            await pilot.pause(0.005)
        out["today_ready_s"] = time.perf_counter() - started
        await pilot.press("slash")
        while app.screen.id != "patients":
            await pilot.pause(0.005)
        screen = app.screen
        table = screen.query_one("#patient-table")
        while not table.row_count:
            await pilot.pause(0.005)
        words = ["smith", "garcia", "nguyen", "maria", "DEMO-00123", "617555", "zz", "lee"]
        times = []
        for n in range(keystrokes):
            text = words[n % len(words)][: 2 + n % 4]
            gen = screen.generation
            t0 = time.perf_counter()
            screen.query_one("#search").value = text
            screen.search()  # what the debounce timer calls: the search itself, no waiting
            while (
                screen.generation == gen
                or (app.workers._workers
                and any(w.group == "find" and not w.is_finished for w in app.workers._workers))
            ):
                await pilot.pause(0.001)
            await pilot.pause()
            times.append(time.perf_counter() - t0)
        out["search_ms_median"] = statistics.median(times) * 1000
        out["search_ms_max"] = max(times) * 1000
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--followups", type=int, default=10)
    ap.add_argument("--keystrokes", type=int, default=20)
    args = ap.parse_args()
    db = demo_store(args.patients, args.followups)
    r = asyncio.run(measure(db, args.keystrokes))
    print(f"TUI on {args.patients:,} patients ({db.name}):")
    print(f"  interactive (Today screen up):   {r['interactive_s']:.2f} s   (target < 1 s)")
    print(f"  Today's due list shown:          {r['today_ready_s']:.2f} s")
    print(
        f"  search per keystroke, median:    {r['search_ms_median']:.1f} ms"
        f"  (max {r['search_ms_max']:.1f} ms; target < 50 ms)"
    )
    print(f"  peak memory (max RSS):           {r['peak_rss_mb']:.0f} MB  (target < 300 MB)")


if __name__ == "__main__":
    main()
