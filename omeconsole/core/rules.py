"""The rules: who may read, change and revoke what. Nothing else re-implements them.

Revocability (domain.md section 2) is decided here and nowhere else: `check_revocation` gives the
whole decision, with every reason (the CLI's `status` and `revoke`, the console's Revoke Message
binding); `revocation_status` gives the Encryption Report's one word from the same conditions,
taken lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from omeconsole.core.dkm.group import is_service_account
from omeconsole.core.errors import Refused
from omeconsole.core.mail.model import ActingAs, Message
from omeconsole.core.tenant.model import Role, Tenant
from omeconsole.core.text.times import format_iso


@dataclass(frozen=True)
class Actor:
    """The acting identity. role None: an address that is not a user of the tenant."""

    address: str
    role: Role | None

    @classmethod
    def resolve(cls, tenant: Tenant, address: str) -> Actor:
        user = tenant.user(address)
        return cls(address, user.role if user else None)

    @property
    def label(self) -> str:
        return f"{self.address} ({self.role.value if self.role else 'not a tenant user'})"


@dataclass(frozen=True)
class RevocationDecision:
    """IsRevocable as OME defines it, with every failing condition, plus this actor's standing."""

    is_revocable: bool
    revoked: bool
    reasons: tuple[str, ...]
    actor_reasons: tuple[str, ...]
    acting_as: ActingAs | None  # set when the actor could revoke

    @property
    def allowed(self) -> bool:
        """This actor may revoke this message now."""
        return self.is_revocable and not self.actor_reasons

    @property
    def all_reasons(self) -> tuple[str, ...]:
        return self.reasons + self.actor_reasons


def check_revocation(message: Message, actor: Actor, tenant: Tenant, now: datetime) -> RevocationDecision:
    reasons = tuple(_message_reasons(message, tenant, now))
    actor_reasons, acting_as = _actor_standing(message, actor)
    return RevocationDecision(
        is_revocable=not reasons, revoked=message.revocation is not None,
        reasons=reasons, actor_reasons=tuple(actor_reasons), acting_as=acting_as,
    )


REVOCABLE, REVOKED, NOT_REVOCABLE = "Revocable", "Revoked", "Not revocable"


def revocation_status(message: Message, tenant: Tenant, now: datetime) -> str:
    """What check_revocation decides, as the Encryption Report's one word: Revoked, else Revocable
    when no condition fails, else Not revocable. The same conditions, taken lazily: the first failing
    one decides, and no reason is written (an export of a million rows shows none)."""
    if message.revocation is not None:
        return REVOKED
    return REVOCABLE if next(_message_reasons(message, tenant, now), None) is None else NOT_REVOCABLE


def _message_reasons(message: Message, tenant: Tenant, now: datetime):
    """Every failing condition of IsRevocable, as its reason, each written only when it is taken."""
    yield from tenant_reasons(tenant)
    yield from lasting_reasons(message)
    if not message.is_encrypted:
        return
    if message.revocation is not None:
        yield (f"it was already revoked on {format_iso(message.revocation.revoked_at)} "
               f"by {message.revocation.revoked_by}")
    elif message.is_expired(now):
        yield f"it expired on {format_iso(message.expires_at)}; revoking it would change nothing"


def tenant_reasons(tenant: Tenant):
    """Why no message of this tenant can be revoked now (its licence), if so."""
    if not tenant.license.includes_advanced_message_encryption:
        yield (f"the tenant's licence ({tenant.license.label}) does not include Advanced Message Encryption; "
               "it needs E5, A5, or E3 with the E5 Compliance add-on")
    elif not tenant.premium_encryption:
        yield "the Premium Encryption in Office 365 service plan is disabled in the tenant's licence"


def lasting_reasons(message: Message):
    """Why this message can never be revoked, whoever asks and whenever: how it was sent. (Its
    revocation and its expiry are the reasons that come later; the tenant's licence can change.)"""
    if message.protection is None:
        yield "the store holds no encryption record for this message: it was imported from a trace export"
        return
    if not message.is_encrypted:
        yield "the message was not encrypted (neither Encrypt-Only nor Do Not Forward)"
        return
    if not message.has_custom_template:
        yield ("no custom branding template was applied (only the default \"OME Configuration\"); "
               "without one, tracking and revocation are unavailable")
    if not message.link_based_recipients:
        yield ("no recipient got the link-based experience; native copies live in the recipients' "
               "mailboxes and can never be revoked")


