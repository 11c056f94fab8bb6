"""Unlocking the keyring for what needs it beyond key material: the audit chain and door passes.

Every change and every refusal is written to the audit log, whose chain is keyed by the master
key, so a process that records anything needs the keyring: the key file, or the passphrase.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from omeconsole.core.dkm.keyring import KEYRING_FILE, Keyring
from omeconsole.core.errors import StoreError

PASSPHRASE_ENV = "OMECONSOLE_PASSPHRASE"
Passphrase = Callable[[], str]


def env_passphrase() -> Passphrase | None:
    value = os.environ.get(PASSPHRASE_ENV)
    return (lambda: value) if value else None


def has_keyring(root: Path) -> bool:
    return (Path(root) / KEYRING_FILE).exists()


def unlock(root: Path, passphrase: Passphrase | None) -> Keyring:
    """The unlocked keyring; when it needs a passphrase nobody gave, one line saying why it is needed."""
    if passphrase is None and Keyring.metadata(root).protection == "passphrase":
        raise StoreError("this store's keyring is protected by a passphrase, and every change or refusal is "
                         "recorded in the audit log, whose chain the keyring keys: set OMECONSOLE_PASSPHRASE "
                         "(or run in a terminal, to be asked); nothing was changed")
    return Keyring.unlock(root, passphrase)


def stored_chain_key(root: Path) -> bytes | None:
    """The audit chain key, from the key file or OMECONSOLE_PASSPHRASE; None while there is no keyring."""
    if not has_keyring(root):
        return None
    return unlock(root, env_passphrase()).audit_chain_key()
