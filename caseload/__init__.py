"""caseload: a terminal caseload manager for care coordinators."""

__version__ = "0.1.0"
