"""The command palette's patient provider: jump to any patient by name, id or phone.

It asks the same indexed finder as the Patients screen, off the UI thread
(``asyncio.to_thread``), ten at a time.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import Hit, Hits, Provider

from caseload.tui.render import name

if TYPE_CHECKING:
    from caseload.tui.app import CaseloadApp


class PatientProvider(Provider):
    async def search(self, query: str) -> Hits:
        app = cast("CaseloadApp", self.app)
        store = app.store
        if store is None or app.locked or not query.strip():
            return
        try:
            page = await asyncio.to_thread(store.find, query, limit=10, status=None)
        except Exception:  # a palette search must never take the app down
            return
        for p in page.rows:
            yield Hit(
                1.0,
                f"{name(p)}  {p['external_id']}",
                partial(app.open_patient, p["external_id"]),
                help=f"open patient · {p.get('phone') or ''}",
            )
