"""Importing records: ``run`` reads, checks and writes a file in one transaction.

``base`` holds the settings, the report and the shared lookups; ``check`` the
row checker; ``patients`` and ``rows`` the writers, one per kind (the static
table in ``run``). Import a submodule: ``from caseload.io.importing import base, run``.
"""
