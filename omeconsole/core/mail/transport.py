"""Mail flow for real: what `serve mail` does with each SMTP transaction, as Exchange Online would.

The sender must be a mailbox of the tenant, on this machine. Encryption is decided as Exchange
decides it: by the user (Outlook's Encrypt button sets X-OME-Encrypt), else by the first mail flow
rule that matches. Each recipient gets what OME gives them: native recipients the message itself,
link-based recipients a branded wrapper with their own portal link; the portal copy is sealed.
A message is durable (message, content key, links and queue, in one change) before `accept`
returns, so the 250 that follows it is never a promise the store cannot keep.
"""

from __future__ import annotations

import ipaddress
import json
import random
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from omeconsole.core.audit.log import default_origin
from omeconsole.core.context import Context
from omeconsole.core.dkm.envelope import PORTAL_CONTENT, seal
from omeconsole.core.dkm.keyring import Keyring
from omeconsole.core.dkm.unlocking import env_passphrase, unlock
from omeconsole.core.errors import Refused, UsageError
from omeconsole.core.mail.flow import expiry_for, new_message_id
from omeconsole.core.mail.mime import Incoming, MimeProblem, native_copy, read_incoming
from omeconsole.core.mail.model import (
    MAX_SUBJECT,
    EncryptionMethod,
    Message,
    Protection,
    Recipient,
    TraceEvent,
    TraceStatus,
)
from omeconsole.core.mail.outbound import Delivery, OutboundQueue, new_delivery
from omeconsole.core.mail.portal_link import PortalLink, link_id, link_url, new_token
from omeconsole.core.mail.send import MAX_BODY_BYTES, MAX_RECIPIENTS
from omeconsole.core.mail.wrapper import wrapper_mail
from omeconsole.core.rules import Actor, is_tenant_user
from omeconsole.core.store.store import Store
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE, BrandingTemplate, Experience, Tenant
from omeconsole.core.tenant.transport_rules import first_match
from omeconsole.core.text.addresses import normalize_address
from omeconsole.core.text.message_ids import normalize_message_id
from omeconsole.core.text.times import utcnow

MAX_MESSAGE_BYTES = MAX_BODY_BYTES  # 25 MiB, Exchange Online's default for a message


class SmtpReply(Exception):
    """An SMTP answer other than 250: the code, enhanced status and text a real server would give."""

    def __init__(self, code: int, status: str, text: str):
        super().__init__(f"{code} {status} {text}")
        self.code, self.status, self.text = code, status, text

    def line(self) -> str:
        return f"{self.code} {self.status} {self.text}"


TOO_BIG = SmtpReply(552, "5.3.4", "Message size exceeds fixed maximum message size")
TOO_MANY_RECIPIENTS = SmtpReply(452, "4.5.3", "Too many recipients")  # the limit: MAX_RECIPIENTS
BAD_SENDER = SmtpReply(501, "5.1.7", "Bad sender address syntax")
BAD_RECIPIENT = SmtpReply(501, "5.1.3", "Bad recipient address syntax")


@dataclass(frozen=True)
class SmtpEnvelope:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    client_ip: str
    server_ip: str
    smtputf8: bool = False


@dataclass(frozen=True)
class Decision:
    protection: Protection
    method: EncryptionMethod | None
    template: str | None
    why: str


class MailFlow:
    """One `serve mail` process: the store, its keyring unlocked once, the clock, the portal's URL."""

    def __init__(self, store: Store, *, portal_url: str, clock: Callable[[], datetime] = utcnow,
                 passphrase: Callable[[], str] | None = None):
        self.store = store
        self.portal_url = portal_url.rstrip("/")
        self.clock = clock
        self._keyring = unlock(store.root, passphrase or env_passphrase())
        self.queue = OutboundQueue(store, self.keyring, clock)
        self.host = socket.getfqdn()

    def keyring(self) -> Keyring:
        self._keyring = self._keyring.reread()
        return self._keyring

    def tenant(self) -> Tenant:
        with self.store.reading():
            return self.store.load_tenant()

    # -- the SMTP commands ----------------------------------------------------------------

    def check_sender(self, address: str, client_ip: str) -> str:
        sender = _sender_address(address, client_ip)
        _require_mailbox(self.tenant(), sender)
        return sender

    def check_recipient(self, address: str) -> str:
        try:
            return normalize_address(address, "recipient")
        except UsageError:
            raise BAD_RECIPIENT from None

    def accept(self, envelope: SmtpEnvelope) -> Message:
        """The message, durable with its deliveries; SmtpReply when it is refused (nothing changed)."""
        if len(envelope.data) > MAX_MESSAGE_BYTES:
            raise TOO_BIG
        sender = _sender_address(envelope.mail_from, envelope.client_ip)
        recipients = list(dict.fromkeys(self.check_recipient(r) for r in envelope.rcpt_tos))
        if not recipients or len(recipients) > MAX_RECIPIENTS:
            raise TOO_MANY_RECIPIENTS
        try:
            incoming = read_incoming(envelope.data)
        except MimeProblem as problem:
            raise SmtpReply(550, "5.6.0", f"Message content rejected: {problem}") from None
        try:
            context = Context(self.store, sender, face="smtp", clock=self.clock, keyring=self._keyring)
        except Refused as refused:  # a service account's address: refused and audited; never try again
            raise SmtpReply(550, "5.7.1", f"Unable to relay: {refused}") from None
        context.origin = default_origin("smtp", f"from SMTP client {envelope.client_ip}")
        _require_mailbox(context.tenant, sender)
        return _Acceptance(self, context, envelope, sender, recipients, incoming).run()

    def file_index(self) -> None:
        """File the summaries of the mail accepted and delivered since the last call in the trace
        index, each partition rewritten once for all of them (accept and the queue leave it to this)."""
        if self.store.index.pending():
            with self.store.writing():
                pass  # taking the lock to write mends the index

    def audit_refusal(self, client_ip: str, detail: str, count: int) -> None:
        """One entry for one refusal, or for a minute's worth of them from one client (the tally says)."""
        self.store.audit.append(actor=f"smtp client {client_ip}", role="outsider", action="smtp refused",
                                target="serve mail", outcome="refused", detail=detail,
                                origin=default_origin("smtp", f"from SMTP client {client_ip}"), at=self.clock())


