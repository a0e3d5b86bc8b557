"""The Typer command line: one module per command group, thin over services and io."""
