"""`caseload due` without typer: the cron path's command line, read by hand.

A plain `caseload due …` spends most of its start-up in typer (it imports pydantic
and builds a TypeAdapter for every parameter), for a command whose options are a
handful of words. So the launcher asks this module first: ``parse`` recognises the
simple command lines that typer would run as `due`, and declines (None) anything
else (help, version, a mistyped option or value, another command), which then
goes to typer and gets its exact usage message. It may only decline, never differ.

Nothing here imports typer, click, pydantic, rich or SQLAlchemy, not even
indirectly; ``run`` is the one body of the command, which cli/due.py calls too.
"""

from __future__ import annotations

import errno
import os
from datetime import date
from pathlib import Path
from typing import NamedTuple

from caseload.cli.failures import broken_pipe, say, settle
from caseload.cli.state import State, hoist_global_options, make_state
from caseload.io.formats import DUE_FORMATS


class DueArgs(NamedTuple):
    """A `due` command line, read: the global options and due's own."""

    db: Path | None = None
    key_file: Path | None = None
    day: date | None = None  # None: today
    days: int = 0
    overdue_days: int | None = None  # None: the config's [due] overdue_days
    fmt: str = "text"
    redacted: bool = False
    output: Path | None = None


# Option spellings this reader takes (each long one also as --opt=value), and the field each sets.
_GLOBAL = {"--db": "db", "--key-file": "key_file"}
_DUE = {
    "--date": "day",
    "--days": "days",
    "--overdue-days": "overdue_days",
    "--format": "fmt",
    "-f": "fmt",
    "--output": "output",
    "-o": "output",
}
_FLAGS = {"--redact": "redacted"}
_MAX_DIGITS = 9  # a count of days past this is a slip; typer says what it makes of it


def _options(tokens: list[str], values: dict, flags: dict) -> tuple[dict, list[str]] | None:
    """Leading options of ``tokens`` as {field: text or True}, and what follows; None to decline."""
    found: dict = {}
    i = 0
    while i < len(tokens) and tokens[i].startswith("-") and tokens[i] != "-":
        name, eq, value = tokens[i].partition("=")
        if eq and name.startswith("--") and name in values:
            pass
        elif not eq and name in values and i + 1 < len(tokens):
            i += 1
            value = tokens[i]
        elif not eq and name in flags:
            value = True
        else:
            return None  # unknown, --help, --version, --, a missing value, -f=json
        dest = values.get(name) or flags[name]
        if dest in found or value in ("", "--"):
            return None  # typer keeps the last of a repeat; an empty value is a slip
        if isinstance(value, str) and value.startswith("-") and dest not in ("day", "output"):
            return None
        found[dest] = value
        i += 1
    return found, tokens[i:]


def _number(text: str) -> int | None:
    ok = text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS
    return int(text) if ok else None


def _fields(raw: dict) -> dict | None:
    """The options' texts as DueArgs fields; None when any is not plainly valid."""
    out: dict = {}
    for dest, text in raw.items():
        if dest == "redacted":
            out[dest] = True
        elif dest in ("db", "key_file"):
            out[dest] = Path(text)
        elif dest == "output":
            if text.startswith("-") and text != "-":
                return None
            out[dest] = Path(text)
        elif dest in ("days", "overdue_days"):
            out[dest] = _number(text)
            if out[dest] is None:
                return None
        elif dest == "fmt":
            if text not in DUE_FORMATS:
                return None
            out[dest] = text
        else:  # the day
            from caseload.services.dates import parse_date

            try:
                out[dest] = parse_date(text, kind="date")  # as cli.common.parse_date_option
            except ValueError:
                return None
    return out


def parse(argv: list[str]) -> DueArgs | None:
    """``argv`` (without the program name) as a `due` run, or None: let typer read it."""
    front = _options(hoist_global_options(list(argv)), _GLOBAL, {})
    if front is None:
        return None
    global_raw, rest = front
    if not rest or rest[0] != "due":
        return None
    own = _options(rest[1:], _DUE, _FLAGS)
    if own is None or own[1]:  # an argument left over: `due extra`
        return None
    fields = _fields({**global_raw, **own[0]})
    return None if fields is None else DueArgs(**fields)


def run(st: State, args: DueArgs) -> None:
    """Print the due list: Overdue, Due today and Coming up, ranked by priority.

    For json, csv and text a helper process (io.duehelper) builds a share of the list
    on a multi-core machine; it is forked here, before this process opens the store."""
    from caseload.io import dueprint as writer
    from caseload.io.private import check_stdout

    if args.output is None or str(args.output) == "-":
        check_stdout()  # before the list is built and its printout audited
    cfg = st.config()
    helper = _helper(st) if args.fmt in writer.FAST else None
    try:
        _produce(st, args, cfg, helper)
    finally:
        if helper is not None:
            helper.close()


def _helper(st: State):
    from caseload.io.duehelper import Helper

    return Helper.start(st.db, st.key())  # the key resolved (and prompted for) before the fork


def _produce(st: State, args: DueArgs, cfg, helper) -> None:
    from caseload.io import dueprint as writer
    from caseload.io.private import open_output

    output = args.output
    writer.produce(
        st.raw(),
        args.day or date.today(),
        args.days,
        args.fmt,
        lambda: open_output(output),
        exported=output is not None and str(output) != "-",
        windows=cfg.windows,
        redacted=args.redacted,
        coordinator=cfg.coordinator_name,
        overdue_days=cfg.due_overdue_days if args.overdue_days is None else args.overdue_days,
        note=say,
        attempts_needed=cfg.attempts_before_unable,
        helper=helper,
    )


def main(argv: list[str]) -> int | None:
    """Run ``argv`` as `due` and return its exit code; None when ``parse`` declines it.

    The failures are handled as cli/main.py's CaseloadGroup and typer's main handle
    them on a `due` run: the same words on stderr, the same exit codes.
    """
    args = parse(argv)
    if args is None:
        return None
    os.umask(0o077)  # anything caseload writes is private unless it says otherwise
    st = None
    try:
        st = make_state(args.db, args.key_file)
        run(st, args)
        return 0
    except EOFError:  # end of input at the key prompt: typer's "Aborted!"
        say("")
        say("Aborted!")
        return 1
    except BaseException as exc:
        code = settle(exc)
        if code is not None:
            return code
        if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
            return broken_pipe()
        raise
    finally:
        if st is not None:
            st.close()
