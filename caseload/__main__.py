"""`python -m caseload`: the same entry point as the `caseload` script."""

from caseload.cli.main import run

if __name__ == "__main__":
    run()
