"""The synthetic caseload behind `caseload demo`: its word pools, row builder, generator and store.

It sits beside io (above services and store): it reads the domain's rules
(``services.schedule``) and writes through the store, and only the CLI, the TUI
and the tests import it. Nothing is imported here eagerly.
"""
