"""`caseload patients …`: add, list, show, edit, discharge, hold, reactivate."""

from __future__ import annotations

import typer

from caseload.cli import transitions as _transitions
from caseload.cli.common import (
    FORMAT_OPTION,
    LIMIT_OPTION,
    Format,
    audit_printout,
    emit,
    parse_bool,
    parse_date_option,
    say,
    show_record,
    state,
)
from caseload.enums import PatientStatus, Risk
from caseload.io.tables import Col

app = typer.Typer(
    rich_markup_mode=None, help="Patients: add, list, show, edit, discharge.", no_args_is_help=True
)

# `--format table` (io/tables.py): names share the width left; at 80 columns and
# less, language, then status, then phone, then risk are left out (docs/cli.md).
TABLE_COLUMNS = [
    Col("external_id", "external id"),
    Col("given_name", "given name", text=True, min_width=10),
    Col("family_name", "family name", text=True, min_width=10),
    Col("phone", drop=3),
    Col("language", "lang", drop=1),
    Col("risk", drop=4),
    Col("status", drop=2),
]


def _fields(**options) -> dict:
    """Options given on the command line (None means 'not given'), as service fields."""
    out = {}
    for name, value in options.items():
        if value is None:
            continue
        if name in ("may_call", "may_text", "may_email", "may_voicemail"):
            value = parse_bool(value, name)
        if name in ("birth_date", "enrolled_on"):
            value = parse_date_option(value, name)
        if name in ("programs", "conditions", "social_needs"):
            value = ";".join(value) if isinstance(value, list) else value
            if value == "":
                continue
        out[name] = value
    return out


# Every patient field gets an option; `add` and `edit` share them.
_GIVEN = typer.Option(None, "--given-name", help="Given (first) name.")
_FAMILY = typer.Option(None, "--family-name", help="Family (last) name.")
_PREFERRED = typer.Option(None, "--preferred-name", help="The name they go by.")
_BIRTH = typer.Option(None, "--birth-date", help="Birth date (YYYY-MM-DD or 14 mar 1958).")
_SEX = typer.Option(None, "--sex")
_PHONE = typer.Option(None, "--phone", help="Main phone, kept as written.")
_ALT_PHONE = typer.Option(None, "--alt-phone", help="Second phone.")
_EMAIL = typer.Option(None, "--email")
_ADDRESS = typer.Option(None, "--address")
_LANGUAGE = typer.Option(None, "--language", help="Preferred language (e.g. en, es).")
_CONTACT = typer.Option(None, "--preferred-contact", help="phone, text, email, visit…")
_MAY_CALL = typer.Option(None, "--may-call", help="Consent to calls: yes/no.")
_MAY_TEXT = typer.Option(None, "--may-text", help="Consent to texts: yes/no.")
_MAY_EMAIL = typer.Option(None, "--may-email", help="Consent to email: yes/no.")
_MAY_VM = typer.Option(None, "--may-voicemail", help="Consent to voicemail: yes/no.")
_RISK = typer.Option(None, "--risk", help="Risk tier.")
_PROGRAMS = typer.Option(None, "--program", help="A program tag (repeatable): diabetes, chf…")
_CONDITIONS = typer.Option(None, "--condition", help="A condition (repeatable).")
_NEEDS = typer.Option(None, "--social-need", help="A social need (repeatable).")
_PCP = typer.Option(None, "--pcp", help="Primary care provider.")
_PAYER = typer.Option(None, "--payer")
_ENROLLED = typer.Option(None, "--enrolled-on", help="Enrollment date.")
_NOTES = typer.Option(None, "--notes")


@app.command("add")
def add(
    ctx: typer.Context,
    external_id: str = typer.Option(..., "--external-id", help="The program's ID or MRN."),
    given_name: str = typer.Option(..., "--given-name", help="Given (first) name."),
    family_name: str = typer.Option(..., "--family-name", help="Family (last) name."),
    preferred_name: str = _PREFERRED,
    birth_date: str = _BIRTH,
    sex: str = _SEX,
    phone: str = _PHONE,
    alt_phone: str = _ALT_PHONE,
    email: str = _EMAIL,
    address: str = _ADDRESS,
    language: str = _LANGUAGE,
    preferred_contact: str = _CONTACT,
    may_call: str = _MAY_CALL,
    may_text: str = _MAY_TEXT,
    may_email: str = _MAY_EMAIL,
    may_voicemail: str = _MAY_VM,
    risk: Risk = _RISK,
    programs: list[str] = _PROGRAMS,
    conditions: list[str] = _CONDITIONS,
    social_needs: list[str] = _NEEDS,
    pcp: str = _PCP,
    payer: str = _PAYER,
    enrolled_on: str = _ENROLLED,
    notes: str = _NOTES,
) -> None:
    """Add a patient."""
    values = _fields(**{k: v for k, v in locals().items() if k != "ctx"})
    from caseload.services import patients

    with state(ctx).session(write=True) as s:
        p = patients.add(s, **values)
    say(f"Added patient {p['external_id']}.")


