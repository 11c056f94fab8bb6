"""Envelope encryption: each secret sealed by its own data key, the data key wrapped by a key version."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from omeconsole.core.dkm.keyring import Keyring, b64, unb64
from omeconsole.core.errors import StoreError

PORTAL_CONTENT = "portal-content"  # owner: the Message ID
ACCOUNT_CREDENTIAL = "account-credential"  # owner: the connected account's ID
OUTBOUND_MAIL = "outbound-mail"  # owner: the queued delivery's ID


def _owner(purpose: str, owner: str) -> str:
    return f"{purpose}|{owner}"


def _content_aad(purpose: str, owner: str, version: int) -> bytes:
    return f"omeconsole/{purpose}|{owner}|sealed-under-key-version:{version}".encode()


def seal(keyring: Keyring, purpose: str, owner: str, plaintext: bytes,
         version: int | None = None) -> tuple[dict, dict]:
    """(sealed secret, wrapped data key). Both name the key version."""
    data_key, nonce = AESGCM.generate_key(bit_length=256), os.urandom(12)
    version = version or keyring.primary.version
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, _content_aad(purpose, owner, version))
    sealed = {"key_version": version, "nonce": b64(nonce), "ciphertext": b64(ciphertext)}
    return sealed, keyring.wrap(data_key, _owner(purpose, owner), version)


def open_sealed(keyring: Keyring, purpose: str, owner: str, sealed: dict, wrapped: dict) -> bytes:
    try:
        data_key = keyring.unwrap(wrapped, _owner(purpose, owner))
        return AESGCM(data_key).decrypt(unb64(sealed["nonce"]), unb64(sealed["ciphertext"]),
                                        _content_aad(purpose, owner, int(sealed["key_version"])))
    except (InvalidTag, KeyError, ValueError, TypeError):
        raise StoreError(f"the sealed {purpose} of {owner} does not open with its key: "
                         "it or its key was altered") from None


def rewrap(keyring: Keyring, purpose: str, owner: str, wrapped: dict) -> dict:
    """The same data key, wrapped by the primary. The secret itself is never opened."""
    try:
        data_key = keyring.unwrap(wrapped, _owner(purpose, owner))
    except (InvalidTag, KeyError, ValueError, TypeError):
        raise StoreError(f"the data key of {purpose} {owner} does not unwrap: it was altered") from None
    return keyring.wrap(data_key, _owner(purpose, owner))
