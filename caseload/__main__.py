"""`python -m caseload`: the same entry point as the `caseload` script."""

from caseload.launcher import main

if __name__ == "__main__":
    main()
