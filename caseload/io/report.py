"""Writers for the program report: text (80-column paper), table, CSV, JSON and Markdown.

The page layouts (the text paper, the table's rows, the Markdown sections) are
the report's own; every cell and document goes through the shared formats
(io/formats.py: JSON document, CSV with the one formula neutraliser, Markdown
cells) and io/tables.py (widths, the table renderer).
"""

from __future__ import annotations

import textwrap
from typing import TextIO

from caseload.io import formats
from caseload.io.tables import Col, cells, dropped_note, fit, render, width_for
from caseload.services.redaction import initials

FORMATS = ("text", "table", "csv", "json", "markdown")
WIDTH = 80
CSV_KEYS = ("measure", "figure", "label", "numerator", "denominator", "share", "value", "unit")
DETAIL_KEYS = ("measure", "figure", "patient_external_id", "patient_name", "item", "result", "why")


def prepared(report, *, redacted: bool, detail: bool) -> dict:
    """The report as plain data, names as initials when ``redacted``."""
    data = report.as_dict(with_detail=detail)
    if redacted and detail:
        for m in data["measures"]:
            for f in m["figures"]:
                for row in f["detail"]:
                    row["patient_name"] = initials(row["patient_name"])
    return data


def write(
    report, fmt: str, out: TextIO, *, redacted=False, detail=False, store="", width=WIDTH
) -> int:
    """Write ``report`` in ``fmt``; returns the number of detail rows written.

    ``width``: the text's columns (80 for paper; the TUI passes the width it has)."""
    data = prepared(report, redacted=redacted, detail=detail)
    if fmt == "json":
        formats.write_document(out, data, indent=1)
    elif fmt == "csv":
        _csv(data, out, detail)
    elif fmt == "text":
        _text(data, out, detail, store, width)
    elif fmt == "markdown":
        _markdown(data, out, detail, store)
    elif fmt == "table":
        _table(data, out, detail)
    else:
        raise ValueError(f"unknown report format {fmt!r}")
    return sum(len(f.get("detail", ())) for m in data["measures"] for f in m["figures"])


# "1 business day", not "1 business days" (the units the measures use).
SINGULAR = {
    "business days": "business day",
    "days": "day",
    "patient-months": "patient-month",
    "contacts per reach": "contact per reach",
}


def figure_text(f: dict) -> str:
    """``12 of 15  80%``, ``1.5 business days (n=12)``, ``—`` when there is nothing to count."""
    if f["value"] is not None or f["numerator"] is None:
        if f["value"] is None:
            return "—" if f["denominator"] is None else f"— (n={f['denominator']})"
        value = f["value"]
        v = f"{value:g}" if isinstance(value, float) else f"{value:,}"
        n = "" if f["denominator"] is None else f" (n={f['denominator']:,})"
        unit = SINGULAR.get(f["unit"], f["unit"]) if value == 1 else f["unit"]
        return f"{v} {unit}{n}" if unit else v + n
    if f["denominator"] is None:
        return f"{f['numerator']:,}"
    share = "" if f["share"] is None else f"  {round(100 * f['share']):>3}%"
    return f"{f['numerator']:,} of {f['denominator']:,}{share}"


def _detail_line(row: dict) -> str:
    name = f" {row['patient_name']}" if row.get("patient_name") else ""
    return f"{row['patient_external_id']}{name} · {row['item']} · {row['result']}: {row['why']}"


# --- text (paper) -------------------------------------------------------------------


def _wrap(text: str, indent: str, width: int = WIDTH) -> list[str]:
    out = []
    for line in textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + "  "):
        while cells(line) > width:  # wide characters: textwrap counts code points
            out.append(fit(line, width).rstrip())
            line = indent + "  " + line[len(out[-1]) - 1 :].lstrip()
        out.append(line)
    return out


def header_lines(data: dict, store: str, width: int = WIDTH) -> list[str]:
    title = f"Program report: {data['period']['label']}"
    prog = f"program {data['program']}" if data["program"] else "all programs"
    lines = [
        title,
        f"{data['period']['start']} to {data['period']['end']} · as of {data['as_of']} · {prog}",
        "=" * width,
    ]
    return lines


