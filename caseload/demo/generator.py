"""A synthetic caseload for `caseload demo`: realistic, deterministic per seed, bulk-inserted fast.

Everything comes from one ``random.Random(seed)`` and the ``today`` given, never
the clock, so a seed and a day always give the same store. Rows are built as
tuples (``rows``) in chunks of patients and written with the DBAPI's
``executemany`` on the session's own connection, all in one transaction: the
ORM would take minutes at 100,000 patients.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from caseload.demo import discharges
from caseload.demo import followups as demo_followups
from caseload.demo import plans as demo_plans
from caseload.demo.rows import COLUMNS, WITH_ID, RowBuilder
from caseload.errors import Invalid
from caseload.services import audit

CHUNK = 10_000  # patients per batch: bounds memory at any size


def _sql(table: str) -> str:
    from caseload.models import metadata

    cols = COLUMNS[table]
    sa_cols = metadata.tables[table].c
    marks = ", ".join("NULLIF(?, '')" if sa_cols[c].nullable else "?" for c in cols)
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})"


def _next_ids(raw) -> dict[str, int]:
    return {
        t: raw.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {t}").fetchone()[0] for t in WITH_ID
    }


def generate(
    engine,
    *,
    patients: int,
    seed: int,
    today: date,
    followups_per_patient: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write a synthetic caseload into the store; returns the number of rows per table.

    One transaction and one audit event for the whole generation; ``progress``
    is called with (patients written, patients in all) after each chunk.
    """
    from caseload.store.engine import session

    if patients < 1:
        raise Invalid("the demo needs at least 1 patient")
    if followups_per_patient < 0:
        raise Invalid("followups per patient cannot be negative")
    with session(engine, write=True) as s:
        raw = s.connection().connection.dbapi_connection
        # A 64 MB page cache keeps the follow-up indexes in memory while they grow.
        old_cache = raw.execute("PRAGMA cache_size").fetchone()[0]
        raw.execute("PRAGMA cache_size = -65536")
        try:
            gen = RowBuilder(
                random.Random(seed), today, followups_per_patient, patients, _next_ids(raw)
            )
            gen.shapes = demo_followups.followup_shapes(gen)
            gen.seed = seed  # past discharges draw from their own generator (demo.discharges)
            first = {t: [] for t in COLUMNS}
            pool = gen.team_pool(first)
            _write(raw, first)
            gen.counts["care_team_member"] += len(first["care_team_member"])
            for start in range(0, patients, CHUNK):
                count = min(CHUNK, patients - start)
                _write(raw, _chunk(gen, start, count, pool))
                if progress is not None:
                    progress(start + count, patients)
        finally:
            raw.execute(f"PRAGMA cache_size = {int(old_cache)}")
        counts = gen.counts
        audit.record(
            s,
            "demo.generate",
            "store",
            None,
            patients=patients,
            seed=seed,
            followups=counts["followup"],
            contacts=counts["contact"],
        )
    return counts


def _chunk(b: RowBuilder, start: int, count: int, pool: dict) -> dict[str, list[tuple]]:
    """Every row of patients ``start`` .. ``start + count - 1``, table by table."""
    rows: dict[str, list[tuple]] = {t: [] for t in COLUMNS}
    for index in range(start, start + count):
        p = b.patient(index, rows, pool)
        b.team_links(p, rows, pool)
        if p["transition"]:
            demo_followups.transition(b, p, rows)
        goals = demo_plans.care_plans(b, p, rows)
        b.history(p, rows, goals)
        demo_followups.followups(b, p, rows)
        if b.r() < (0.08 if b.light else 0.25):
            demo_plans.referral(b, p, rows)
        discharges.history(b, p, rows)
    for table, got in rows.items():
        b.counts[table] += len(got)
    return rows


def _write(raw, rows: dict[str, list[tuple]]) -> None:
    """Insert in dependency order (COLUMNS' order): foreign keys are checked per statement."""
    for table in COLUMNS:
        if rows.get(table):
            raw.executemany(_sql(table), rows[table])
