"""Writing imported contacts, follow-ups and care team members (each row names its patient).

Re-running an import never duplicates: a contact is the same when patient,
time, method and outcome match; a follow-up when patient, title, due date and
kind match; a care team member when name, role and organization match.
"""

from __future__ import annotations

from caseload.io.importing.base import CHUNK, lookup, patient_ids, reject, stamp

UNKNOWN = "unknown patient_external_id"


class _RowWriter:
    table = ""
    key_fields: tuple[str, ...] = ()
    defaults: dict = {}
    columns: tuple[str, ...] = ()  # the columns written, in order, besides patient_id
    stamps: tuple[str, ...] = ("created_at",)

    def __init__(self, conn, checker, settings, report) -> None:
        self.conn = conn
        self.s = settings
        self.report = report
        self.fields = checker.fields
        self.checker = checker
        self.at = {f: i for i, f in enumerate(self.fields)}
        self.creates: list[tuple] = []
        self.updates: list[tuple] = []

    def row(self, values: list) -> dict:
        d = dict(self.defaults)
        for f, v in zip(self.fields, values, strict=True):
            if v is not None or f not in self.defaults:
                d[f] = v
        return d

    def resolve(self, good: list, bad: list) -> list:
        report = self.report
        pids = patient_ids(self.conn, [v[self.at["patient_external_id"]] for _n, v, _c in good])
        header = self.checker.header_of("patient_external_id")
        existing = self._existing(sorted(set(pids.values())))
        seen: dict[tuple, int] = {}
        kept = []
        now = stamp()
        for n, values, cells in good:
            pid = pids.get(values[self.at["patient_external_id"]])
            if pid is None:
                reject(bad, report, n, cells, header, UNKNOWN)
                continue
            d = self.row(values)
            d["patient_id"] = pid
            key = tuple(d.get(k) for k in ("patient_id", *self.key_fields))
            first = seen.setdefault(key, n)
            if first != n:
                reject(bad, report, n, cells, header, f"the same record as {report.unit} {first}")
                continue
            old = existing.get(key)
            if old is None:
                self.creates.append((pid, *(d.get(c) for c in self.columns), now))
            elif self.s.on_conflict == "fail":
                reject(bad, report, n, cells, header, "exists in the store (--on-conflict fail)")
                continue
            elif self.s.on_conflict == "skip":
                report.skipped += 1
            else:
                # Only what the file carries; a blank cell does not reset a defaulted field.
                changed = {
                    c: d[c]
                    for c in self.columns
                    if c in self.at
                    and not (c in self.defaults and values[self.at[c]] is None)
                    and d[c] != old[1][c]
                }
                if changed:
                    self.updates.append((changed, old[0]))
                else:
                    report.unchanged += 1
            kept.append((n, values, cells))
        report.created = len(self.creates)
        report.updated = len(self.updates)
        return kept

    def _existing(self, pids: list[int]) -> dict[tuple, tuple[int, dict]]:
        cols = ("id", "patient_id", *self.columns)
        sql = f"SELECT {', '.join(cols)} FROM {self.table} WHERE patient_id IN ({{}})"
        out = {}
        for r in lookup(self.conn, sql, pids):
            d = dict(zip(cols, r, strict=True))
            out[tuple(d[k] for k in ("patient_id", *self.key_fields))] = (r[0], d)
        return out

    def write(self, good: list, progress) -> None:
        cols = ("patient_id", *self.columns, *self.stamps)
        sql = f"INSERT INTO {self.table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        for start in range(0, len(self.creates), CHUNK):
            self.conn.executemany(sql, self.creates[start : start + CHUNK])
        for changed, rid in self.updates:
            sets = ", ".join(f"{c} = ?" for c in changed)
            self.conn.execute(
                f"UPDATE {self.table} SET {sets} WHERE id = ?", (*changed.values(), rid)
            )


class ContactWriter(_RowWriter):
    table = "contact"
    key_fields = ("at", "method", "outcome")
    defaults = {"party": "patient"}
    columns = ("at", "method", "party", "outcome", "duration_min", "note", "created_by")

    def row(self, values: list) -> dict:
        from caseload.services.common import actor

        d = super().row(values)
        d["created_by"] = actor()
        return d


