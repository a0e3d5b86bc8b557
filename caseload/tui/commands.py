"""The command palette's patient provider: jump to any patient by name, id or phone.

It asks the same indexed finder as the Patients screen, off the UI thread
(``asyncio.to_thread``), ten at a time.
"""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import Hit, Hits, Provider

from caseload.tui.widgets.format import name


class PatientProvider(Provider):
    async def search(self, query: str) -> Hits:
        app = self.app
        store = getattr(app, "store", None)
        if store is None or getattr(app, "locked", True) or not query.strip():
            return
        try:
            page = await asyncio.to_thread(store.find, query, limit=10, status=None)
        except Exception:  # a palette search must never take the app down
            return
        for p in page.rows:
            label = f"{name(p)}  {p['external_id']}"
            yield Hit(
                1.0,
                label,
                partial(app.open_patient, p["external_id"]),  # type: ignore[attr-defined]
                help=f"open patient · {p.get('phone') or ''}",
            )
