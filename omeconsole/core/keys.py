"""All key handling lives here: envelope encryption of message content.

Each message's content is sealed with its own random 256-bit data key (AES-256-GCM,
associated data binding the Message ID and the key version). The data key is wrapped
(RFC 3394 AES key wrap) by the store's master key and kept apart from the message,
so that destroying it makes the content unreadable. The key manager issue grows the
single master key into a keyring of versions.
"""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from omeconsole.core.errors import StoreError

KEY_VERSION = 1
MASTER_KEY_FILE = "master.key"
_KEY_BYTES = 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _associated_data(message_id: str, version: int) -> bytes:
    return f"omeconsole/content/v1|{message_id}|key-version:{version}".encode("utf-8")


class ContentKeys:
    """Seals and opens message content with per-message data keys under the master key."""

    def __init__(self, store_dir: Path):
        self.path = Path(store_dir) / MASTER_KEY_FILE
        self._master: bytes | None = None

    def create(self) -> None:
        """Write a new random master key, readable only by its owner. Never overwrites one."""
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, os.urandom(_KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)

    def _master_key(self) -> bytes:
        if self._master is None:
            self._master = self._load_master()
        return self._master

    def _load_master(self) -> bytes:
        try:
            info = self.path.stat()
            key = self.path.read_bytes()
        except FileNotFoundError:
            raise StoreError(f"the master key file {self.path} is missing; sealed content cannot be opened") from None
        except OSError as exc:
            raise StoreError(f"cannot read the master key file {self.path}: {exc.strerror}") from None
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise StoreError(f"the master key file {self.path} is readable by others; make it 0600 (chmod 600)")
        if len(key) != _KEY_BYTES:
            raise StoreError(f"the master key file {self.path} is not a {_KEY_BYTES}-byte key; it was altered")
        return key

    def seal(self, message_id: str, plaintext: bytes) -> tuple[dict, dict]:
        """Return (sealed content for the message, wrapped data key for the key store)."""
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, _associated_data(message_id, KEY_VERSION))
        sealed = {"key_version": KEY_VERSION, "nonce": _b64(nonce), "ciphertext": _b64(ciphertext)}
        wrapped = {"key_version": KEY_VERSION, "wrapped_key": _b64(aes_key_wrap(self._master_key(), data_key))}
        return sealed, wrapped

    def open(self, message_id: str, sealed: dict, wrapped: dict) -> bytes:
        try:
            version = int(sealed["key_version"])
            data_key = aes_key_unwrap(self._master_key(), _unb64(wrapped["wrapped_key"]))
            return AESGCM(data_key).decrypt(
                _unb64(sealed["nonce"]), _unb64(sealed["ciphertext"]), _associated_data(message_id, version)
            )
        except (InvalidTag, InvalidUnwrap, KeyError, ValueError, TypeError):
            raise StoreError(
                f"the sealed content of {message_id} does not open with its key: it or its key was altered"
            ) from None