class FollowUpWriter(_RowWriter):
    table = "followup"
    key_fields = ("title", "due_on", "kind")
    defaults = {"kind": "call", "priority": 3, "from_completion": False, "status": "open"}
    columns = (
        "title", "kind", "due_on", "window_before", "window_after", "priority", "rrule",
        "from_completion", "status", "completed_at", "cancelled_reason", "notes",
        "unable_reason",
    )  # fmt: skip

    def resolve(self, good: list, bad: list) -> list:
        """An ``unable_reason`` belongs to a done follow-up only (the report counts those)."""
        if "unable_reason" in self.at:
            at, st = self.at["unable_reason"], self.at.get("status")
            header = self.checker.header_of("unable_reason")
            kept = []
            for n, values, cells in good:
                if values[at] is not None and (st is None or values[st] != "done"):
                    reject(bad, self.report, n, cells, header, "needs status done")
                else:
                    kept.append((n, values, cells))
            good = kept
        return super().resolve(good, bad)

    def write(self, good: list, progress) -> None:
        before = self.conn.execute("SELECT coalesce(max(id), 0) FROM followup").fetchone()[0]
        super().write(good, progress)
        # A recurring follow-up imported on its own starts its own series.
        self.conn.execute(
            "UPDATE followup SET series_id = id WHERE id > ? AND rrule IS NOT NULL"
            " AND series_id IS NULL",
            (before,),
        )


class CareTeamWriter(_RowWriter):
    """Members, matched by name, role and organization; linked to a patient when one is named."""

    def resolve(self, good: list, bad: list) -> list:
        report = self.report
        has_patient = "patient_external_id" in self.at
        pids = {}
        if has_patient:
            pids = patient_ids(
                self.conn,
                [
                    v[self.at["patient_external_id"]]
                    for _n, v, _c in good
                    if v[self.at["patient_external_id"]]
                ],
            )
        members = {
            (r[1], r[2], r[3]): (r[0], r[4], r[5])
            for r in self.conn.execute(
                "SELECT id, name, role, organization, phone, email FROM care_team_member"
            )
        }
        self.plan: list[tuple] = []
        kept = []
        for n, values, cells in good:
            d = self.row(values)
            pid = None
            if has_patient and d.get("patient_external_id"):
                pid = pids.get(d["patient_external_id"])
                if pid is None:
                    header = self.checker.header_of("patient_external_id")
                    reject(bad, report, n, cells, header, UNKNOWN)
                    continue
            key = (d["name"], d["role"], d.get("organization"))
            contact = (d.get("phone"), d.get("email"))
            if key not in members:
                members[key] = (None, *contact)
                report.created += 1
            elif self.s.on_conflict == "fail" and members[key][0] is not None:
                reject(bad, report, n, cells, self.checker.header_of("name"),
                       "exists in the store (--on-conflict fail)")  # fmt: skip
                continue
            elif self.s.on_conflict == "skip":
                report.skipped += 1
            elif members[key][1:] != contact and members[key][0] is not None:
                report.updated += 1
            else:
                report.unchanged += 1
            self.plan.append((key, contact, pid, d.get("relationship")))
            kept.append((n, values, cells))
        return kept

    def write(self, good: list, progress) -> None:
        now = stamp()
        ids: dict[tuple, int] = {}
        for r in self.conn.execute("SELECT id, name, role, organization FROM care_team_member"):
            ids[(r[1], r[2], r[3])] = r[0]
        for key, (phone, email), pid, rel in self.plan:
            mid = ids.get(key)
            if mid is None:
                cur = self.conn.execute(
                    "INSERT INTO care_team_member (name, role, organization, phone, email, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (*key, phone, email, now),
                )
                mid = ids[key] = cur.lastrowid
            elif self.s.on_conflict == "update":
                self.conn.execute(
                    "UPDATE care_team_member SET phone = ?, email = ? WHERE id = ?",
                    (phone, email, mid),
                )
            if pid is not None:
                self.conn.execute(
                    "INSERT INTO patient_care_team (patient_id, member_id, relationship) "
                    "VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET relationship = "
                    "coalesce(excluded.relationship, relationship)",
                    (pid, mid, rel),
                )
