"""What a front door (the SSH server, the browser door) asks of the store: may this identity sign
in, the audit entries for every sign-in attempt and session, and the pass it gives each console.
The doors themselves live in omeconsole.serve.
"""

from __future__ import annotations

import socket
from pathlib import Path

from omeconsole.core.audit.log import UNKNOWN_ACTOR, AuditEntry, Outcome, os_account
from omeconsole.core.dkm.unlocking import env_passphrase, unlock
from omeconsole.core.door_pass import Door, DoorPass, issue
from omeconsole.core.rules import front_door_refusal
from omeconsole.core.store.store import Store
from omeconsole.core.text.times import utcnow

SIGN_IN = "ssh sign-in"
SESSION = "ssh session"
SESSION_END = "ssh session end"
TARGETS: dict[Door, str] = {"ssh": "console over SSH", "browser": "console in a browser"}


class FrontDoorDesk:
    """One store, seen from one front door. Safe to call from several threads (the audit log locks itself)."""

    def __init__(self, root: Path, door: Door = "ssh"):
        self.store = Store.open(root)
        self.door = door
        self.origin = f"{door} door on {socket.gethostname()}"
        self.target = TARGETS[door]
        self._pass_key: bytes | None = None

    def organization(self) -> str:
        with self.store.reading():
            return self.store.load_tenant().organization

    def check_keyring(self) -> None:
        """A door records every attempt in the keyed audit log and signs each console's pass: without
        the keyring (a passphrase nobody gave) it must not start. Raises OmeError with the reason."""
        self.store.audit.chain_key()

    def refusal(self, address: str) -> str | None:
        """Why this identity may not open a console now (read afresh: the tenant may have changed)."""
        with self.store.reading():
            tenant = self.store.load_tenant()
        return front_door_refusal(tenant, address)

    def record(self, actor: str | None, action: str, outcome: Outcome, detail: str, peer: str) -> AuditEntry:
        """Append one entry, durably, before the door acts on it. Raises OmeError if it cannot."""
        with self.store.reading():
            tenant = self.store.load_tenant()
            user = tenant.user(actor) if actor else None
            role = user.role.value if user else "outsider"
            return self.store.audit.append(actor=actor or UNKNOWN_ACTOR, role=role, action=action,
                                           target=self.target, outcome=outcome, detail=detail,
                                           origin=f"{self.origin} from {peer}; {os_account()}")

    def door_pass(self, identity: str, detail: str, peer: str) -> str:
        """The pass a console started for IDENTITY checks (core/door_pass.py)."""
        if self._pass_key is None:  # unlocked once: a passphrase takes a moment to stretch
            self._pass_key = unlock(self.store.root, env_passphrase()).door_pass_key()
        return issue(self._pass_key, DoorPass(self.door, identity, detail, peer, utcnow()))
