"""The shipped reminder templates (package data): ``<lang>.txt`` and optional ``<lang>.<kind>.txt``."""
