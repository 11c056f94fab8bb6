"""A front door's pass: how a console learns, in a way a shell user cannot forge, that a door
authenticated the person it serves.

The SSH door (and the browser door) starts each console with a pass in its environment: the
door, the identity, how it was authenticated (a key fingerprint, a token's start time), the
peer and the time, with an HMAC under a key derived from the master key. The console checks it
when it opens, so what it records and what it may do (tenant setting approvals-require-door)
rest on the door, not on `--as`. Forging a pass needs the keyring (and its passphrase, if it has
one), as recomputing the audit chain does. A pass is good for a short while after it is made:
long enough for the console to start, too short to be worth lifting from a running process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from omeconsole.core.dkm.unlocking import env_passphrase, unlock
from omeconsole.core.errors import Refused
from omeconsole.core.text.times import format_iso, load_iso

DOOR_PASS_ENV = "OMECONSOLE_DOOR_PASS"
LIFETIME = timedelta(minutes=2)
Door = Literal["ssh", "browser"]
DOORS: dict[str, str] = {"ssh": "the SSH door", "browser": "the browser door"}
MAX_PASS = 4096  # characters; a real one is about 400


@dataclass(frozen=True)
class DoorPass:
    door: Door
    identity: str
    detail: str  # how the door authenticated: "key SHA256:...", "token made 2026-11-28T06:00:00Z"
    peer: str
    issued: datetime

    def describe(self) -> str:
        return f"over {DOORS[self.door]} from {self.peer}, {self.detail}"

    def claims(self) -> bytes:
        return json.dumps({"door": self.door, "identity": self.identity, "detail": self.detail, "peer": self.peer,
                           "issued": format_iso(self.issued)}, sort_keys=True, separators=(",", ":")).encode()


def issue(key: bytes, door_pass: DoorPass) -> str:
    claims = door_pass.claims()
    return f"{_b64(claims)}.{_b64(hmac.new(key, claims, hashlib.sha256).digest())}"


def read(key: bytes, text: str, identity: str, now: datetime) -> DoorPass:
    """The pass, checked: made with this store's key, for this identity, and fresh; else Refused."""
    try:
        if len(text) > MAX_PASS:
            raise ValueError("too long")
        encoded_claims, encoded_tag = text.split(".")
        claims = _unb64(encoded_claims)
        if not hmac.compare_digest(
                _unb64(encoded_tag), hmac.new(key, claims, hashlib.sha256).digest()):
            raise ValueError("forged")
        fields = json.loads(claims)
        door_pass = DoorPass(fields["door"], fields["identity"], fields["detail"], fields["peer"],
                             load_iso(fields["issued"]))
        if door_pass.door not in DOORS:
            raise ValueError("unknown door")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Refused("the front door's pass is not valid (not made with this store's keyring)") from None
    if door_pass.identity != identity:
        raise Refused(f"the front door's pass is for {door_pass.identity}, not {identity}")
    if not door_pass.issued - timedelta(seconds=5) <= now <= door_pass.issued + LIFETIME:
        raise Refused("the front door's pass has expired; connect through the door again")
    return door_pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_for_store(root: Path, door_pass: DoorPass) -> str:
    """A door's pass for a console on the store at root, signed with its keyring (key file or
    OMECONSOLE_PASSPHRASE, which a door already needs to keep the audit log)."""
    return issue(unlock(root, env_passphrase()).door_pass_key(), door_pass)
