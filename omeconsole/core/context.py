"""The Console: one identity on one store, and the mail services both faces call:
send, trace, report, status, revoke, portal. Tenant administration, imports and the
key manager are sibling ConsoleServices in their own modules.

Every permission is checked here, not in a face. Every change and every refused revoke
is written to the audit log before the change itself, under the store's exclusive lock.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from omeconsole.core.text.addresses import normalize_address, unique
from omeconsole.core.audit.log import AuditEntry, default_origin
from omeconsole.core.dkm.envelope import PORTAL_CONTENT, open_sealed, seal
from omeconsole.core.dkm.group import KEY_ROLLOVER_SERVICE, PORTAL_SERVICE, is_service_account
from omeconsole.core.dkm.keyring import Keyring
from omeconsole.core.dkm.unlocking import has_keyring, unlock
from omeconsole.core import door_pass as door_passes
from omeconsole.core.door_pass import DoorPass
from omeconsole.core.errors import NotFound, Refused, StoreError, UsageError
from omeconsole.core.store.gcpause import collection_paused
from omeconsole.core.mail.flow import Draft, compose, portal_content, read_portal_content
from omeconsole.core.text.message_ids import normalize_message_id
from omeconsole.core.mail.model import (
    MAX_SUBJECT, EncryptionMethod, Message, Protection, Recipient, Revocation, TraceEvent,
)
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.encryption_report.summary import ReportTally
from omeconsole.core.message_trace.records import (
    PortalView, ReportResult, ReportRow, StatusResult, TraceResult, TraceRow, encryption_template_label,
)
from omeconsole.core.rules import (
    Actor, RevocationDecision, can_read, check_revocation, door_requirement, require_global_admin, require_send_as,
    sees_all_messages,
)
from omeconsole.core.store.store import Store
from omeconsole.core.tenant.model import Experience, validate_template_name
from omeconsole.core.text.times import format_iso, received_problem, utcnow
from omeconsole.core.store.trace_index import searches_by_day

MAX_BODY_BYTES = 25 * 1024 * 1024
MAX_RECIPIENTS = 500
REVOKED_TEXT = "The message has been revoked by the sender"
EXPIRED_TEXT = "The message has expired"


class Console:
    """One acting identity's view of one store."""

    def __init__(self, store: Store, actor_address: str | None = None, *, face: str = "cli",
                 clock: Callable[[], datetime] = utcnow, passphrase: Callable[[], str] | None = None,
                 door_pass: str | None = None):
        self.store = store
        self.clock = clock
        self.origin = default_origin(face)
        self.door: DoorPass | None = None  # the front door that vouched for this identity, if any
        self._passphrase = passphrase
        self._keyring: Keyring | None = None
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
    def open(cls, root: Path, actor_address: str | None = None, **kwargs) -> "Console":
        return cls(Store.open(root), actor_address, **kwargs)

    # -- audit -----------------------------------------------------------------------

    def audit(self, action: str, target: str, outcome: str, detail: str = "") -> AuditEntry:
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
        if self._keyring is None:
            self._unlocked()
        else:
            self._keyring = self._keyring.reread()
        if self.store.lock.exclusive and self._keyring.rollover_due(self.clock()):
            old = self._keyring.primary.version
            self.audit_as_service(KEY_ROLLOVER_SERVICE, "keys rollover", f"key version {old + 1}",
                                  f"rotation period of {self._keyring.rotation_days} days reached; "
                                  f"version {old} archived")
            self._keyring.rotate(self.clock())
        return self._keyring

    def _unlocked(self) -> Keyring:
        if self._keyring is None:
            self._keyring = unlock(self.store.root, self._passphrase)
        return self._keyring

    def _chain_key(self) -> bytes | None:
        """The audit chain's key, from the keyring this Console unlocks anyway (one passphrase prompt)."""
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
        if self.actor.role is None:
            raise self.refuse(action, target or self.tenant.organization,
                              Refused(f"{self.actor.address} is not a user of {self.tenant.organization}"))

    def require_overseer(self, what: str) -> None:
        """The audit log and the keyring's status are for admins and helpdesk."""
        self.require_reader(what)
        if not sees_all_messages(self.actor):
            raise self.refuse(what, self.tenant.organization, Refused(
                f"{what} is for admins and helpdesk; {self.actor.label} may not read it"))

    def audit_entries(self, target: str | None = None) -> list[AuditEntry]:
        """The audit log, or the entries about one target (a Message ID, a request, a key version)."""
        self.require_overseer("the audit log")
        with self.store.reading():
            entries = self.store.audit.entries()
        return entries if target is None else [e for e in entries if e.target == target]

    # -- tenant ----------------------------------------------------------------------

    def reload_tenant(self) -> None:
        self.tenant = self.store.load_tenant()

    def reindex(self) -> tuple[int, list[str]]:
        """Rebuild the trace index from the message shards. Returns how many messages it holds, and
        the message documents it could not read and so left out (each with its shard and why)."""
        self.require_admin("reindex", "trace index")
        with self.store.writing(mend_index=False):
            self.audit("reindex", "trace index", "success", "rebuilt from the message shards")
            count, skipped = self.store.reindex()
            if skipped:
                self.audit("reindex", "trace index", "success",
                           f"{len(skipped)} message document(s) could not be read and were not filed; "
                           f"the first: {skipped[0]}")
        return count, skipped

    # -- mail flow -------------------------------------------------------------------

    def send(self, *, sender: str, recipients: list[str], subject: str, body: str,
             protection: Protection = Protection.NONE, method=None, template: str | None = None,
             received: datetime | None = None) -> Message:
        draft = self._draft(sender, recipients, subject, body, protection, method, template, received)
        with self.store.writing():
            self.reload_tenant()
            try:
                require_send_as(self.actor, draft.sender)
            except Refused as error:
                raise self.refuse("send", draft.sender, error) from None
            if draft.template and not self.tenant.template(draft.template):
                raise NotFound(f"no branding template named \"{draft.template}\"; see 'omeconsole template list'")
            if draft.template:
                draft.template = self.tenant.template(draft.template).name
            message = self._compose_unique(draft)
            message.sealed_content, wrapped = seal(self.keyring(), PORTAL_CONTENT, message.message_id,
                                                   portal_content(subject, body))
            self.audit("send", message.message_id, "success",
                        f"from {draft.sender} to {len(draft.recipients)} recipient(s); "
                        f"{protection.title}" + (f", template \"{message.template}\"" if message.template else ""))
            self.store.put_messages([message], data_keys={message.message_id: wrapped})
        return message

    def _draft(self, sender, recipients, subject, body, protection, method, template, received) -> Draft:
        sender = normalize_address(sender, "sender (--from)")
        if not self.tenant.is_internal(sender):
            raise UsageError(f"the sender {sender} is not in an accepted domain of {self.tenant.organization}")
        addresses = unique(normalize_address(r, "recipient (--to)") for r in recipients)
        if not addresses:
            raise UsageError("a message needs at least one recipient (--to)")
        if len(addresses) > MAX_RECIPIENTS:
            raise UsageError(f"a message may have at most {MAX_RECIPIENTS} recipients; this one has {len(addresses)}")
        subject = subject.strip() if subject else ""
        if not subject or len(subject) > MAX_SUBJECT or "\n" in subject or "\r" in subject:
            raise UsageError(f"the subject must be one line of 1 to {MAX_SUBJECT} characters")
        try:
            if len((subject + body).encode("utf-8")) > MAX_BODY_BYTES:
                raise UsageError(f"the body is larger than {MAX_BODY_BYTES // 2**20} MiB")
        except UnicodeEncodeError:
            raise UsageError("the subject or body is not valid Unicode text (it holds a lone surrogate)") from None
        if template and protection is Protection.NONE:
            raise UsageError("a branding template applies only to encrypted mail; add --encrypt")
        when = received or self.clock()
        problem = received_problem(when, self.clock())
        if problem:
            raise UsageError(problem)
        return Draft(sender, addresses, subject, body, when, protection, method,
                     validate_template_name(template) if template else None)

    def _compose_unique(self, draft: Draft) -> Message:
        rng = random.SystemRandom()
        for _ in range(5):
            message = compose(self.tenant, draft, rng)
            if not self.store.message_exists(message.message_id):
                return message
        raise StoreError("could not allocate a unique Message ID")

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

    def trace(self, query: TraceQuery, limit: int | None = None) -> TraceResult:
        """Get-MessageTrace: one row per recipient, newest first; at most `limit` rows, the newest."""
        rows, truncated = [], False
        with self.store.reading(), collection_paused():
            if query.message_id:
                try:
                    rows = self._rows(query, [self.load(query.message_id, "trace")])
                except NotFound:
                    pass
            else:
                self.require_reader("trace")
                for batch in self.store.search(query):
                    rows.extend(self._rows(query, (m for m in batch if can_read(self.actor, m))))
                    if limit is not None and len(rows) > limit and searches_by_day(query):
                        break  # the batches still unread are older days
        rows.sort(key=_newest_first, reverse=True)
        if limit is not None and len(rows) > limit:
            rows, truncated = rows[:limit], True
        return TraceResult(rows, truncated, limit)

    @staticmethod
    def _rows(query: TraceQuery, messages: Iterable[Message]) -> list[TraceRow]:
        return [TraceRow(m, r) for m in messages if query.matches_message(m)
                for r in m.recipients if query.matches_recipient(r)]

    def trace_detail(self, message_id: str, recipient: str) -> tuple[Message, list[TraceEvent]]:
        """Get-MessageTraceDetail for one recipient of one message."""
        address = normalize_address(recipient, "recipient")
        with self.store.reading():
            message = self.load(message_id, "trace-detail")
        row = message.recipient(address)
        if row is None:
            raise NotFound(f"{address} is not a recipient of {message.message_id}")
        return message, row.events

    def decide(self, message: Message) -> RevocationDecision:
        return check_revocation(message, self.actor, self.tenant, self.clock())

    def status(self, message_id: str) -> StatusResult:
        """Get-OMEMessageStatus: IsRevocable (as for an admin), Revoked, and every reason."""
        with self.store.reading():
            message = self.load(message_id, "status")
            content_key = self.content_key_state(message)
        return StatusResult(message, self.decide(message), content_key)

    def content_key_state(self, message: Message) -> str:
        """present, destroyed (by revocation or purge), or none (no portal copy: imported mail)."""
        if message.sealed_content is None:
            return "none"
        if message.revocation and message.message_id in self.store.keys_awaiting_destruction():
            return "destroyed"  # a revocation a crash interrupted; the next change finishes it
        return "present" if self.store.get_data_key(message.message_id) else "destroyed"

    def report(self, start: datetime | None = None, end: datetime | None = None,
               method: EncryptionMethod | None = None, template: str | None = None,
               limit: int | None = None) -> ReportResult:
        """The Encryption report's Details table: encrypted messages, one row per recipient, filtered
        by date, encryption method and template (as the report's column names it), newest first;
        at most `limit` rows, the newest. The summary counts every matching row."""
        query = TraceQuery(start=start, end=end, encrypted_only=True)
        self.require_reader("report")
        tally, kept = ReportTally(), []
        with self.store.reading(), collection_paused():
            for batch in self.store.search(query):
                keep = limit is None or len(kept) <= limit  # batches are days, newest first
                for m in batch:
                    if (can_read(self.actor, m) and query.matches_message(m) and (method is None or m.method is method)
                            and (template is None or encryption_template_label(m) == template)):
                        decision = self.decide(m)
                        rows = [ReportRow(m, r, decision) for r in m.recipients]
                        tally.add(rows)
                        if keep:
                            kept.extend(rows)
        kept.sort(key=_newest_first, reverse=True)
        truncated = limit is not None and tally.rows > limit
        return ReportResult(kept[:limit] if truncated else kept, tally.summary(), truncated, limit)

    # -- revoking --------------------------------------------------------------------

    def revoke(self, message_id: str) -> Message:
        """Set-OMEMessageRevocation -Revoke $true, or the sender's Remove external access."""
        canonical = normalize_message_id(message_id)
        with self.store.writing():
            self.reload_tenant()
            message = self.store.get_message(canonical)
            if message is None or not can_read(self.actor, message):  # a change attempt: audited for anyone
                self.audit("revoke", canonical, "refused", "no such message among those this identity may see")
                raise NotFound(f"no message with Message ID {canonical}")
            decision = self.decide(message)
            if not decision.allowed:
                error = Refused(f"{canonical} cannot be revoked by {self.actor.address}: "
                                + "; ".join(decision.all_reasons), decision.all_reasons)
                raise self.refuse("revoke", canonical, error)
            revocation = Revocation(self.clock(), self.actor.address, decision.acting_as, self.origin)
            lost = ", ".join(r.address for r in message.link_based_recipients)
            self.audit("revoke", canonical, "success",
                        f"as {decision.acting_as}; link-based recipients who lose access: {lost}; "
                        "the portal copy's content key is destroyed")
            self.store.revoke({canonical: revocation})
        message.revocation = revocation
        return message

    # -- the OME portal --------------------------------------------------------------

    def portal(self, message_id: str, recipient: str) -> PortalView:
        """What a recipient sees in the OME portal. Only the recipient, signed in, reads the content;
        anyone else who may read the message sees its state with the content withheld."""
        address = normalize_address(recipient, "recipient")
        canonical = normalize_message_id(message_id)
        signed_in = self.actor.address == address
        with self.store.writing():  # a portal open is a key use, and is audited
            message = self.store.get_message(canonical)
            row = message.recipient(address) if message else None
            if message is None or not (can_read(self.actor, message) or (signed_in and row)):
                raise self.not_visible("portal", canonical)
            if row is None:
                raise NotFound(f"{address} is not a recipient of {message.message_id}")
            self._portal_serves(message, row)
            if message.revocation:
                return PortalView(message, address, "revoked", REVOKED_TEXT)
            if message.is_expired(self.clock()):
                return PortalView(message, address, "expired", EXPIRED_TEXT)
            if not signed_in:
                return PortalView(message, address, "available",
                                  f"{address} can open the message; its content is shown only to the recipient "
                                  f"signed in to the portal (--as {address})")
            self.audit_as_service(PORTAL_SERVICE, "portal open", message.message_id,
                                  f"content opened for the recipient {address}")
            body = self._open_content(message)
        return PortalView(message, address, "available", f"Encrypted message from {message.sender}", body)

    @staticmethod
    def _portal_serves(message: Message, row: Recipient) -> None:
        if message.protection is None:
            raise Refused("the store holds no encryption record for this message (imported from a trace "
                          "export); the OME portal does not serve it")
        if not message.is_encrypted:
            raise Refused("the message was not encrypted; it was delivered as ordinary mail, not through the "
                          "OME portal")
        if row.experience is not Experience.LINK_BASED:
            raise Refused(f"{row.address} gets the native experience: the message is read in Outlook, "
                          "not in the OME portal")

    def _open_content(self, message: Message) -> str:
        wrapped = self.store.get_data_key(message.message_id)
        if message.sealed_content is None or wrapped is None:
            raise Refused(f"the content key of {message.message_id} was destroyed; no one can open it")
        plaintext = open_sealed(self.keyring(), PORTAL_CONTENT, message.message_id, message.sealed_content, wrapped)
        return read_portal_content(plaintext)["body"]



def _newest_first(row) -> tuple:
    return row.message.received, row.message.message_id, row.recipient.address


class ConsoleService:
    """A service that acts as one Console's identity, on its store and clock."""

    def __init__(self, console: Console):
        self.console = console
        self.store = console.store

    @property
    def actor(self) -> Actor:
        return self.console.actor

    @property
    def tenant(self):
        return self.console.tenant