def _actor_standing(message: Message, actor: Actor) -> tuple[list[str], ActingAs | None]:
    if actor.role is None:
        return [f"{actor.address} is not a user of this tenant"], None
    if actor.role is Role.GLOBAL_ADMIN:
        return [], "admin"
    if actor.role is Role.HELPDESK:
        return [f"{actor.address} has the helpdesk role, which reads everything and changes nothing"], None
    if actor.address != message.sender:
        return [f"only the sender or a Global Administrator may revoke this message; {actor.address} is neither"], None
    reasons = []
    if len(message.recipients) != 1:
        reasons.append(f"Remove external access needs exactly one recipient; this message went to "
                       f"{len(message.recipients)}")
    elif not message.link_based_recipients:
        reasons.append("Remove external access needs a link-based recipient; "
                       f"{message.recipients[0].address} got the native experience")
    return reasons, (None if reasons else "sender")


def revokes_as(actor: Actor) -> ActingAs | None:
    """As whom this actor revokes, where the message allows it: a Global Administrator as admin
    (Set-OMEMessageRevocation), a user as the sender (Remove external access); others never."""
    if actor.role is Role.GLOBAL_ADMIN:
        return "admin"
    return "sender" if actor.role is Role.USER else None


def is_tenant_user(actor: Actor) -> bool:
    """Only the tenant's users read anything; an outsider reads nothing."""
    return actor.role is not None


def is_global_admin(actor: Actor) -> bool:
    return actor.role is Role.GLOBAL_ADMIN


def can_read(actor: Actor, message: Message) -> bool:
    """Admins and helpdesk read every message; a user reads the messages they sent."""
    if actor.role in (Role.GLOBAL_ADMIN, Role.HELPDESK):
        return True
    return actor.role is Role.USER and actor.address == message.sender


def sees_all_messages(actor: Actor) -> bool:
    return actor.role in (Role.GLOBAL_ADMIN, Role.HELPDESK)


def may_manage_account(actor: Actor, mailbox: str) -> bool:
    """A connected account is added or removed by a Global Administrator or the mailbox's own user."""
    return actor.role is Role.GLOBAL_ADMIN or (actor.role is Role.USER and actor.address == mailbox)


def sees_account(actor: Actor, mailbox: str) -> bool:
    """Admins and helpdesk see every connected account; a user, their own."""
    return sees_all_messages(actor) or actor.address == mailbox


def may_end_elevation(actor: Actor, requester: str) -> bool:
    """An active elevation is ended early by the person who asked for it or a Global Administrator."""
    return actor.role is Role.GLOBAL_ADMIN or actor.address == requester


def sees_every_request(actor: Actor) -> bool:
    """Admins and helpdesk see every elevated access request; anyone else, their own."""
    return sees_all_messages(actor)


def require_global_admin(actor: Actor, action: str) -> None:
    if not is_global_admin(actor):
        raise Refused(f"{action} needs the Global Administrator role; {actor.label} does not have it")


def require_send_as(actor: Actor, sender: str) -> None:
    """An admin simulates mail flow for anyone in the tenant; a user sends only as themselves."""
    if actor.role is Role.GLOBAL_ADMIN or (actor.role is Role.USER and actor.address == sender):
        return
    if actor.role is Role.HELPDESK:
        raise Refused(f"{actor.address} has the helpdesk role, which reads everything and changes nothing")
    raise Refused(f"{actor.label} may not send as {sender}")


def front_door_refusal(tenant: Tenant, address: str) -> str | None:
    """Why ADDRESS may not open a console through a front door (SSH), or None if it may.

    Only the tenant's own users sign in remotely; an outsider has no console, and a service
    account never signs in at all.
    """
    if is_service_account(address):
        return f"{address} is a service account; service accounts never sign in"
    if tenant.user(address) is None:
        return f"{address} is not a user of {tenant.organization}"
    return None


def door_requirement(tenant: Tenant, action: str, door: str | None) -> str | None:
    """Why ACTION does not count from here (None if it does): with the tenant setting
    approvals-require-door, deciding an elevation counts only through that authenticated front door,
    since on the command line `--as` proves nothing beyond the OS account that can read the store."""
    required = tenant.approvals_require_door
    if required is None or door == required:
        return None
    how = ("connect with ssh and decide it in the console's Key manager" if action.startswith("access ")
           else "while it is on, only an admin who came through that door may change it")
    return (f"{action} counts only through the {required.upper()} door in {tenant.organization} (tenant setting "
            f"approvals-require-door {required}): {how}")
