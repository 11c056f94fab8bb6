"""Where the master key comes from: a passphrase through Argon2id, or a 0600 key file."""

from __future__ import annotations

import base64
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from omeconsole.core.errors import StoreError, UsageError

KEY_BYTES = 32
KEY_FILE = "master.key"
MIN_PASSPHRASE = 12
# Argon2id, memory-hard: 64 MiB, 2 passes, 1 lane (about 0.13 s on this kind of machine).
ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_ITERATIONS = 2
ARGON2_LANES = 1


@dataclass(frozen=True)
class KdfSettings:
    salt: bytes
    memory_kib: int = ARGON2_MEMORY_KIB
    iterations: int = ARGON2_ITERATIONS
    lanes: int = ARGON2_LANES

    def to_doc(self) -> dict:
        return {"kdf": "argon2id", "salt": base64.b64encode(self.salt).decode("ascii"),
                "memory_kib": self.memory_kib, "iterations": self.iterations, "lanes": self.lanes}

    @classmethod
    def from_doc(cls, doc: dict) -> KdfSettings:
        if doc.get("kdf") != "argon2id":
            raise ValueError(f"unknown KDF {doc.get('kdf')!r}")
        return cls(base64.b64decode(doc["salt"]), int(doc["memory_kib"]), int(doc["iterations"]), int(doc["lanes"]))

    def derive(self, passphrase: str) -> bytes:
        kdf = Argon2id(salt=self.salt, length=KEY_BYTES, iterations=self.iterations, lanes=self.lanes,
                       memory_cost=self.memory_kib)
        return kdf.derive(passphrase.encode("utf-8"))


def check_new_passphrase(passphrase: str) -> str:
    passphrase = passphrase.rstrip("\r\n")
    if len(passphrase) < MIN_PASSPHRASE:
        raise UsageError(f"the passphrase must be at least {MIN_PASSPHRASE} characters")
    return passphrase


def create_key_file(root: Path) -> bytes:
    """A new random master key in a file only its owner can read. Never overwrites one."""
    path = Path(root) / KEY_FILE
    key = os.urandom(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise StoreError(f"the master key file {path} already exists; nothing was changed") from None
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def load_key_file(root: Path) -> bytes:
    path = Path(root) / KEY_FILE
    try:
        info = path.stat()
        key = path.read_bytes()
    except FileNotFoundError:
        raise StoreError(f"the master key file {path} is missing; the keyring cannot be opened") from None
    except OSError as exc:
        raise StoreError(f"cannot read the master key file {path}: {exc.strerror}") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise StoreError(f"the master key file {path} is readable by others; make it 0600 (chmod 600 {path})")
    if len(key) != KEY_BYTES:
        raise StoreError(f"the master key file {path} is not a {KEY_BYTES}-byte key; it was altered")
    return key
