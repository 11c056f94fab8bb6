"""The context: one acting identity on one store, and the gate every service passes through.

It resolves who is acting (and refuses a service account, or a forged front-door pass), holds
the tenant and the unlocked keyring, and writes the audit log: every change and every refusal
is recorded before the change itself, under the store's exclusive lock. The services, one
module per Exchange feature, take a Context and check its identity against `rules`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from omeconsole.core import door_pass as door_passes
from omeconsole.core.audit.log import AuditEntry, Outcome, default_origin
from omeconsole.core.dkm.group import KEY_ROLLOVER_SERVICE, is_service_account
from omeconsole.core.dkm.keyring import Keyring
from omeconsole.core.dkm.unlocking import has_keyring, unlock
from omeconsole.core.door_pass import DoorPass
from omeconsole.core.errors import NotFound, Refused, StoreError
from omeconsole.core.mail.model import Message
from omeconsole.core.rules import (
    Actor,
    RevocationDecision,
    can_read,
    check_revocation,
    door_requirement,
    is_tenant_user,
    require_global_admin,
    sees_all_messages,
)
from omeconsole.core.store.store import Store
from omeconsole.core.tenant.model import Tenant
from omeconsole.core.text.addresses import normalize_address
from omeconsole.core.text.message_ids import normalize_message_id
from omeconsole.core.text.times import utcnow


class Context:
    """One acting identity's view of one store."""

    def __init__(self, store: Store, actor_address: str | None = None, *, face: str = "cli",
                 clock: Callable[[], datetime] = utcnow, passphrase: Callable[[], str] | None = None,
                 door_pass: str | None = None, keyring: Keyring | None = None):
        self.store = store
        self.clock = clock
        self.origin = default_origin(face)
        self.door: DoorPass | None = None  # the front door that vouched for this identity, if any
        self._passphrase = passphrase
        self._keyring: Keyring | None = keyring  # a long-running service shares one it unlocked once
        store.audit.key_source = self._chain_key
        with store.reading():
            self.tenant = store.load_tenant()
        if actor_address is None:
            admin = self.tenant.first_global_admin()
            if admin is None:
                raise StoreError("the tenant has no Global Administrator; name an identity with --as")
            actor_address = admin.address
        self.actor = Actor.resolve(self.tenant, normalize_address(actor_address, "identity (--as)"))
        if is_service_account(self.actor.address):
            raise self.refuse("sign-in", self.actor.address, Refused(
                f"{self.actor.address} is a service account; service accounts act only inside "
                "omeconsole's own services and never sign in"))
        if door_pass is not None:
            self._admit_through_door(door_pass, face)

    def _admit_through_door(self, text: str, face: str) -> None:
        """Check the pass a front door started this console with; from now on the record names the door."""
        try:
            self.door = door_passes.read(self._unlocked().door_pass_key(), text, self.actor.address, self.clock())
        except Refused as error:
            raise self.refuse("sign-in", self.actor.address, error) from None
        self.origin = default_origin(face, self.door.describe())

    @classmethod
    def open(cls, root: Path, actor_address: str | None = None, **kwargs) -> Context:
        return cls(Store.open(root), actor_address, **kwargs)

    # -- audit -----------------------------------------------------------------------

    def audit(self, action: str, target: str, outcome: Outcome, detail: str = "") -> AuditEntry:
        role = self.actor.role.value if self.actor.role else "outsider"
        return self.store.audit.append(actor=self.actor.address, role=role, action=action, target=target,
                                       outcome=outcome, detail=detail, origin=self.origin, at=self.clock())

    def audit_as_service(self, service: str, action: str, target: str, detail: str,
                         role: str = "service-account") -> AuditEntry:
        """An action of omeconsole's own (a key use by a DKM service account, an expiry), for this identity."""
        return self.store.audit.append(actor=service, role=role, action=action, target=target,
                                       outcome="success", detail=f"{detail}; on behalf of {self.actor.address}",
                                       origin=self.origin, at=self.clock())

    def keyring(self) -> Keyring:
        """The unlocked keyring as it is now on disk. Under the exclusive lock, a due rollover happens
        first, audited. Read afresh each time: another process may have rotated it since."""
        keyring = self._unlocked() if self._keyring is None else self._keyring.reread()
        self._keyring = keyring
        if self.store.lock.exclusive and keyring.rollover_due(self.clock()):
            old = keyring.primary.version
            self.audit_as_service(KEY_ROLLOVER_SERVICE, "keys rollover", f"key version {old + 1}",
                                  f"rotation period of {keyring.rotation_days} days reached; "
                                  f"version {old} archived")
            keyring.rotate(self.clock())
        return keyring

    def _unlocked(self) -> Keyring:
        if self._keyring is None:
            self._keyring = unlock(self.store.root, self._passphrase)
        return self._keyring

    def _chain_key(self) -> bytes | None:
        """The audit chain's key, from the keyring this Context unlocks anyway (one passphrase prompt)."""
        if self._keyring is None and not has_keyring(self.store.root):
            return None
        return self._unlocked().audit_chain_key()

    def require_door(self, action: str, target: str) -> None:
        """Refused (audited) when the tenant counts this action only through a front door it did not come by."""
        why = door_requirement(self.tenant, action, self.door.door if self.door else None)
        if why:
            raise self.refuse(action, target, Refused(why))

    def refuse(self, action: str, target: str, error: Refused) -> Refused:
        self.audit(action, target, "refused", "; ".join(error.reasons) or str(error))
        return error

    def require_admin(self, action: str, target: str) -> None:
        try:
            require_global_admin(self.actor, action)
        except Refused as error:
            raise self.refuse(action, target, error) from None

    def require_reader(self, action: str, target: str = "") -> None:
        """Only the tenant's users read anything; an outsider's attempt is refused and audited."""
        if not is_tenant_user(self.actor):
            raise self.refuse(action, target or self.tenant.organization,
                              Refused(f"{self.actor.address} is not a user of {self.tenant.organization}"))

    def require_overseer(self, what: str) -> None:
        """The audit log and the keyring's status are for admins and helpdesk."""
        self.require_reader(what)
        if not sees_all_messages(self.actor):
            raise self.refuse(what, self.tenant.organization, Refused(
                f"{what} is for admins and helpdesk; {self.actor.label} may not read it"))

    # -- tenant ----------------------------------------------------------------------

    def reload_tenant(self) -> None:
        self.tenant = self.store.load_tenant()

    # -- reading ---------------------------------------------------------------------

    def load(self, message_id: str, action: str = "read message") -> Message:
        """A message this actor may read, by any pasted shape of its Message ID. A user's attempt at
        a message they may not read is audited (whether or not it exists, which it does not reveal)."""
        canonical = normalize_message_id(message_id)
        self.require_reader(action, canonical)
        message = self.store.get_message(canonical)
        if message is None or not can_read(self.actor, message):
            raise self.not_visible(action, canonical)
        return message

    def not_visible(self, action: str, canonical: str) -> NotFound:
        """No such message for this identity. A user's attempt is audited, and never says whether it exists."""
        if sees_all_messages(self.actor):
            return NotFound(f"no message with Message ID {canonical}")
        self.audit(action, canonical, "refused", "no such message among those this identity may see")
        return NotFound(f"no message with Message ID {canonical} among the messages you sent")

    def decide(self, message: Message) -> RevocationDecision:
        return check_revocation(message, self.actor, self.tenant, self.clock())


class ContextService:
    """A service that acts as one Context's identity, on its store and clock."""

    def __init__(self, context: Context):
        self.context = context
        self.store = context.store

    @property
    def actor(self) -> Actor:
        return self.context.actor

    @property
    def tenant(self) -> Tenant:
        return self.context.tenant
