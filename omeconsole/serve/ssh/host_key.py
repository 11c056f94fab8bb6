"""The SSH door's host key: read if present (and private to its owner), else made once, 0600."""

from __future__ import annotations

import stat
from pathlib import Path

import asyncssh

from omeconsole.core.errors import StoreError
from omeconsole.core.store.files import write_atomic


def load_or_create_host_key(path: Path) -> tuple[asyncssh.SSHKey, bool]:
    """The host key and whether it was just created."""
    path = Path(path)
    if path.exists():
        return _read(path), False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = asyncssh.generate_private_key("ssh-ed25519", comment="omeconsole host key")
    write_atomic(path, key.export_private_key())
    return key, True


def _read(path: Path) -> asyncssh.SSHKey:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise StoreError(f"the host key {path} can be read by others (mode {stat.S_IMODE(mode):04o}); "
                         f"run: chmod 600 {path}")
    try:
        return asyncssh.read_private_key(path)
    except (asyncssh.KeyImportError, ValueError) as error:
        raise StoreError(f"the host key {path} is not an SSH private key ({error}); it was left untouched") from None
    except OSError as error:
        raise StoreError(f"cannot read the host key {path}: {error.strerror}") from None