def _sender_address(address: str, client_ip: str) -> str:
    try:
        sender = normalize_address(address, "sender")
    except UsageError:
        raise BAD_SENDER from None
    if not _is_loopback(client_ip):
        raise SmtpReply(550, "5.7.1", "Unable to relay: this server takes mail only from this machine")
    return sender


def _require_mailbox(tenant: Tenant, sender: str) -> None:
    """A mailbox sends its own mail over SMTP (the From: header is checked against it too), whatever
    its role in the console: the roles govern what a person may do here, not their mail."""
    if not is_tenant_user(Actor.resolve(tenant, sender)):
        raise SmtpReply(550, "5.7.1", f"Unable to relay: {sender} is not a mailbox of {tenant.organization}")


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


class _Acceptance:
    """One message on its way in: decided, composed, sealed, queued, stored."""

    def __init__(self, flow: MailFlow, context: Context, envelope: SmtpEnvelope, sender: str,
                 recipients: list[str], incoming: Incoming):
        self.flow, self.context, self.envelope = flow, context, envelope
        self.sender, self.recipients, self.incoming = sender, recipients, incoming

    def run(self) -> Message:
        incoming = self.incoming
        if [a.lower() for a in incoming.from_addresses] != [self.sender]:
            raise SmtpReply(550, "5.7.60", f"Client does not have permissions to send as this sender "
                                           f"(From: must be {self.sender})")
        if len(incoming.subject) > MAX_SUBJECT:
            raise SmtpReply(550, "5.6.0", f"Message content rejected: the subject is over {MAX_SUBJECT} characters")
        message_id, added = self._message_id()
        # Decided, composed and sealed on the tenant as the Context read it a moment ago, before the
        # store's lock: the lock is held only to check, record and write.
        tenant = self.context.tenant
        decision = self._decide(tenant)
        message = self._compose(tenant, message_id, decision)
        keyring = self.context.keyring()
        deliveries, links = self._deliveries(tenant, keyring, message, decision, added)
        message.sealed_content, wrapped = seal(keyring, PORTAL_CONTENT, message_id, self._portal_copy(message))
        store = self.context.store

        def links_and_queue() -> None:
            if links:
                store.put_portal_links(links)
            for delivery in deliveries:
                store.put_queued(delivery.to_doc())

        with store.writing(mend_index=False):  # MailFlow.file_index files the summaries
            existing = store.get_message(message_id) if store.message_exists(message_id) else None
            if existing is not None:
                return self._repeat(existing)
            self.context.audit("send", message_id, "success", self._detail(message, decision))
            store.put_messages([message], data_keys={message_id: wrapped}, index_later=True,
                               with_files=links_and_queue, stored={})  # absent: looked up above
        return message

    def _message_id(self) -> tuple[str, list[str]]:
        """The client's Message-ID, or an Exchange-shaped one (and the header that carries it)."""
        given = self.incoming.headers.get("message-id")
        if given:
            try:
                return normalize_message_id(given), []
            except UsageError:
                pass
        made = new_message_id(random.SystemRandom())
        return made, [f"Message-ID: {made}"]

    def _repeat(self, existing: Message) -> Message:
        """A client that lost our 250 sends the same transaction again: it is not queued twice. Anything
        else under a Message-ID already stored (new recipients, other content) is refused, never dropped."""
        same_recipients = sorted(r.address for r in existing.recipients) == sorted(self.recipients)
        if existing.sender == self.sender and existing.size == len(self.envelope.data) and same_recipients:
            return existing
        raise SmtpReply(550, "5.6.0", f"Message content rejected: Message-ID {existing.message_id} "
                                      "belongs to another message; send it with a new Message-ID")

    def _decide(self, tenant: Tenant) -> Decision:
        headers = self.incoming.headers
        asked = headers.get("x-ome-encrypt", "").strip().lower()
        if asked:
            try:
                protection = Protection.parse(asked)
            except UsageError:
                raise SmtpReply(550, "5.6.0", "Message content rejected: X-OME-Encrypt must be encrypt-only "
                                              "or do-not-forward") from None
            return Decision(protection, EncryptionMethod.USER, self._template(tenant, headers.get("x-ome-template")),
                            "by the sender (X-OME-Encrypt)")
        rule = first_match(tenant.transport_rules, self.sender, self.recipients, self.incoming.subject)
        if rule is None:
            return Decision(Protection.NONE, None, None, "no mail flow rule matched")
        return Decision(Protection(rule.protection), EncryptionMethod.POLICY, self._template(tenant, rule.template),
                        f"by the mail flow rule \"{rule.name}\"")

    def _template(self, tenant: Tenant, name: str | None) -> str:
        if not name:
            return DEFAULT_TEMPLATE
        found = tenant.template(name.strip())
        if found is None:
            raise SmtpReply(550, "5.6.0", "Message content rejected: no branding template by that name")
        return found.name

    def _compose(self, tenant: Tenant, message_id: str, decision: Decision) -> Message:
        now, encrypted = self.flow.clock(), decision.protection is not Protection.NONE
        encryption = (f"; encrypted with {decision.protection.label} {decision.why}, branding template "
                      f"\"{decision.template}\"" if encrypted else "")
        received = TraceEvent(now, "Receive", "Receive",
                              f"Message received by {self.flow.host} from {self.envelope.client_ip}{encryption}")
        rows = [Recipient(address, TraceStatus.PENDING, None,
                          tenant.experience_for(address) if encrypted else None, [received])
                for address in self.recipients]
        return Message(message_id=message_id, trace_id=str(uuid.uuid4()), received=now, sender=self.sender,
                       subject=self.incoming.subject, size=len(self.envelope.data), from_ip=self.envelope.client_ip,
                       recipients=rows, protection=decision.protection, method=decision.method,
                       template=decision.template if encrypted else None,
                       expires_at=expiry_for(tenant, decision.template, now) if encrypted else None)

    def _deliveries(self, tenant: Tenant, keyring: Keyring, message: Message, decision: Decision,
                    added: list[str]) -> tuple[list[Delivery], list[PortalLink]]:
        now = self.flow.clock()
        deliveries, links = [], []
        plain = [r.address for r in message.recipients if r.experience is not Experience.LINK_BASED]
        if plain:
            wire = native_copy(self.envelope.data, self._received_line(now), added)
            deliveries.append(new_delivery(keyring, "message", message.message_id, self.sender, plain, wire, now))
        template = tenant.template(decision.template or DEFAULT_TEMPLATE) or BrandingTemplate(DEFAULT_TEMPLATE)
        for row in message.link_based_recipients:
            token = new_token()
            link = PortalLink(link_id(token), message.message_id, row.address, now)
            row.link_id = link.link_id
            links.append(link)
            wire = wrapper_mail(sender=self.sender, recipient=row.address, subject=message.subject,
                                message_id=message.message_id, when=now, url=link_url(self.flow.portal_url, token),
                                organization=tenant.organization, template=template)
            deliveries.append(new_delivery(keyring, "message", message.message_id, self.sender, [row.address],
                                           wire, now))
        return deliveries, links

    def _received_line(self, now: datetime) -> str:
        return (f"Received: from [{self.envelope.client_ip}] by {self.flow.host} (omeconsole serve mail) "
                f"with ESMTP; {format_datetime(now)}")

    def _portal_copy(self, message: Message) -> bytes:
        incoming = self.incoming
        return json.dumps({"subject": incoming.subject, "body": incoming.body, "html": incoming.html,
                           "from": self.sender, "to": incoming.shown_recipients, "date": message.received.isoformat(),
                           "attachments": incoming.attachments}, ensure_ascii=False).encode("utf-8")

    def _detail(self, message: Message, decision: Decision) -> str:
        links = len(message.link_based_recipients)
        what = (f"{decision.protection.label} {decision.why}, template \"{message.template}\", "
                f"{links} link-based" if message.is_encrypted else "not encrypted")
        return (f"by SMTP from {self.envelope.client_ip}, {message.size} bytes, to {len(message.recipients)} "
                f"recipient(s); {what}")

