"""HL7 v2 ADT messages (A01/A04 admit, A03 discharge, A08 update) as feed items.

Parsed with python-hl7 (segments, repetitions, components and escapes such as
``\\T\\``); this module only picks the fields. Segment separators ``\\r``, ``\\n`` or
``\\r\\n`` and MLLP framing bytes (0x0b, 0x1c) are accepted.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from caseload.io.discharges import Item, Parsed, local
from caseload.services.feeds import Event

ADMITS = ("A01", "A04")
DISCHARGES = ("A03",)
UPDATES = ("A08",)
CLASSES = {"I": "inpatient", "E": "emergency", "O": "outpatient"}
_SEX = {"F": "female", "M": "male", "O": "other", "U": "unknown"}
_TS = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(\.\d+)?([+-]\d{4})?$")


def looks_like(text: str) -> bool:
    return text.lstrip("\x0b\ufeff \t\r\n").startswith("MSH")


def split(text: str) -> list[str]:
    """The messages of ``text``, each with ``\\r`` segment separators."""
    text = text.replace("\x0b", "").replace("\x1c", "").replace("\ufeff", "")
    lines = [ln.strip() for ln in re.split(r"\r\n|\r|\n", text)]
    messages: list[list[str]] = []
    for ln in lines:
        if not ln:
            continue
        if ln.startswith("MSH") or not messages:
            messages.append([])
        if ln[:3] in ("FHS", "BHS", "FTS", "BTS"):
            continue  # batch envelopes carry no visit
        messages[-1].append(ln)
    return ["\r".join(m) for m in messages if m]


# The segments a discharge is read from; the rest (NK1, IN1, OBX, Z-segments …) are not
# handed to the parser, which builds an object per field and is the import's main cost.
_READ = frozenset(("MSH", "EVN", "PID", "PV1", "PV2", "DG1"))


def _factory():
    """python-hl7's containers without their per-object checks (same classes, same reading).

    ``hl7.parse`` takes a factory for this; the parser still does all the splitting and
    the escapes. About a fifth of the parse time on a 10,000-message file.
    """
    from hl7 import containers as c

    def quick(base, level: int):
        def init(self, separator=None, sequence=(), esc="\\", separators="\r|~^&", factory=None):
            list.__init__(self, sequence)
            self.separator, self.esc = separators[level], esc
            self.separators, self.factory = separators, factory

        return type(base.__name__, (base,), {"__init__": init})

    class Factory(c.Factory):
        create_message = quick(c.Message, 0)
        create_segment = quick(c.Segment, 1)
        create_field = quick(c.Field, 2)
        create_repetition = quick(c.Repetition, 3)
        create_component = quick(c.Component, 4)

    return Factory


def parse(text: str, progress=None) -> Parsed:
    """Every message of ``text`` as an item; ``progress(done, total)`` now and then."""
    import hl7

    out = Parsed("hl7")
    factory = _factory()
    messages = split(text)
    for n, raw in enumerate(messages, start=1):
        if progress is not None and (n % 500 == 0 or n == len(messages)):
            progress(n, len(messages))
        item = Item(f"message {n}", raw)
        out.items.append(item)
        try:
            msg = hl7.parse(
                "\r".join(s for s in raw.split("\r") if s[:3] in _READ), factory=factory
            )
        except Exception:  # python-hl7 raises several types on a bad header
            item.errors.append(("MSH", "not an HL7 v2 message"))
            continue
        try:
            _read(msg, item)
        except (IndexError, KeyError, ValueError, TypeError, AttributeError):
            item.errors.append(("message", "malformed segment structure"))
    return out


def _seg(msg, name: str):
    for s in msg:
        if str(s[0]) == name:
            return s
    return None


def _f(msg, seg, field: int, rep: int = 1, comp: int = 1) -> str:
    """One component as text (escapes decoded), or "" when it is not there."""
    if seg is None:
        return ""
    try:
        value = seg(field)
        if isinstance(value, str):
            text = value if (rep, comp) == (1, 1) else ""
        else:
            value = value(rep)
            text = value if isinstance(value, str) else value(comp)
            if not isinstance(text, str):
                text = str(text(1))
    except (IndexError, KeyError, TypeError):
        return ""
    text = str(text).strip()
    return msg.unescape(text).strip() if "\\" in text else text


def _reps(seg, field: int) -> int:
    try:
        value = seg(field)
    except (IndexError, KeyError, TypeError):
        return 0
    return 1 if isinstance(value, str) else len(value)


def timestamp(text: str) -> datetime | None:
    """HL7 TS (YYYYMMDD[HHMM[SS[.S]]][+ZZZZ]) as a naive local datetime, else ValueError.

    Without an offset the time is the sender's wall clock, kept as written."""
    m = _TS.match(text)
    if not m:
        raise ValueError(text)
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups()[:6])
    at = datetime(y, mo, d, h, mi, s)  # ValueError for 20251341
    if m.group(8):  # an offset: taken to this computer's local time, as FHIR's are
        sign, hh, mm = m.group(8)[0], int(m.group(8)[1:3]), int(m.group(8)[3:])
        offset = timedelta(hours=hh, minutes=mm) * (-1 if sign == "-" else 1)
        at = local(at.replace(tzinfo=timezone(offset)))
    return at


