"""The keyring: numbered key versions, one primary, each sealed by the master key.

Rotation adds a version and archives the old primary, which stops encrypting but keeps
decrypting. Destroying a version is a separate, deliberate step, refused by the caller
while anything is still wrapped under it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from omeconsole.core.dkm.master import KdfSettings, create_key_file, load_key_file
from omeconsole.core.errors import StoreDamaged, StoreError
from omeconsole.core.store.files import open_db
from omeconsole.core.text.times import format_iso, load_iso

KEYRING_FILE = "keyring.json"
DEFAULT_ROTATION_DAYS = 30
MAX_ROTATION_DAYS = 365
PRIMARY, ARCHIVED, DESTROYED = "primary", "archived", "destroyed"
# In the settings: an entry the audit log's keyed chain had reached when it became keyed (core/audit/log.py),
# so a log stripped back to its plain SHA-256 chain does not pass for one made before keying. Never removed.
AUDIT_PIN = "audit_keyed_by"
_DOC_ERRORS = (KeyError, TypeError, ValueError)


def b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")  # base64.b64encode's, one call less


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass
class KeyVersion:
    version: int
    created: datetime
    state: str
    sealed_material: dict | None  # the version's key, sealed by the master key; None once destroyed
    archived_at: datetime | None = None
    destroyed_at: datetime | None = None

    def to_doc(self) -> dict:
        return {"version": self.version, "created": format_iso(self.created), "state": self.state,
                "material": self.sealed_material, "archived_at": format_iso(self.archived_at),
                "destroyed_at": format_iso(self.destroyed_at)}

    @classmethod
    def from_doc(cls, doc: dict) -> KeyVersion:
        state = doc["state"]
        if state not in (PRIMARY, ARCHIVED, DESTROYED):
            raise ValueError(f"unknown state {state!r}")
        return cls(int(doc["version"]), load_iso(doc["created"]), state, doc.get("material"),
                   load_iso(doc.get("archived_at")), load_iso(doc.get("destroyed_at")))


def _material_aad(version: int) -> bytes:
    return f"omeconsole/keyring|key-version:{version}".encode()


class Keyring:
    def __init__(self, root: Path, settings: dict, versions: list[KeyVersion], master: bytes):
        self.path = Path(root) / KEYRING_FILE
        self.settings = settings
        self.versions = versions
        self._master = master
        self._materials: dict[int, bytes] = {}
        self._aeads: dict[int, tuple[bytes, AESGCM]] = {}  # by version: its material, and the cipher of it

    # -- creating and unlocking --------------------------------------------------------

    @classmethod
    def create(cls, root: Path, now: datetime, passphrase: str | None = None) -> Keyring:
        if (Path(root) / KEYRING_FILE).exists():
            raise StoreError(f"{Path(root) / KEYRING_FILE} already exists; nothing was changed")
        if passphrase is None:
            settings = {"protection": "key-file", "rotation_days": DEFAULT_ROTATION_DAYS}
            master = create_key_file(root)
        else:
            kdf = KdfSettings(os.urandom(16))
            settings = {"protection": "passphrase", "rotation_days": DEFAULT_ROTATION_DAYS, **kdf.to_doc()}
            master = kdf.derive(passphrase)
        keyring = cls(root, settings, [], master)
        keyring.versions.append(keyring._new_version(1, now))
        settings["checkpoint_public_key"] = keyring.checkpoint_public_key()
        keyring.save()
        return keyring

    @classmethod
    def metadata(cls, root: Path) -> Keyring:
        """Versions and settings only: no master key, nothing that opens."""
        path = Path(root) / KEYRING_FILE
        if not path.exists():
            raise StoreError(f"the keyring {path} is missing; sealed secrets cannot be opened")
        with open_db(path) as db:
            settings_docs, version_docs = db.table("settings").all(), db.table("versions").all()
        try:
            settings = dict(settings_docs[0])
            if settings["protection"] not in ("key-file", "passphrase"):
                raise ValueError(f"unknown protection {settings['protection']!r}")
            int(settings["rotation_days"])
            versions = sorted((KeyVersion.from_doc(d) for d in version_docs), key=lambda v: v.version)
        except (IndexError, *_DOC_ERRORS) as exc:
            raise StoreDamaged(path, f"a keyring record is malformed ({exc})") from None
        keyring = cls(root, settings, versions, b"")
        _ = keyring.primary  # exactly one primary, or StoreDamaged now rather than later
        return keyring

    @classmethod
    def unlock(cls, root: Path, passphrase: Callable[[], str] | None) -> Keyring:
        keyring = cls.metadata(root)
        try:
            keyring._master = cls._master_key(root, keyring.settings, passphrase)
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreDamaged(keyring.path, f"its passphrase settings are malformed ({exc})") from None
        keyring._check_master()
        return keyring

    def reread(self) -> Keyring:
        """The keyring as it is on disk now (another process may have rotated it), opened with the
        master key already unlocked, so a passphrase is asked for once per process."""
        fresh = Keyring.metadata(self.path.parent)
        fresh._master = self._master
        fresh._check_master()
        return fresh

    @staticmethod
    def _master_key(root: Path, settings: dict, passphrase: Callable[[], str] | None) -> bytes:
        if settings["protection"] == "key-file":
            return load_key_file(root)
        if passphrase is None:
            raise StoreError("the keyring is protected by a passphrase: set OMECONSOLE_PASSPHRASE or run in a terminal")
        return KdfSettings.from_doc(settings).derive(passphrase())

    def _check_master(self) -> None:
        """The primary must open under this master key: a wrong passphrase or altered key file stops here."""
        try:
            self._material(self.primary.version)
        except InvalidTag:
            if self.protection == "passphrase":
                raise StoreError(f"wrong passphrase for the keyring {self.path}; nothing was changed") from None
            raise StoreError(f"the master key file does not open the keyring {self.path}: the key file or the "
                             "keyring was altered; nothing was changed") from None

    def save(self) -> None:
        """The whole keyring, keeping the audit pin another writer may have added since it was read."""
        with open_db(self.path) as db:
            on_disk = db.table("settings").all()
            if on_disk and AUDIT_PIN in on_disk[0]:
                self.settings.setdefault(AUDIT_PIN, on_disk[0][AUDIT_PIN])
            db.storage.write({"settings": {"1": self.settings},
                              "versions": {str(i): v.to_doc() for i, v in enumerate(self.versions, 1)}})

    # -- versions ----------------------------------------------------------------------

    @property
    def protection(self) -> str:
        return self.settings["protection"]

    @property
    def rotation_days(self) -> int:
        return int(self.settings["rotation_days"])

    @property
    def primary(self) -> KeyVersion:
        primaries = [v for v in self.versions if v.state == PRIMARY]
        if len(primaries) != 1:
            raise StoreDamaged(self.path, f"it has {len(primaries)} primary key versions instead of one")
        return primaries[0]

    def version(self, number: int) -> KeyVersion | None:
        return next((v for v in self.versions if v.version == number), None)

    def next_rollover(self) -> datetime:
        return self.primary.created + timedelta(days=self.rotation_days)

    def rollover_due(self, now: datetime) -> bool:
        return now >= self.next_rollover()

    def _new_version(self, number: int, now: datetime) -> KeyVersion:
        key, nonce = AESGCM.generate_key(bit_length=256), os.urandom(12)
        sealed = AESGCM(self._master).encrypt(nonce, key, _material_aad(number))
        self._materials[number] = key
        return KeyVersion(number, now, PRIMARY, {"nonce": b64(nonce), "ciphertext": b64(sealed)})

    def rotate(self, now: datetime) -> KeyVersion:
        """A new primary; the old one is archived (decrypts, no longer encrypts)."""
        old = self.primary
        new = self._new_version(max(v.version for v in self.versions) + 1, now)
        old.state, old.archived_at = ARCHIVED, now
        self.versions.append(new)
        self.save()
        return new

    def destroy(self, numbers: list[int], now: datetime) -> None:
        for version in self.versions:
            if version.version in numbers:
                version.state, version.sealed_material, version.destroyed_at = DESTROYED, None, now
                self._materials.pop(version.version, None)
        self.save()

    def set_rotation_days(self, days: int) -> None:
        self.settings["rotation_days"] = days
        self.save()

    def _material(self, number: int) -> bytes:
        if number not in self._materials:
            version = self.version(number)
            if version is None:
                raise StoreError(f"key version {number} is not in the keyring")
            if version.state == DESTROYED or version.sealed_material is None:
                raise StoreError(f"key version {number} was destroyed; what it wrapped can never be opened")
            sealed = version.sealed_material
            self._materials[number] = AESGCM(self._master).decrypt(
                unb64(sealed["nonce"]), unb64(sealed["ciphertext"]), _material_aad(number))
        return self._materials[number]

    def _aead(self, number: int) -> AESGCM:
        """The version's cipher, made once (a bulk wrap, the demo's, wraps a million keys)."""
        material = self._material(number)
        cached = self._aeads.get(number)
        if cached is None or cached[0] is not material:
            cached = self._aeads[number] = (material, AESGCM(material))
        return cached[1]

    # -- wrapping data keys ------------------------------------------------------------

    def wrap(self, data_key: bytes, owner_aad: str, version: int | None = None) -> dict:
        """Wrap under the primary. Only history (the demo's) names an older version."""
        version = version or self.primary.version
        nonce = os.urandom(12)
        wrapped = self._aead(version).encrypt(nonce, data_key, _wrap_aad(owner_aad, version))
        return {"key_version": version, "nonce": b64(nonce), "wrapped_key": b64(wrapped)}

    def unwrap(self, record: dict, owner_aad: str) -> bytes:
        version = int(record["key_version"])
        return self._aead(version).decrypt(unb64(record["nonce"]), unb64(record["wrapped_key"]),
                                           _wrap_aad(owner_aad, version))

    # -- derived keys ------------------------------------------------------------------

    def _derived(self, purpose: str) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=f"omeconsole/{purpose}".encode()).derive(self._master)

    def keyed_hash(self, value: str) -> str:
        """How the audit log names a sensitive value without holding it."""
        digest = hmac.new(self._derived("audit-keyed-hash"), value.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"hmac-sha256:{digest[:32]}"

    def audit_chain_key(self) -> bytes:
        """The key of the audit log's HMAC chain (audit.py)."""
        return self._derived("audit-chain")

    def door_pass_key(self) -> bytes:
        """The key that signs a front door's pass for the console it starts (door_pass.py)."""
        return self._derived("door-pass")

    def portal_key(self) -> bytes:
        """The key of the OME portal's passcode hashes and session cookies (core/ome/portal_sign_in.py)."""
        return self._derived("ome-portal")

    def checkpoint_signing_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self._derived("audit-checkpoint-ed25519"))

    def checkpoint_public_key(self) -> str:
        """Kept in the keyring's settings in clear: verifying a checkpoint needs no secret."""
        return b64(self.checkpoint_signing_key().public_key().public_bytes_raw())


def read_audit_pin(root: Path) -> object:
    """The audit pin as the keyring's settings hold it (unchecked: the audit log checks it); None when
    there is none, or no keyring."""
    path = Path(root) / KEYRING_FILE
    if not path.exists():
        return None
    with open_db(path) as db:
        settings = db.table("settings").all()
    return settings[0].get(AUDIT_PIN) if settings else None


def write_audit_pin(root: Path, pin: dict) -> None:
    """Add the audit pin to the settings. The caller holds the audit log's lock, and every other writer of
    the keyring (Keyring.save) keeps a pin it finds, so the pin is written once and stays."""
    with open_db(Path(root) / KEYRING_FILE) as db:
        settings = db.table("settings")
        for doc in settings.all()[:1]:
            settings.update({AUDIT_PIN: pin}, doc_ids=[doc.doc_id])


def _wrap_aad(owner_aad: str, version: int) -> bytes:
    return f"omeconsole/datakey|{owner_aad}|key-version:{version}".encode()