def _text(data: dict, out: TextIO, detail: bool, store: str, width: int = WIDTH) -> None:
    lines = header_lines(data, store, width)
    for n, m in enumerate(data["measures"], 1):
        lines += ["", f"{n}. {m['title']}", "-" * cells(f"{n}. {m['title']}")]
        for f in m["figures"]:
            value = figure_text(f)
            label = fit(f["label"], width - 4 - max(cells(value), 22)).rstrip()
            lines.append(f"  {label} " + value.rjust(width - 3 - cells(label)))
            if detail:
                for row in f.get("detail", ()):
                    lines += _wrap(_detail_line(row), "      ", width)
        for note in m["notes"]:
            lines += _wrap(f"note: {note}", "  ", width)
    lines += ["", "-" * width, "Definitions"]
    for n, m in enumerate(data["measures"], 1):
        lines += _wrap(f"[{n}] {m['definition']}", "", width)
    if store:
        lines += _wrap(f"Store: {store}", "", width)
    lines += _wrap(
        "Counts are computed from the contacts, follow-ups, discharges, plans and "
        "referrals logged in the store; see docs/reports.md.",
        "",
        width,
    )
    out.write("\n".join(lines) + "\n")


# --- table, CSV, markdown ---------------------------------------------------------------

TABLE = [
    Col("measure", drop=1),
    Col("label", "figure", text=True, min_width=20),
    Col("figure_text", "count", right=True),
]


def _table(data: dict, out: TextIO, detail: bool) -> None:
    rows = [
        {"measure": m["key"], "label": f["label"], "figure_text": figure_text(f)}
        for m in data["measures"]
        for f in m["figures"]
    ]
    width = width_for(out)
    title = f"Program report {data['period']['start']} to {data['period']['end']}"
    table = render(TABLE, rows, width=width, title=title)
    out.write("\n".join(table.lines) + "\n")
    if table.dropped:
        out.write(textwrap.fill(dropped_note(table.dropped, width), max(width, 40)) + "\n")
    if detail:
        for m in data["measures"]:
            for f in m["figures"]:
                for row in f["detail"]:
                    out.write(f"{m['key']}.{f['key']}: {_detail_line(row)}\n")


def _csv(data: dict, out: TextIO, detail: bool) -> None:
    """One row per figure; with ``detail``, one row per detail line instead (its own columns)."""
    rows = [
        {"measure": m["key"], "figure": f["key"], **r}
        for m in data["measures"]
        for f in m["figures"]
        for r in (f["detail"] if detail else [f])
    ]
    formats.write_csv(out, DETAIL_KEYS if detail else CSV_KEYS, rows)


_md = formats.markdown_cell


def _markdown(data: dict, out: TextIO, detail: bool, store: str) -> None:
    prog = data["program"] or "all programs"
    out.write(f"# Program report: {data['period']['label']}\n\n")
    out.write(
        f"{data['period']['start']} to {data['period']['end']}, as of {data['as_of']}, "
        f"{_md(prog)}\n"
    )
    for n, m in enumerate(data["measures"], 1):
        out.write(f"\n## {n}. {m['title']}\n\n| Figure | Count |\n|---|---|\n")
        for f in m["figures"]:
            out.write(f"| {_md(f['label'])} | {_md(figure_text(f))} |\n")
        for note in m["notes"]:
            out.write(f"\nNote: {_md(note)}\n")
        if detail:
            rows = [(f, r) for f in m["figures"] for r in f["detail"]]
            if rows:
                out.write("\n| Figure | Patient | Item | Result | Why |\n|---|---|---|---|---|\n")
            for f, r in rows:
                who = f"{r['patient_external_id']} {r['patient_name'] or ''}".strip()
                out.write(
                    f"| {f['key']} | {_md(who)} | {_md(r['item'])} | {_md(r['result'])} "
                    f"| {_md(r['why'])} |\n"
                )
    out.write("\n## Definitions\n\n")
    for n, m in enumerate(data["measures"], 1):
        out.write(f"{n}. **{_md(m['title'])}**: {_md(m['definition'])}\n")
    if store:
        out.write(f"\nStore: {_md(store)}\n")
