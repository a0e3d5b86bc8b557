"""Patients: add, edit, discharge, get and search with keyset paging; every write audited."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from caseload.errors import Invalid, NotFound
from caseload.models import Patient, PatientStatus, Risk
from caseload.services import audit
from caseload.services.common import MAX_TEXT, check_choice, join_tags, named, split_tags, utcnow
from caseload.services.fieldnames import (
    BOOL_FIELDS,
    DATE_FIELDS,
    PATIENT_FIELDS,
    PATIENT_REQUIRED,
    TAG_FIELDS,
    fold,
    phone_digits,
    search_key,
)

# The public field names, in SPEC's order: the keys of `--format json` and import columns.
FIELDS = PATIENT_FIELDS
REQUIRED = PATIENT_REQUIRED


def to_public(p: Patient) -> dict:
    """A patient as the plain dict that every output format starts from."""
    d = {f: getattr(p, f) for f in FIELDS}
    for f in TAG_FIELDS:
        d[f] = split_tags(d[f])
    return d


def display_name(p: Patient | Mapping) -> str:
    get = p.get if isinstance(p, Mapping) else lambda k: getattr(p, k)
    pref = get("preferred_name")
    given = get("given_name")
    return named(f"{given} {get('family_name')}", pref if pref != given else None)


def _clean(values: Mapping, *, partial: bool) -> dict:
    """Validate and normalise field values; raise Invalid naming the field."""
    out: dict = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise Invalid(f"unknown patient field {key!r}")
        if isinstance(value, str):
            value = value.strip()
            if len(value) > MAX_TEXT:
                raise Invalid(f"{key} is longer than {MAX_TEXT} characters")
            if value == "" and key not in REQUIRED:
                value = None
        if key in REQUIRED and not value:
            raise Invalid(f"{key} is required")
        if key == "risk" and value is not None:
            value = check_choice(value, Risk, "risk")
        elif key == "status" and value is not None:
            value = check_choice(value, PatientStatus, "status")
        elif key in TAG_FIELDS:
            value = join_tags(value)
        elif key in BOOL_FIELDS:
            if value is None:
                continue
            if not isinstance(value, bool):
                raise Invalid(f"{key} must be true or false")
        elif key in DATE_FIELDS and value is not None and not isinstance(value, date):
            raise Invalid(f"{key} must be a date")
        out[key] = value
    if not partial:
        for key in REQUIRED:
            if not out.get(key):
                raise Invalid(f"{key} is required")
    bd = out.get("birth_date")
    if bd is not None and bd > date.today():
        raise Invalid("birth_date is in the future")
    return out


def _refresh_search(p: Patient) -> None:
    p.search_name = search_key(p.given_name, p.family_name, p.preferred_name)
    p.phone_digits = phone_digits(p.phone, p.alt_phone)


def add(session: Session, **values) -> dict:
    data = _clean(values, partial=False)
    if _by_external_id(session, data["external_id"]) is not None:
        raise Invalid(f"a patient with external id {data['external_id']} exists already")
    now = utcnow()
    p = Patient(**data, created_at=now, updated_at=now)
    _refresh_search(p)
    session.add(p)
    session.flush()
    audit.record(session, "patient.add", "patient", p.id, patient_id=p.id)
    return to_public(p)


def _by_external_id(session: Session, external_id: str) -> Patient | None:
    return session.exec(select(Patient).where(Patient.external_id == external_id)).first()


def get_row(session: Session, external_id: str) -> Patient:
    p = _by_external_id(session, external_id)
    if p is None:
        raise NotFound(f"no patient with external id {external_id}")
    return p


def get(session: Session, external_id: str) -> dict:
    return to_public(get_row(session, external_id))


def edit(session: Session, external_id: str, /, **values) -> dict:
    """Change the given fields; ``values['external_id']`` renames the patient."""
    p = get_row(session, external_id)
    data = _clean({k: v for k, v in values.items()}, partial=True)
    new_id = data.get("external_id")
    if new_id and new_id != p.external_id and _by_external_id(session, new_id) is not None:
        raise Invalid(f"a patient with external id {new_id} exists already")
    changed = sorted(k for k, v in data.items() if getattr(p, k) != v)
    for k in changed:
        setattr(p, k, data[k])
    if changed:
        p.updated_at = utcnow()
        _refresh_search(p)
        session.add(p)
        session.flush()
        audit.record(session, "patient.edit", "patient", p.id, patient_id=p.id, fields=changed)
    return to_public(p)


def set_status(
    session: Session,
    external_id: str,
    status: str,
    *,
    reason: str | None = None,
    on: date | None = None,
) -> dict:
    """Discharge, hold or reactivate a patient; the reason and date are kept."""
    p = get_row(session, external_id)
    status = check_choice(status, PatientStatus, "status")
    if p.status == status:
        raise Invalid(f"patient {external_id} is {status} already")
    p.status = status
    p.status_reason = (reason or "").strip() or None
    p.status_on = on or date.today()
    p.updated_at = utcnow()
    session.add(p)
    session.flush()
    audit.record(session, f"patient.{status}", "patient", p.id, patient_id=p.id)
    return to_public(p)


def discharge(session: Session, external_id: str, *, reason: str | None = None, on=None) -> dict:
    return set_status(session, external_id, PatientStatus.discharged, reason=reason, on=on)


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    # Pass as ``after`` to get the next page; None when this was the last one.
    next_after: tuple[str, str, int] | None


def search(
    session: Session,
    text: str = "",
    *,
    status: str | None = None,
    risk: str | None = None,
    program: str | None = None,
    limit: int | None = None,
    after: tuple | None = None,
) -> Page:
    """Every patient ``find`` matches (the one finder of the CLI and the TUI), as full records.

    Same matching and order as the TUI's search (folded names, external id,
    phone digits; sorted by the folded name key); ``after`` is a previous page's
    ``next_after``. Without ``limit``, every match.
    """
    conn = session.connection().connection.driver_connection
    ids: list[int] = []
    page = Page([], None)
    cursor = after
    while limit is None or len(ids) < limit:
        want = 1000 if limit is None else min(1000, limit - len(ids))
        page = find(conn, text, status=status, risk=risk, program=program, limit=want, after=cursor)
        ids += [r["id"] for r in page.rows]
        if page.next_after is None:
            break
        cursor = page.next_after
    found: dict[int, Patient] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        found.update(
            (p.id, p) for p in session.exec(select(Patient).where(col(Patient.id).in_(chunk)))
        )
    return Page([to_public(found[i]) for i in ids], page.next_after if limit is not None else None)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def count(session: Session) -> int:
    from sqlalchemy import func

    return session.exec(select(func.count()).select_from(Patient)).one()


# --- the fast finder (TUI search and command palette) -----------------------------------
#
# `search` above is `find` with full records (for the CLI and exports); `find`
# answers each keystroke from the existing indexes alone, with no schema change: each
# kind of match ("arm") walks one index in that index's order and stops after a page,
# so a page costs the same at any size. Text with a digit looks for an external id
# (prefix) and then a phone number (digits anywhere, over the covering phone index);
# other text looks for names (family-name-first prefix, "given family", or any word
# starting with it) over the covering search-name index.

FIND_COLUMNS = (
    "id", "external_id", "given_name", "family_name", "preferred_name", "birth_date",
    "phone", "language", "risk", "programs", "status",
)  # fmt: skip
_ARMS = {
    "name": ("search_name", "ix_patient_search_name"),
    "id": ("external_id", "sqlite_autoindex_patient_1"),
    "phone": ("phone_digits", "ix_patient_phone_digits"),
}
_TOP = "\U0010ffff"


def _arms(text: str, order: str) -> list[tuple[str, str, list]]:
    """The (arm, condition, params) to try, in the order their rows are shown.

    A later arm leaves out the rows an earlier one showed with ``id NOT IN`` over
    the earlier arm's covering index, so each arm still reads one index only.
    """
    low = " ".join(fold(text).split())
    if not low:
        return [("id" if order == "external_id" else "name", "1", [])]
    id_cond = "((external_id >= ? AND external_id < ?) OR (external_id >= ? AND external_id < ?))"
    id_params = [text, text + _TOP, text.upper(), text.upper() + _TOP]
    if any(c.isdigit() for c in low):
        out = [("id", id_cond, id_params)]
        digits = re.sub(r"\D", "", low)
        if len(digits) >= 3:  # not the rows the id arm showed (a numeric MRN looks like a phone)
            out.append(
                (
                    "phone",
                    "phone_digits LIKE ? AND id NOT IN (SELECT id FROM patient INDEXED BY"
                    f" sqlite_autoindex_patient_1 WHERE {id_cond})",
                    [f"%{digits}%", *id_params],
                )
            )
        return out
    words = low.split(" ")
    conds = ["(search_name >= ? AND search_name < ?)", "search_name LIKE ? ESCAPE '\\'"]
    params: list = [low, low + _TOP, f"% {_escape_like(low)}%"]
    if len(words) > 1:  # "maria garcia": the family name typed last
        swapped = " ".join([words[-1], *words[:-1]])
        conds.append("(search_name >= ? AND search_name < ?)")
        params += [swapped, swapped + _TOP]
    name_cond = "(" + " OR ".join(conds) + ")"
    out = [("name", name_cond, params)]
    if not all(c.isalpha() or c in " '." for c in low):  # "B-" or "mrn_": an id typed
        out.append(
            (
                "id",
                f"{id_cond} AND id NOT IN (SELECT id FROM patient INDEXED BY"
                f" ix_patient_search_name WHERE {name_cond})",
                [*id_params, *params],
            )
        )
    return out


def _filters(status, risk, program, overdue_on) -> tuple[str, list]:
    sql, params = "", []
    if status:
        sql += " AND status = ?"
        params.append(check_choice(status, PatientStatus, "status"))
    if risk:
        sql += " AND risk = ?"
        params.append(check_choice(risk, Risk, "risk"))
    if program:
        sql += " AND ';' || programs || ';' LIKE ? ESCAPE '\\'"
        params.append(f"%;{_escape_like(program.strip())};%")
    if overdue_on is not None:
        # The partial covering index of open follow-ups answers this without the table.
        sql += (
            " AND id IN (SELECT patient_id FROM followup INDEXED BY ix_followup_open_due"
            " WHERE status = 'open' AND due_on < ?)"
        )
        params.append(overdue_on.isoformat())
    return sql, params


def find(
    conn,
    text: str = "",
    *,
    status: str | None = None,
    risk: str | None = None,
    program: str | None = None,
    overdue_on: date | None = None,
    order: str = "name",
    limit: int = 200,
    after: tuple | None = None,
) -> Page:
    """One page of patients matching ``text`` on a raw DBAPI connection, index-ordered.

    ``after`` is the previous page's ``next_after`` (an opaque (arm, key, id) tuple).
    Rows carry FIND_COLUMNS only: enough for a list; open a patient with ``get``.
    """
    arms = _arms((text or "").strip(), order)
    where, fparams = _filters(status, risk, program, overdue_on)
    names = [a for a, _, _ in arms]
    start = names.index(after[0]) if after is not None and after[0] in names else 0
    ids: list[tuple[str, str, int]] = []
    next_after = None
    for arm, cond, params in arms[start:]:
        key, index = _ARMS[arm]
        sql = f"SELECT {key}, id FROM patient INDEXED BY {index} WHERE {cond}{where}"
        args = [*params, *fparams]
        if after is not None and after[0] == arm:
            sql += f" AND ({key}, id) > (?, ?)"
            args += [after[1], after[2]]
        want = limit - len(ids)
        sql += f" ORDER BY {key}, id LIMIT {want + 1}"
        rows = conn.execute(sql, args).fetchall()
        ids += [(arm, k, i) for k, i in rows[:want]]
        if len(rows) > want:
            next_after = ids[-1]
            break
        if len(ids) >= limit and arm != arms[-1][0]:
            next_after = ids[-1]  # the next page starts in a later arm
            break
    if not ids:
        return Page([], None)
    cols = ", ".join(FIND_COLUMNS)
    marks = ", ".join("?" * len(ids))
    got = {
        r[0]: dict(zip(FIND_COLUMNS, r, strict=True))
        for r in conn.execute(
            f"SELECT {cols} FROM patient WHERE id IN ({marks})", [i for *_, i in ids]
        )
    }
    rows = []
    for *_, i in ids:
        d = got[i]
        if d["birth_date"]:
            d["birth_date"] = date.fromisoformat(str(d["birth_date"])[:10])
        d["programs"] = split_tags(d["programs"])
        rows.append(d)
    return Page(rows, next_after)


def program_tags(session: Session) -> list[str]:
    """The program tags in use, sorted (the TUI's program filter): a scan bounded to the
    distinct ``programs`` values, cheap enough once per screen."""
    rows = session.exec(select(Patient.programs).where(Patient.programs != "").distinct())
    return sorted({tag for text in rows for tag in split_tags(text)})
