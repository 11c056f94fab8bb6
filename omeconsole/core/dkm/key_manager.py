"""Key operations: status, rotate, rewrap, destroy, purge-expired, decrypt under elevation, the group."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from omeconsole.core.context import ContextService
from omeconsole.core.dkm import group
from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.core.dkm.envelope import ACCOUNT_CREDENTIAL, PORTAL_CONTENT, open_sealed, rewrap
from omeconsole.core.dkm.keyring import DESTROYED, MAX_ROTATION_DAYS, Keyring, KeyVersion
from omeconsole.core.errors import NotFound, Refused, UsageError
from omeconsole.core.mail.flow import read_portal_content
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.text.addresses import normalize_address
from omeconsole.core.text.message_ids import normalize_message_id
from omeconsole.core.text.times import format_iso


@dataclass(frozen=True)
class KeyringStatus:
    protection: str
    rotation_days: int
    next_rollover: datetime
    versions: list[KeyVersion]
    wrapped: Counter  # key version -> how many data keys it wraps

    def to_record(self) -> dict:
        return {
            "Protection": self.protection, "RotationPeriodDays": self.rotation_days,
            "NextRollover": format_iso(self.next_rollover),
            "Versions": [{"Version": v.version, "Created": format_iso(v.created), "State": v.state,
                          "DataKeys": self.wrapped.get(v.version, 0)} for v in self.versions],
        }


class KeyManager(ContextService):

    def _admin(self, action: str, target: str = "keyring") -> Keyring:
        self.context.reload_tenant()
        self.context.require_admin(action, target)
        return self.context.keyring()

    # -- reading -----------------------------------------------------------------------

    def count_wrapped(self) -> Counter[int]:
        """Wrapped keys by version; not those an interrupted revocation is still to destroy."""
        counts, going = Counter[int](), self.store.keys_awaiting_destruction()
        for path in self.store.datakey_shards():
            counts.update(int(record["key_version"]) for record in self.store.read_data_keys(path)
                          if record["message_id"] not in going)
        counts.update(int(a["wrapped"]["key_version"]) for a in self.store.accounts())
        return counts

    def status(self) -> KeyringStatus:
        """Versions, states and counts. Reads no key material: no passphrase needed."""
        self.context.require_overseer("keys status")
        with self.store.reading():
            keyring = Keyring.metadata(self.store.root)
            counts = self.count_wrapped()
        return KeyringStatus(keyring.protection, keyring.rotation_days, keyring.next_rollover(),
                             keyring.versions, counts)

    # -- changing ----------------------------------------------------------------------

    def rotate(self) -> KeyVersion:
        with self.store.writing():
            keyring = self._admin("keys rotate")
            old = keyring.primary.version
            self.context.audit("keys rotate", f"key version {old + 1}", "success",
                                f"by hand; version {old} archived (decrypts, no longer encrypts)")
            return keyring.rotate(self.context.clock())

    def set_rotation_days(self, days: int) -> int:
        if not 1 <= days <= MAX_ROTATION_DAYS:
            raise UsageError(f"the rotation period is 1 to {MAX_ROTATION_DAYS} days; got {days}")
        with self.store.writing():
            keyring = self._admin("keys policy")
            self.context.audit("keys policy", "keyring", "success",
                                f"rotation period {keyring.rotation_days} -> {days} days")
            keyring.set_rotation_days(days)
        return days

    def rewrap(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Move every wrapped data key to the primary, shard by shard. No secret is ever opened."""
        with self.store.writing():
            keyring = self._admin("keys rewrap")
            primary = keyring.primary.version
            shards = self.store.datakey_shards()
            self.context.audit("keys rewrap", f"key version {primary}", "success",
                                f"every wrapped data key moves to the primary, version {primary}")
            moved = 0
            for done, path in enumerate(shards, 1):
                old = {r["message_id"]: r for r in self.store.read_data_keys(path) if r["key_version"] != primary}
                if old:
                    self.store.update_data_keys(path, {mid: rewrap(keyring, PORTAL_CONTENT, mid, record)
                                                       for mid, record in old.items()})
                    moved += len(old)
                if progress:
                    progress(done, len(shards))
            for account in self.store.accounts():
                if account["wrapped"]["key_version"] != primary:
                    account["wrapped"] = rewrap(keyring, ACCOUNT_CREDENTIAL, account["id"], account["wrapped"])
                    self.store.save_account(account)
                    moved += 1
        return moved

    def destroy_below(self, below: int) -> list[int]:
        target = f"key versions below {below}"
        with self.store.writing():
            keyring = self._admin("keys destroy", target)
            doomed = [v.version for v in keyring.versions if v.version < below and v.state != DESTROYED]
            problem = self._destroy_problem(keyring, below, doomed)
            if problem:
                raise self.context.refuse("keys destroy", target, Refused(problem))
            self.context.audit("keys destroy", f"key versions {', '.join(map(str, doomed))}", "success",
                                "destroyed for good: nothing is wrapped under them")
            keyring.destroy(doomed, self.context.clock())
        return doomed

    def _destroy_problem(self, keyring: Keyring, below: int, doomed: list[int]) -> str | None:
        """Why `keys destroy --below` may not go ahead: above the primary, nothing left, or keys still in use."""
        if below > keyring.primary.version:
            primary = keyring.primary.version
            return f"version {primary} is the primary; --below may be at most {primary}"
        if not doomed:
            return f"no key version below {below} is left to destroy"
        counts = self.count_wrapped()
        busy = ", ".join(f"version {v} wraps {counts[v]} data key(s)" for v in sorted(doomed) if counts[v])
        return f"cannot destroy: {busy}; run 'omeconsole keys rewrap' first" if busy else None

    def purge_expired(self) -> list[str]:
        """Destroy the content keys of expired messages, which keep them until this is run."""
        with self.store.writing():
            self._admin("keys purge-expired", "expired messages")
            now = self.context.clock()
            candidates = [m.message_id for batch in self.store.search(TraceQuery()) for m in batch
                          if m.is_expired(now) and m.revocation is None]
            expired = self.store.with_data_keys(candidates)
            if expired:
                self.context.audit("keys purge-expired", f"{len(expired)} message(s)", "success",
                                    "content keys of expired messages destroyed")
                self.store.destroy_data_keys(expired)
        return expired

    # -- key material, under elevation only --------------------------------------------

    def decrypt(self, message_id: str) -> tuple[str, str]:
        """(elevation ID, body): a message's content, for troubleshooting, under an active elevation."""
        canonical = normalize_message_id(message_id)
        with self.store.writing():
            self.context.reload_tenant()
            elevation = ElevatedAccess(self.context).require_active("keys decrypt", canonical)
            message = self._elevated_load(canonical)
            wrapped = self.store.get_data_key(canonical)
            if message.sealed_content is None or wrapped is None:
                why = "it was revoked" if message.revocation else "it holds no portal copy or its key was purged"
                raise self.context.refuse("keys decrypt", canonical, Refused(
                    f"the content key of {canonical} is destroyed ({why}); no one can decrypt it"))
            self.context.audit("keys decrypt", canonical, "success", f"elevation use under {elevation.id}")
            plaintext = open_sealed(self.context.keyring(), PORTAL_CONTENT, canonical, message.sealed_content,
                                    wrapped)
        return elevation.id, read_portal_content(plaintext)["body"]

    def _elevated_load(self, canonical: str):
        """The message to decrypt. Only an elevated admin gets this far, and load() audits a missing
        message only for plain users, so the refusal is audited here."""
        try:
            return self.context.load(canonical, "keys decrypt")
        except NotFound as error:
            self.context.audit("keys decrypt", canonical, "refused", str(error))
            raise

    # -- the DKM security group --------------------------------------------------------

    def members(self) -> tuple[group.ServiceAccount, ...]:
        self.context.require_reader("keys group")
        return group.MEMBERS

    def add_member(self, address: str) -> None:
        """Refused, always, for a person: people reach keys only through elevation."""
        address = normalize_address(address, "member")
        with self.store.writing():
            if group.is_service_account(address):
                raise self.context.refuse("keys group add", address, Refused(
                    f"{address} is already a member of the DKM security group"))
            raise self.context.refuse("keys group add", address, Refused(
                f"{address} is a person; the DKM security group holds service accounts only. "
                "For troubleshooting, request a time-bound elevation with 'omeconsole access request'"))
