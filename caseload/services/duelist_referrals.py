"""The due list's two side queries: referrals overdue (open past their expected-response
date) and the failed attempts of the follow-ups on the list ("attempt 2 of 3").

Each is a small query of its own (the referral table; one index probe per item),
so the follow-up list's fast SQL path is untouched; io/duelist.py prints the
referrals in their own section and the attempts under their items.
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
        # CROSS JOIN keeps referrals (thousands) the outer loop: the planner would otherwise
        # walk every active patient (100k at program scale) and probe referrals for each.
        "CROSS JOIN patient p ON p.id = r.patient_id "
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


# --- attempts: the failed contacts logged against the follow-ups on the list ------------


def attempt_text(failed: int, needed: int) -> str:
    """``attempt 2 of 3`` (the next one), or ``3 attempts: may close as unable to reach``."""
    if failed < needed:
        return f"attempt {failed + 1} of {needed}"
    return f"{failed} attempts: may close as unable to reach"


def attempts(conn, followup_ids: list[int], needed: int) -> dict[int, str]:
    """``attempt N of M`` for each follow-up with failed attempts (one index probe each)."""
    if not followup_ids:
        return {}
    import json

    rows = conn.execute(
        "SELECT followup_id, count(*) FROM contact INDEXED BY ix_contact_followup_id "
        "WHERE followup_id IN (SELECT value FROM json_each(?)) AND outcome <> 'reached' "
        "AND +addendum_to IS NULL GROUP BY followup_id",
        (json.dumps(followup_ids),),
    ).fetchall()
    return {fid: attempt_text(n, needed) for fid, n in rows}
