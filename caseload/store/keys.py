"""Where the store's key comes from, in SPEC's order, and how keys are written and shown.

Sources, tried in order: ``--key-file``/``CASELOAD_KEY_FILE``; ``CASELOAD_PASSPHRASE``;
the OS keyring (service ``caseload``, username the absolute store path); a prompt,
only when stdin is a terminal. A key is either a raw 256-bit key (keyring and key
file stores: no KDF cost on open) or a passphrase (through SQLCipher's KDF).

The recovery key is the store's raw 256-bit key written in base32 groups. For a
passphrase store it is the key SQLCipher derives from the passphrase and the
file's salt, so the recovery key alone opens any store.
"""

from __future__ import annotations

import base64
import getpass
import os
import re
import stat
import sys
import threading
from pathlib import Path
from typing import NamedTuple

from caseload.errors import StoreLocked
from caseload.testhooks import crash_point

SERVICE = "caseload"
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{64}$")
_RECOVERY = re.compile(r"^([A-Z2-7]{4}-){12}[A-Z2-7]{4}$")
# SQLCipher 4 defaults: PBKDF2-HMAC-SHA512, 256,000 iterations, 16-byte salt at file start.
_KDF_ITER = 256_000
_SALT_LEN = 16

# A new passphrase (typed, or from CASELOAD_PASSPHRASE at init / CASELOAD_NEW_PASSPHRASE
# at rotate) is at least this long; an existing one is taken as it is.
MIN_PASSPHRASE = 12

NO_KEY_MESSAGE = (
    "no key for the store: pass --key-file, set CASELOAD_KEY_FILE or CASELOAD_PASSPHRASE, "
    "or run on a terminal to type it"
)


class Key(NamedTuple):
    """A key and where it came from; the secret never appears in repr or errors."""

    secret: str
    raw: bool
    source: str

    def __repr__(self) -> str:
        return f"Key(raw={self.raw!r}, source={self.source!r})"

    __str__ = __repr__

    def pragma_literal(self) -> str:
        """The value for ``PRAGMA key = …`` / ``rekey`` / ``ATTACH … KEY …``."""
        if self.raw:
            return f"\"x'{self.secret.lower()}'\""
        return "'" + self.secret.replace("'", "''") + "'"

    def for_file(self) -> str:
        return self.secret + "\n"


def new_raw_key(source: str) -> Key:
    import secrets  # (a new key only: not on the cron path)

    return Key(secrets.token_hex(32), raw=True, source=source)


def parse_key_text(text: str, source: str) -> Key:
    """Key file / keyring / prompt text: 64 hex digits or a recovery key is raw; else passphrase."""
    text = text.strip("\r\n")
    if _HEX_KEY.match(text):
        return Key(text.lower(), raw=True, source=source)
    raw = decode_recovery_key(text)
    if raw is not None:
        return Key(raw, raw=True, source=source)
    if not text:
        raise StoreLocked(f"the key from {source} is empty")
    return Key(text, raw=False, source=source)


def recovery_key_for(raw_hex: str) -> str:
    """Show a raw key as 13 groups of 4 base32 characters."""
    b32 = base64.b32encode(bytes.fromhex(raw_hex)).decode("ascii").rstrip("=")
    return "-".join(b32[i : i + 4] for i in range(0, len(b32), 4))


def decode_recovery_key(text: str) -> str | None:
    """The raw hex key a recovery key stands for, or None if ``text`` is not one."""
    cleaned = text.strip().upper().replace(" ", "")
    if not _RECOVERY.match(cleaned):
        return None
    b32 = cleaned.replace("-", "")
    try:
        raw = base64.b32decode(b32 + "=" * (-len(b32) % 8))
    except ValueError:
        return None
    return raw.hex() if len(raw) == 32 else None


def derived_raw_key(key: Key, db_path: Path) -> str:
    """The raw key SQLCipher uses for this store (for a passphrase: PBKDF2 over the file salt)."""
    if key.raw:
        return key.secret
    with open(db_path, "rb") as fh:
        salt = fh.read(_SALT_LEN)
    import hashlib  # a passphrase's key only: not imported on a key file's cron path

    dk = hashlib.pbkdf2_hmac("sha512", key.secret.encode("utf-8"), salt, _KDF_ITER, dklen=32)
    return dk.hex()


# --- key files -----------------------------------------------------------------


def check_key_file_mode(path: Path, st: os.stat_result | None = None) -> None:
    if os.name == "nt":  # POSIX modes mean nothing there; NTFS ACLs are the user's
        return
    mode = stat.S_IMODE((st or path.stat()).st_mode)
    if mode & 0o077:
        raise StoreLocked(
            f"key file {path} is readable by group or others (mode {mode:04o}); "
            f"run: chmod 600 {path}"
        )


def read_key_file(path: Path) -> Key:
    """The key in a regular 0600 file; anything else is refused with exit 3.

    Opened without blocking and checked with ``fstat``: a FIFO, a device or a
    folder named as the key file would otherwise hang or be read as a key.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise StoreLocked(f"key file {path} does not exist") from None
    except OSError as exc:
        raise StoreLocked(f"key file {path} could not be read: {exc.__class__.__name__}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise StoreLocked(
                f"key file {path} is not a regular file; name the file holding the key"
            )
        check_key_file_mode(path, st)
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(64 * 1024)
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreLocked(f"key file {path} could not be read: {exc.__class__.__name__}") from None
    except OSError as exc:
        raise StoreLocked(f"key file {path} could not be read: {exc.__class__.__name__}") from None
    finally:
        os.close(fd)
    return parse_key_text(text, f"key file {path}")


def is_whole_raw_key(path: Path) -> bool:
    """Whether ``path`` holds a complete raw key, as every key caseload writes does.

    A pending rotation key is written whole and fsynced before the store changes;
    an empty or torn one was never used, so it can go.
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read(256)
    except OSError:
        return False
    return bool(_HEX_KEY.match(data.decode("ascii", "replace").strip("\r\n")))


