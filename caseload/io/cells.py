"""The one spreadsheet-formula neutraliser, for every CSV and XLSX caseload writes (lists and exports)."""

from __future__ import annotations

FORMULA = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A leading apostrophe on text a spreadsheet would run as a formula (the importer's
    ``unneutralise()`` removes exactly this); other text as it is."""
    if text and (text[0] in FORMULA or (text[0] == "'" and text.lstrip("'")[:1] in FORMULA)):
        return "'" + text
    return text
