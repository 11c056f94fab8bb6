"""Simulated mail flow: what Exchange Online records when a tenant user sends a message.

Pure functions: they build the Message (trace rows, events, experience, expiry) and
write nothing (the portal's plaintext is encoded as the store's JSON is, by `dump_json`).
`send` and `demo` both use them.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from omeconsole.core.mail.model import (
    EncryptionMethod,
    Message,
    Protection,
    Recipient,
    TraceEvent,
    TraceStatus,
)
from omeconsole.core.store.files import dump_json
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE, Tenant

_REGIONS = ("BY5PR19MB", "DM6PR11MB", "SN7PR04MB", "CH2PR12MB", "PH0PR17MB", "AM6PR07MB")


@dataclass
class Draft:
    """What the sender (or a mail flow rule) asked for."""

    sender: str
    recipients: list[str]
    subject: str
    body: str
    received: datetime
    protection: Protection = Protection.NONE
    method: EncryptionMethod | None = None
    template: str | None = None
    statuses: dict[str, TraceStatus] | None = None  # per recipient; default Delivered


def new_message_id(rng: random.Random) -> str:
    """An Exchange Online-shaped Message ID: <SERVER+hex@SERVER.namprdNN.prod.outlook.com>."""
    server = f"{rng.choice(_REGIONS)}{rng.randrange(1000, 9999)}"
    unique = f"{rng.getrandbits(64):016X}"
    return f"<{server}{unique}@{server.lower()}.namprd{rng.randrange(1, 20):02d}.prod.outlook.com>"


def compose(tenant: Tenant, draft: Draft, rng: random.Random) -> Message:
    encrypted = draft.protection is not Protection.NONE
    template = (draft.template or DEFAULT_TEMPLATE) if encrypted else None
    server = f"{rng.choice(_REGIONS)}{rng.randrange(1000, 9999)}"
    recipients = [
        _recipient(tenant, address, (draft.statuses or {}).get(address, TraceStatus.DELIVERED),
                   draft, template, server, rng)
        for address in draft.recipients
    ]
    return Message(
        message_id=new_message_id(rng), trace_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        received=draft.received, sender=draft.sender, subject=draft.subject,
        size=_size(draft, encrypted), from_ip=_ip(rng, "192.0.2"), recipients=recipients,
        protection=draft.protection, method=(draft.method or EncryptionMethod.USER) if encrypted else None,
        template=template, expires_at=expiry_for(tenant, template, draft.received),
    )


def expiry_for(tenant: Tenant, template_name: str | None, received: datetime) -> datetime | None:
    template = tenant.template(template_name) if template_name else None
    if template is None or template.is_default or template.expiry_days == 0:
        return None
    return received + timedelta(days=template.expiry_days)


def _size(draft: Draft, encrypted: bool) -> int:
    content = len(draft.body.encode("utf-8")) + len(draft.subject.encode("utf-8"))
    return 3_000 + (content * 4 // 3 + 9_000 if encrypted else content)


def _ip(rng: random.Random, prefix: str) -> str:
    return f"{prefix}.{rng.randrange(1, 255)}"


def _recipient(tenant, address, status, draft, template, server, rng) -> Recipient:
    experience = tenant.experience_for(address) if template else None
    internal = tenant.is_internal(address)
    to_ip = None if internal or status in _NOT_SENT else _ip(rng, "203.0.113")
    events = _events(address, status, draft, template, server, internal, to_ip)
    return Recipient(address=address, status=status, to_ip=to_ip, experience=experience, events=events)


_NOT_SENT = {TraceStatus.NONE, TraceStatus.GETTING_STATUS, TraceStatus.PENDING, TraceStatus.FAILED,
             TraceStatus.QUARANTINED}


_OUTCOMES = {  # the events of the statuses whose wording names no address
    TraceStatus.PENDING: ("Defer", "Defer", "451 4.4.0 Primary target IP address responded: 421 Try later"),
    TraceStatus.EXPANDED: ("Expand", "Expand", "The distribution group was expanded to its members"),
    TraceStatus.QUARANTINED: ("Fail", "Quarantine", "The message was quarantined by a mail flow rule"),
    TraceStatus.FILTERED_AS_SPAM: ("Deliver", "Junk", "The message was delivered to the Junk Email folder"),
}


def _events(address, status, draft, template, server, internal, to_ip) -> list[TraceEvent]:
    at = draft.received
    encryption = ""
    if template:
        encryption = f"; encrypted with {draft.protection.label}, branding template \"{template}\""
    events = [TraceEvent(at, "Receive", "Receive", f"Message received by {server}.prod.outlook.com{encryption}")]
    later = at + timedelta(seconds=2)
    outcome = None
    if status is TraceStatus.DELIVERED:
        outcome = (("Deliver", "Deliver", "The message was delivered to the mailbox") if internal
                   else ("Send", "Send", f"Message sent to {to_ip} using TLS1.3"))
    elif status is TraceStatus.FAILED:
        outcome = ("Fail", "Fail", f"550 5.1.10 RESOLVER.ADR.RecipientNotFound; {address} not found")
    elif status in _OUTCOMES:
        outcome = _OUTCOMES[status]
    if outcome:
        events.append(TraceEvent(later, *outcome))
    return events


def portal_content(subject: str, body: str) -> bytes:
    """The plaintext that is sealed for the OME portal: never stored as it is. Compact JSON, encoded as
    the store's documents are (json.loads reads it as it read the spaced JSON of earlier versions)."""
    return dump_json({"subject": subject, "body": body})


def read_portal_content(plaintext: bytes) -> dict:
    return json.loads(plaintext.decode("utf-8"))
