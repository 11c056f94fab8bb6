"""What a front door (the SSH server) asks of the store: may this identity sign in, and the audit
entries for every sign-in attempt and session. The door itself lives in omeconsole.serve.
"""

from __future__ import annotations

import socket
from pathlib import Path

from omeconsole.core.audit import AuditEntry
from omeconsole.core.rules import front_door_refusal
from omeconsole.core.store import Store

SIGN_IN = "ssh sign-in"
SESSION = "ssh session"
SESSION_END = "ssh session end"
UNKNOWN_ACTOR = "unknown"


class FrontDoorDesk:
    """One store, seen from a front door. Safe to call from several threads (the audit log locks itself)."""

    def __init__(self, root: Path):
        self.store = Store.open(root)
        self.origin = f"ssh door on {socket.gethostname()}"

    def organization(self) -> str:
        with self.store.reading():
            return self.store.load_tenant().organization

    def refusal(self, address: str) -> str | None:
        """Why this identity may not open a console now (read afresh: the tenant may have changed)."""
        with self.store.reading():
            tenant = self.store.load_tenant()
        return front_door_refusal(tenant, address)

    def record(self, actor: str | None, action: str, outcome: str, detail: str, peer: str) -> AuditEntry:
        """Append one entry, durably, before the door acts on it. Raises OmeError if it cannot."""
        with self.store.reading():
            tenant = self.store.load_tenant()
            user = tenant.user(actor) if actor else None
            role = user.role.value if user else "outsider"
            return self.store.audit.append(actor=actor or UNKNOWN_ACTOR, role=role, action=action,
                                           target="console over SSH", outcome=outcome, detail=detail,
                                           origin=f"{self.origin} from {peer}")