@app.command("edit")
def edit(
    ctx: typer.Context,
    patient_id: str = typer.Argument(..., metavar="ID", help="The patient's external id."),
    external_id: str = typer.Option(None, "--external-id", help="A new external id."),
    given_name: str = _GIVEN,
    family_name: str = _FAMILY,
    preferred_name: str = _PREFERRED,
    birth_date: str = _BIRTH,
    sex: str = _SEX,
    phone: str = _PHONE,
    alt_phone: str = _ALT_PHONE,
    email: str = _EMAIL,
    address: str = _ADDRESS,
    language: str = _LANGUAGE,
    preferred_contact: str = _CONTACT,
    may_call: str = _MAY_CALL,
    may_text: str = _MAY_TEXT,
    may_email: str = _MAY_EMAIL,
    may_voicemail: str = _MAY_VM,
    risk: Risk = _RISK,
    programs: list[str] = _PROGRAMS,
    conditions: list[str] = _CONDITIONS,
    social_needs: list[str] = _NEEDS,
    pcp: str = _PCP,
    payer: str = _PAYER,
    enrolled_on: str = _ENROLLED,
    notes: str = _NOTES,
) -> None:
    """Change a patient's fields (only those given). An empty value clears a field."""
    values = _fields(**{k: v for k, v in locals().items() if k not in ("ctx", "patient_id")})
    from caseload.services import patients

    if not values:
        raise typer.BadParameter("give at least one field to change", param_hint="options")
    with state(ctx).session(write=True) as s:
        patients.edit(s, patient_id, **values)
    say(f"Updated patient {values.get('external_id', patient_id)}.")


@app.command("list")
def list_(
    ctx: typer.Context,
    search: str = typer.Option(None, "--search", "-s", help="Name, external id or phone."),
    status: PatientStatus = typer.Option(None, "--status", help="Only patients with this status."),
    risk: Risk = typer.Option(None, "--risk", help="Only this risk tier."),
    program: str = typer.Option(None, "--program", help="Only patients in this program."),
    fmt: Format = FORMAT_OPTION,
    limit: int = LIMIT_OPTION,
) -> None:
    """List patients (every match unless --limit)."""
    from caseload.services import patients

    with state(ctx).session() as s:
        page = patients.search(
            s, search or "", status=status, risk=risk, program=program, limit=limit
        )
    emit(page.rows, fmt, columns=list(patients.FIELDS), table_columns=TABLE_COLUMNS)
    audit_printout(ctx, "patients.list", len(page.rows), fmt)


@app.command("show")
def show(
    ctx: typer.Context,
    patient_id: str = typer.Argument(..., metavar="ID", help="The patient's external id."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Show one patient."""
    from caseload.services import patients

    with state(ctx).session() as s:
        p = patients.get(s, patient_id)
    show_record(p, fmt, title=patients.display_name(p))
    audit_printout(ctx, "patients.show", 1, fmt)


def _status_command(status: str, verb: str):
    def command(
        ctx: typer.Context,
        patient_id: str = typer.Argument(..., metavar="ID", help="The patient's external id."),
        reason: str = typer.Option(None, "--reason", help="Why (kept with the status)."),
        on: str = typer.Option(None, "--on", help="The date (default today)."),
    ) -> None:
        from caseload.services import patients

        with state(ctx).session(write=True) as s:
            patients.set_status(
                s, patient_id, status, reason=reason, on=parse_date_option(on, "on")
            )
        say(f"Patient {patient_id} {verb}.")

    return command


app.command("discharge", help="Discharge a patient from the caseload (with --reason).")(
    _status_command("discharged", "discharged")
)
app.command("hold", help="Put a patient on hold: no follow-ups due, no reminders.")(
    _status_command("on_hold", "put on hold")
)
app.command("reactivate", help="Make a held or discharged patient active again.")(
    _status_command("active", "is active again")
)


# `patients transition` (record a discharge) and `patients transitions` (list them).
_transitions.register(app)
