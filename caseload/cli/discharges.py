"""`caseload import discharges`: the feed import's options, for cli/transfer.py."""

from __future__ import annotations

from pathlib import Path

import typer

from caseload.cli.common import say, state


def run(ctx: typer.Context, file: str | None, *, folder: Path | None, add_unknown: bool,
        allow_old: bool, skip_invalid: bool, rejects: Path | None, dry_run: bool,
        progress) -> None:  # fmt: skip
    from caseload.errors import UsageError
    from caseload.io.discharges import folder as watched
    from caseload.io.discharges import run as feed
    from caseload.services import schedule

    if (file is None) == (folder is None):
        raise UsageError("import discharges takes a FILE or --from-folder DIR (one of them)")
    st = state(ctx)
    cfg = st.config()
    opts = feed.Options(
        add_unknown=add_unknown, skip_invalid=skip_invalid, rejects=rejects, dry_run=dry_run,
        allow_old=allow_old, max_age_days=cfg.discharge_max_age_days,
        holidays=schedule.parse_holidays(cfg.holidays),
    )  # fmt: skip

    def one(path):
        bar, update = progress()
        if bar is not None:
            bar.start()
        try:
            return feed.run(lambda: st.session(write=True), path, opts, update)
        finally:
            if bar is not None:
                bar.stop()

    if folder is not None:
        if dry_run or skip_invalid:
            raise UsageError("--from-folder imports each file whole: no --dry-run/--skip-invalid")
        if watched.run(folder, one, say):
            raise typer.Exit(1)
        return
    report = one(file)
    for line in report.lines():
        say(line)
    if report.failed and not skip_invalid:
        raise typer.Exit(1)
