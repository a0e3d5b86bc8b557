"""Every path caseload uses, resolved on demand; nothing is created at import.

Environment overrides (``CASELOAD_DB``, ``CASELOAD_CONFIG``, ``CASELOAD_KEY_FILE``)
win over the platform directories so that cron jobs and tests can point
anywhere without a config file.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "caseload"


def data_dir() -> Path:
    """The platform's user data directory for caseload (not created here)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def default_db() -> Path:
    """The store path: ``CASELOAD_DB`` if set, else ``<data dir>/caseload.db``."""
    env = os.environ.get("CASELOAD_DB")
    if env:
        return Path(env).expanduser()
    return data_dir() / "caseload.db"


def config_file() -> Path:
    env = os.environ.get("CASELOAD_CONFIG")
    if env:
        return Path(env).expanduser()
    return config_dir() / "config.toml"


def demo_db() -> Path:
    """The demo store lives apart from the real one so a demo never touches it."""
    return data_dir() / "demo" / "caseload-demo.db"


def key_file_beside(db: Path) -> Path:
    """The key file a demo store keeps next to itself."""
    return db.with_name(db.name + ".key")


def templates_dir() -> Path:
    """The user's reminder templates: a ``templates`` folder beside the config file."""
    return config_file().parent / "templates"


def shipped_templates():
    """The templates caseload ships (package data ``caseload/templates``)."""
    from importlib.resources import files

    return files("caseload.templates")


def printouts_dir(configured: str = "") -> Path:
    """Where the TUI writes printouts: config ``[caseload] printouts`` (``~`` expanded),
    else ``<data dir>/printouts``. Not created here."""
    if configured.strip():
        return Path(configured.strip()).expanduser()
    return data_dir() / "printouts"


def backups_dir(db: Path) -> Path:
    return db.parent / (db.name + ".backups")


def sidecars(db: Path) -> list[Path]:
    """The files SQLite keeps beside a database in WAL mode."""
    return [db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) as 0700 if missing; existing folders are left alone.

    A folder the user chose (say their home) must not have its mode changed.
    """
    if path.exists():
        return
    path.mkdir(parents=True, mode=0o700)
    os.chmod(path, 0o700)
