"""The layers stay apart: the domain loads no UI library, and import-linter's contracts hold."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UI_LIBRARIES = ("textual", "typer", "rich", "click")


def loaded_after(statement: str, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` a fresh interpreter has in sys.modules after ``statement``."""
    code = "\n".join(
        [
            "import sys",
            statement,
            f"print(' '.join(n for n in {names!r} if n in sys.modules))",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_check_sees_a_ui_import():
    """The control: the helper does report a library that was loaded."""
    assert loaded_after("import caseload.cli.main", UI_LIBRARIES) == ["typer"]


@pytest.mark.parametrize(
    "modules",
    [
        "caseload.services, caseload.store",
        "caseload.services.patients",
        "caseload.services.audit",
        "caseload.services.common",
        "caseload.services.dates",
        "caseload.store.engine, caseload.store.keys, caseload.store.schema",
        "caseload.store.backup, caseload.store.rekey, caseload.store.connect",
        "caseload.models, caseload.config, caseload.paths, caseload.errors",
        "caseload.demo.generator, caseload.demo.store",
    ],
)
def test_the_domain_loads_no_ui_library(modules):
    assert loaded_after(f"import {modules}", UI_LIBRARIES) == []


def test_using_the_store_and_services_loads_no_ui_library(tmp_path):
    statement = textwrap.dedent(
        f"""
        from pathlib import Path
        from caseload.services import patients
        from caseload.store.connect import create_file
        from caseload.store.engine import open_store, session
        from caseload.store.keys import Key
        db = Path({str(tmp_path / "h.db")!r})
        create_file(db)
        engine = open_store(db, Key("ab" * 32, raw=True, source="t"))
        with session(engine, write=True) as s:
            patients.add(s, external_id="H-1", given_name="A", family_name="B")
        engine.dispose()
        """
    )
    assert loaded_after(statement, UI_LIBRARIES) == []


def test_importing_caseload_alone_is_light():
    heavy = ("sqlalchemy", "sqlmodel", "sqlcipher3", "alembic", "keyring", *UI_LIBRARIES)
    assert loaded_after("import caseload", heavy) == []


def test_import_linter_contracts_hold():
    script = Path(sys.executable).with_name("lint-imports")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "importlinter.cli"]
    done = subprocess.run(
        [*command, "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Every contract in pyproject.toml was checked, and kept.
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    n = len(config["tool"]["importlinter"]["contracts"])
    assert n >= 6 and f"Contracts: {n} kept, 0 broken." in done.stdout


def test_no_module_imports_a_package_that_only_the_test_extra_brings():
    """click comes with import-linter in the test venv but not with caseload itself (typer
    vendors its own): a direct import passed every test yet broke a plain `pip install .`."""
    import re
    from pathlib import Path

    import caseload

    root = Path(caseload.__file__).parent
    pattern = re.compile(
        r"^\s*(import|from)\s+(click|pytest|hypothesis|aiosmtpd|importlinter)\b", re.M
    )
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
