"""`caseload patients transition` and `patients transitions`: record and list discharges."""

from __future__ import annotations

from enum import StrEnum

import typer

from caseload.cli.common import (
    FORMAT_OPTION,
    LIMIT_OPTION,
    Format,
    audit_printout,
    emit,
    parse_date_option,
    say,
    state,
)
from caseload.io.tables import Col
from caseload.services.schedule import TRANSITION_SETTINGS

Setting = StrEnum("Setting", {s: s for s in TRANSITION_SETTINGS})

# `--format table` at 80 columns: each step is one cell ("due 2026-12-01", "done …"),
# and the step after the call says what it is ("visit due …" inpatient, "call due …"
# after an emergency visit); csv and json carry each step under its own keys.
TABLE = [
    Col("patient_external_id", "patient"),
    Col("discharged_on", "discharged"),
    Col("setting", drop=1),
    Col("facility", text=True, drop=2),
    Col("reason", text=True, drop=3),
    Col("call"),
    Col("then"),
]


def _step(row: dict, step: str) -> str:
    if row[f"{step}_followup_id"] is None:
        return ""
    if row[f"{step}_status"] == "cancelled":
        return "cancelled"
    done = row[f"{step}_done_on"]
    return f"done {done.isoformat()}" if done else f"due {row[f'{step}_due_on'].isoformat()}"


def _table_row(row: dict) -> dict:
    emergency = row["followup_call_followup_id"] is not None
    then = "call " + _step(row, "followup_call") if emergency else "visit " + _step(row, "visit")
    return {**row, "call": _step(row, "call"), "then": then.strip()}


def record(
    ctx: typer.Context,
    patient_id: str = typer.Argument(..., metavar="ID", help="The patient's external id."),
    discharged_on: str = typer.Option(
        ...,
        "--discharged-on",
        help="The day they left hospital (any date form; not later than today).",
    ),
    facility: str = typer.Option(None, "--facility", help="The hospital or facility."),
    reason: str = typer.Option(None, "--reason", help="Why they were admitted."),
    setting: Setting = typer.Option(
        "inpatient",
        "--setting",
        help="inpatient (a visit within 7/14 days) or emergency (a 7-day follow-up call instead).",
    ),
) -> None:
    """Record a hospital discharge: creates the 2-business-day call and the 7/14-day visit."""
    from caseload.services import schedule, transitions

    day = parse_date_option(discharged_on, "discharged_on")
    st = state(ctx)
    holidays = schedule.parse_holidays(st.config().holidays)
    with st.session(write=True) as s:
        t = transitions.record(
            s,
            patient_id,
            discharged_on=day,
            facility=facility,
            reason=reason,
            setting=Setting(setting).value,
            holidays=holidays,
        )
    where = "emergency department" if t["setting"] == "emergency" else "hospital"
    say(f"Recorded the {where} discharge of patient {patient_id} on {day.isoformat()}.")
    for f in t["followups"]:
        say(f"  follow-up {f['id']}: {f['title']}, due {f['due_on'].isoformat()}")


def list_(
    ctx: typer.Context,
    patient_id: str = typer.Argument(None, metavar="[ID]", help="Only this patient's."),
    fmt: Format = FORMAT_OPTION,
    limit: int = LIMIT_OPTION,
) -> None:
    """List hospital and ED discharges, newest first, with their call and visit."""
    from caseload.services import transitions

    with state(ctx).session() as s:
        rows = transitions.listing(s, patient_id, limit=limit)
    if fmt is Format.table:
        rows = [_table_row(r) for r in rows]
    emit(rows, fmt, columns=list(transitions.LISTING_FIELDS), table_columns=TABLE)
    audit_printout(ctx, "patients.transitions", len(rows), fmt)


def register(app: typer.Typer) -> None:
    app.command("transition")(record)
    app.command("transitions")(list_)