def _read(msg, item: Item) -> None:
    msh, evn, pid, pv1 = (_seg(msg, n) for n in ("MSH", "EVN", "PID", "PV1"))
    trigger = _f(msg, msh, 9, 1, 2) or _f(msg, evn, 1)
    if not trigger:
        item.errors.append(("MSH-9", "no message type"))
        return
    if trigger not in ADMITS + DISCHARGES + UPDATES:
        item.note = f"{item.where}: ADT^{trigger or '?'} is not an admit, discharge or update"
        return
    if pid is None or pv1 is None:
        item.errors.append(("PID" if pid is None else "PV1", "segment missing"))
        return
    mrn = _mrn(msg, pid)
    if not mrn:
        item.errors.append(("PID-3", "no patient identifier"))
    klass = _f(msg, pv1, 2).upper()
    setting = CLASSES.get(klass)
    if setting is None:
        item.errors.append(("PV1-2", f"patient class {klass or '(blank)'} is not I, E or O"))
    elif setting == "outpatient":
        item.note = f"{item.where}: an outpatient visit (PV1-2 O) is not a transition"
        return
    discharged = _when(msg, item, trigger, pv1, evn)
    admitted = _time(msg, item, pv1, 44, "PV1-44")
    if admitted is None and trigger in ADMITS and not _f(msg, pv1, 44):
        admitted = _time(msg, item, evn, 2, "EVN-2")  # an admit's event time is the admission
    # PV1-3.4 is the facility of the assigned location; PV1-3.1 is only a ward ("4W").
    facility = _f(msg, pv1, 3, 1, 4) or _f(msg, msh, 4)
    visit = _f(msg, pv1, 19)
    if item.errors:
        return
    # Without a visit number, the admission time ties an A01 to its A03 (both carry it).
    stamp = admitted or discharged
    key = f"{mrn}|{visit}" if visit else f"{mrn}|{facility}|{stamp.isoformat() if stamp else ''}"
    item.event = Event(
        external_id=mrn,
        visit_key=key,
        source="hl7",
        discharged_on=discharged.date() if discharged else None,
        admitted_at=admitted,
        facility=facility or None,
        reason=_reason(msg) or None,
        setting=setting or "inpatient",
        disposition=_f(msg, pv1, 36) or None,
        numbered=bool(visit),
    )
    item.patient = _patient(msg, pid, mrn)


def _mrn(msg, pid) -> str:
    first = ""
    for r in range(1, _reps(pid, 3) + 1):
        value = _f(msg, pid, 3, r, 1)
        if value and _f(msg, pid, 3, r, 5).upper() == "MR":
            return value
        first = first or value
    return first


def _time(msg, item: Item, seg, field: int, name: str) -> datetime | None:
    text = _f(msg, seg, field)
    if not text:
        return None
    try:
        return timestamp(text)
    except ValueError:
        item.errors.append((name, "not a date"))
        return None


def _when(msg, item: Item, trigger: str, pv1, evn) -> datetime | None:
    """The discharge time: PV1-45, else (on an A03) EVN-2; None for an admission."""
    at = _time(msg, item, pv1, 45, "PV1-45")
    if at is None and trigger in DISCHARGES and not _f(msg, pv1, 45):
        at = _time(msg, item, evn, 2, "EVN-2")
        if at is None and not any(f.startswith("EVN") for f, _ in item.errors):
            item.errors.append(("PV1-45", "no discharge time (PV1-45 or EVN-2)"))
    return at


def _reason(msg) -> str:
    dg1 = _seg(msg, "DG1")
    if dg1 is not None:
        text = _f(msg, dg1, 4) or _f(msg, dg1, 3, 1, 2) or _f(msg, dg1, 3, 1, 1)
        if text:
            return text
    pv2 = _seg(msg, "PV2")
    return _f(msg, pv2, 3, 1, 2) or _f(msg, pv2, 3, 1, 1)


def _patient(msg, pid, mrn: str) -> dict:
    born = _f(msg, pid, 7)
    try:
        birth = timestamp(born).date().isoformat() if born else ""
    except ValueError:
        birth = ""
    return {
        "external_id": mrn,
        "family_name": _f(msg, pid, 5, 1, 1),
        "given_name": _f(msg, pid, 5, 1, 2),
        "birth_date": birth,
        "sex": _SEX.get(_f(msg, pid, 8).upper(), ""),
        "phone": _f(msg, pid, 13, 1, 1),
        "address": ", ".join(x for x in (_f(msg, pid, 11, 1, c) for c in (1, 3, 4, 5)) if x),
        "language": _f(msg, pid, 15, 1, 1).lower(),
    }
