"""The screenshots in docs/tui.md, made by the app itself on a fixed demo store.

Builds a 40-patient demo store (seed 3) as of 2026-11-23 in a temp dir, drives
the app headless at 100x30 and saves SVGs as docs/tui-*.svg. Times on screen are
shown in UTC so the pictures do not depend on the machine's zone.
Run: .venv/bin/python bench/tui_screenshots.py
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DAY = date(2026, 11, 23)
SIZE = (100, 30)


async def until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app never got there")
        await asyncio.sleep(0.01)


async def shoot(db: Path) -> list[Path]:
    from caseload.store.keys import read_key_file
    from caseload.tui.app import CaseloadApp

    app = CaseloadApp(db, key=read_key_file(db.with_name(db.name + ".key")), today=DAY)
    saved = []

    async def save(name: str) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.3)
        app.save_screenshot(filename=f"tui-{name}.svg", path=str(DOCS))
        saved.append(DOCS / f"tui-{name}.svg")

    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.screen.id == "today" and app.screen.filled)
        await until(lambda: app.screen.query_one("#pending").row_count > 0)
        await save("today")
        await pilot.press("slash")
        await until(lambda: app.screen.id == "patients")
        await pilot.press(*"gar")
        await until(lambda: app.screen.answered == app.screen.generation)
        await pilot.press("enter")  # to the results: no blinking cursor in the picture
        await save("patients")
        await pilot.press("enter")
        await until(lambda: app.screen.id == "patient" and app.screen.data)
        await save("patient")
        await pilot.press("c")
        await until(lambda: app.screen.__class__.__name__ == "ContactForm")
        await pilot.press("down")  # leave the first field's caret out of the picture
        await save("contact-form")
    return saved


def main() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        env = {**os.environ, "CASELOAD_CONFIG": str(Path(tmp) / "config.toml")}
        os.environ.update(env)
        subprocess.run(
            [sys.executable, "-m", "caseload", "--db", str(db), "demo", "--patients", "40",
             "--seed", "3", "--today", DAY.isoformat(), "--no-open"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        for path in asyncio.run(shoot(db)):
            print(path.relative_to(ROOT))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
