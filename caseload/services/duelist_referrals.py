"""Referrals overdue for the due list: open (sent or accepted) past their expected-response date.

A separate small query on the referral table (thousands of rows at program
scale), so the follow-up list's fast path is untouched; io/duelist.py prints
these in their own section after the follow-ups.
"""

from __future__ import annotations

from datetime import date, timedelta


def overdue(
    conn, day: date, overdue_days: int | None = None, *, redacted: bool = False
) -> list[dict]:
    """Open referrals of active patients whose answer was expected before ``day``, oldest first
    (those more than ``overdue_days`` past it are left off, as the follow-ups are)."""
    from caseload.services.redaction import initials, mask_phone

    oldest = (day - timedelta(days=overdue_days)).isoformat() if overdue_days else "0000"
    rows = conn.execute(
        "SELECT r.id, p.external_id, p.given_name || ' ' || p.family_name, p.phone, p.language, "
        "r.to_name, r.sent_on, r.expected_response_on FROM referral r "
        "JOIN patient p ON p.id = r.patient_id "
        "WHERE r.status IN ('sent', 'accepted') AND r.expected_response_on < ? "
        "AND r.expected_response_on >= ? AND p.status = 'active' "
        "ORDER BY r.expected_response_on, r.id",
        (day.isoformat(), oldest),
    ).fetchall()
    out = []
    for rid, ext, name, phone, lang, to_name, sent, expected in rows:
        exp = date.fromisoformat(expected[:10])
        out.append(
            {
                "referral_id": rid,
                "patient_external_id": ext,
                "patient_name": initials(name) if redacted else name,
                "phone": mask_phone(phone) if redacted else phone,
                "language": lang,
                "to_name": "•••" if redacted else to_name,
                "sent_on": sent[:10],
                "expected_response_on": exp.isoformat(),
                "days_overdue": (day - exp).days,
            }
        )
    return out
