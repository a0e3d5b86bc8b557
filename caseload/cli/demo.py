"""`caseload demo`: a store full of synthetic patients, to try caseload without real data.

The demo store lives in a folder of its own under the user data dir, with its
key in a file beside it, so it never touches the user's real store: only an
explicit ``--db`` (or CASELOAD_DB) moves it, and even then an existing file is
only ever replaced when it is a demo store.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import typer

from caseload.cli.common import State, parse_date_option, say
from caseload.labels import plural


def _chosen_db(ctx: typer.Context) -> Path | None:
    """The store the user named with --db or CASELOAD_DB, else None (the root fills a default)."""
    given = ctx.find_root().params.get("db")
    if given is not None:
        return Path(given).expanduser()
    env = os.environ.get("CASELOAD_DB")
    return Path(env).expanduser() if env else None


def _build(db: Path, key_file: Path, *, patients: int, seed: int, followups: int, today) -> dict:
    from caseload.demo import generator, store

    def progress(done: int, total: int) -> None:
        if total > generator.CHUNK:
            say(f"  {done:,} of {total:,} patients written")

    say(f"Building a demo store of {patients:,} synthetic patients at {db} …")
    return store.build(
        db,
        key_file,
        patients=patients,
        seed=seed,
        followups=followups,
        today=today,
        progress=progress,
    )


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(
        plural(counts[k], word)
        for k, word in (
            ("patient", "patient"),
            ("followup", "follow-up"),
            ("contact", "contact"),
            ("care_plan", "care plan"),
            ("transition", "hospital discharge"),
            ("referral", "referral"),
        )
    )


def demo(
    ctx: typer.Context,
    patients: int = typer.Option(60, "--patients", min=1, help="How many patients to make."),
    seed: int = typer.Option(
        7, "--seed", help="The same seed on the same day makes the same store."
    ),
    followups: int = typer.Option(
        4, "--followups", min=0, max=100, help="Follow-ups per patient (besides discharges)."
    ),
    fresh: bool = typer.Option(False, "--fresh", help="Delete the demo store and build it again."),
    no_open: bool = typer.Option(False, "--no-open", help="Do not open the TUI afterwards."),
    today: str = typer.Option(
        None, "--today", help="Build it as if today were this date (default: today)."
    ),
) -> None:
    """Make a store full of synthetic patients (apart from your real store) and open it."""
    from caseload import paths
    from caseload.demo import store as demo_store
    from caseload.services.common import today as today_fn

    day = parse_date_option(today, "today") or today_fn()
    chosen = _chosen_db(ctx)
    db = Path(os.path.abspath(chosen if chosen is not None else paths.demo_db()))
    key_file = paths.key_file_beside(db)
    reuse = demo_store.reuse_or_clear(db, key_file, own_folder=chosen is None, fresh=fresh)
    if reuse:
        counts = demo_store.table_counts(db, key_file)
        say(f"Using the demo store already at {db} (add --fresh to build a new one).")
        say(f"It holds {_summary(counts)}.")
    else:
        counts = _build(db, key_file, patients=patients, seed=seed, followups=followups, today=day)
        say(f"Made a demo store at {db} (seed {seed}):")
        say(f"  {_summary(counts)}.")
        say(f"Its key is in {key_file}. Every name and number in it is made up.")
    opener = f"caseload --db {shlex.quote(str(db))} --key-file {shlex.quote(str(key_file))}"
    say("Open it with:")
    say(f"  {opener}")
    say(f"  {opener} patients list")
    if no_open or not _on_terminal():
        return
    from caseload.cli.setup import open_tui

    open_tui(State(db=db, key_file=key_file))


def _on_terminal() -> bool:
    import sys

    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