def pending_file(key_file: Path) -> Path:
    """Where `key rotate` keeps a new key until the store has taken it: ``<key file>.new``."""
    return key_file.with_name(key_file.name + ".new")


def torn_pending(key_file: Path | None) -> Path | None:
    """A pending key file that is empty or torn: killed while it was written, so never used."""
    if key_file is None:
        return None
    pending = pending_file(key_file)
    if pending.is_file() and not is_whole_raw_key(pending):
        return pending
    return None


def write_key_file(path: Path, key: Key, *, replace: bool = False) -> None:
    """Write a key with mode 0600; never over an existing file unless ``replace``."""
    path = path.expanduser()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    target = path
    if replace:
        target = path.with_name(path.name + f".tmp{os.getpid()}")
        target.unlink(missing_ok=True)
    fd = os.open(target, flags, 0o600)
    try:
        crash_point("key-file-created")  # the test of a pending key killed while written
        os.write(fd, key.for_file().encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    if replace:
        os.replace(target, path)


# --- keyring -------------------------------------------------------------------


def with_timeout(fn, timeout: float):
    """Run a keyring call in a daemon thread so a hung backend cannot hang caseload."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except Exception as exc:  # any backend failure means "move on"
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True, name="caseload-keyring")
    t.start()
    t.join(timeout)
    if t.is_alive():
        return None, TimeoutError(f"keyring did not answer within {timeout:g} s")
    return box.get("value"), box.get("error")


def keyring_username(db_path: Path) -> str:
    return str(db_path.expanduser().resolve())


def keyring_get(db_path: Path, timeout: float) -> Key | None:
    def get():
        import keyring

        return keyring.get_password(SERVICE, keyring_username(db_path))

    value, error = with_timeout(get, timeout)
    if error is not None or not value:
        return None
    return parse_key_text(value, "the keyring")


def keyring_set(db_path: Path, key: Key, timeout: float) -> str | None:
    """Store the key in the keyring; returns None on success, else why it failed."""

    def put():
        import keyring

        keyring.set_password(SERVICE, keyring_username(db_path), key.secret)
        return True

    value, error = with_timeout(put, timeout)
    if error is not None or not value:
        return f"{error.__class__.__name__}" if error else "no answer"
    return None


def keyring_delete(db_path: Path, timeout: float) -> None:
    def delete():
        import keyring

        keyring.delete_password(SERVICE, keyring_username(db_path))
        return True

    with_timeout(delete, timeout)


# --- resolution ----------------------------------------------------------------


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def key_file_from_env(cli_value: Path | None) -> Path | None:
    if cli_value is not None:
        return cli_value.expanduser()
    env = os.environ.get("CASELOAD_KEY_FILE")
    return Path(env).expanduser() if env else None


def resolve_key(
    db_path: Path, key_file: Path | None, *, keyring_timeout: float = 5.0, prompt: bool = True
) -> Key | None:
    """The key to open ``db_path``, from the first source that has one; else exit 3.

    With ``prompt=False`` (the TUI, which asks on its own unlock screen) no source
    means None instead of a prompt or an error.
    """
    key_file = key_file_from_env(key_file)
    if key_file is not None:
        return read_key_file(key_file)
    passphrase = os.environ.get("CASELOAD_PASSPHRASE")
    if passphrase:
        return Key(passphrase, raw=False, source="CASELOAD_PASSPHRASE")
    from_keyring = keyring_get(db_path, keyring_timeout)
    if from_keyring is not None:
        return from_keyring
    if not prompt:
        return None
    if stdin_is_terminal():
        typed = getpass.getpass(f"Key, passphrase or recovery key for {db_path}: ")
        return parse_key_text(typed, "the prompt")
    raise StoreLocked(NO_KEY_MESSAGE)


def prompt_new_passphrase() -> Key:
    """Ask twice for a new passphrase (only on a terminal)."""
    if not stdin_is_terminal():
        raise StoreLocked(
            "no usable keyring and no terminal to ask for a passphrase: pass --key-file PATH "
            "or set CASELOAD_PASSPHRASE"
        )
    first = getpass.getpass(f"New passphrase (at least {MIN_PASSPHRASE} characters): ")
    if len(first) < MIN_PASSPHRASE:
        raise StoreLocked(f"passphrase too short: use at least {MIN_PASSPHRASE} characters")
    if getpass.getpass("Repeat the passphrase: ") != first:
        raise StoreLocked("the two passphrases differ")
    return Key(first, raw=False, source="the prompt")


def new_passphrase_from_env(var: str) -> Key | None:
    """A new passphrase from environment variable ``var``; too short is a usage error (exit 2)."""
    from caseload.errors import UsageError

    value = os.environ.get(var)
    if not value:
        return None
    if len(value) < MIN_PASSPHRASE:
        raise UsageError(
            f"{var} is too short for a new passphrase: use at least {MIN_PASSPHRASE} characters"
        )
    return Key(value, raw=False, source=var)
