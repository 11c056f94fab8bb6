"""Signing in to the OME portal as a link-based recipient: the link, the one-time passcode, the session.

The link's token is a bearer secret: a bad one (unknown, cut, altered, malformed) costs the same
work as a good one (hash it, read its shard) and is answered the same way. A one-time passcode is
8 digits from `secrets`, valid 15 minutes, kept only as an HMAC under the keyring's portal key, and
mailed to the recipient through the outbound queue; at most 3 are sent per link in 15 minutes, 5
wrong tries lock the link for 15 minutes, and a passcode that signed in once is spent. The session
is a cookie that signs the link ID and an expiry with the same key: nothing to store, and a forged
or expired one is refused. Every sign-in, failed passcode, lock and open is audited as the
recipient (the Unified Audit Log's OMEPortal events are the model).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from omeconsole.core.audit.log import UNKNOWN_ACTOR, Outcome, default_origin
from omeconsole.core.context import Context
from omeconsole.core.dkm.keyring import Keyring
from omeconsole.core.errors import OmeError
from omeconsole.core.mail.model import Message, Protection
from omeconsole.core.mail.outbound import PASSCODE_VALID, PASSCODE_VALID_MINUTES, queue_passcode_mail
from omeconsole.core.mail.portal_link import PortalLink, link_id
from omeconsole.core.ome.portal import EXPIRED_TEXT, REVOKED_TEXT, PortalState, PortalView, open_in_portal
from omeconsole.core.store.files import all_or_nothing
from omeconsole.core.store.store import Store
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE, BrandingTemplate, Tenant
from omeconsole.core.text.times import format_iso, load_iso

PASSCODE_DIGITS = 8
PASSCODES_PER_WINDOW = 3  # sent per link within PASSCODE_VALID
MAX_FAILURES = 5
LOCK = timedelta(minutes=15)
SESSION = timedelta(hours=1)
MAX_PASSCODE_INPUT = 64
MAX_OPENS_KEPT = 100


@dataclass(frozen=True)
class Landing:
    """What the link's first page shows, before sign-in."""

    link: PortalLink
    organization: str
    sender: str
    template: BrandingTemplate
    protection: Protection
    state: PortalState
    text: str  # the revoked or expired text, else ""


@dataclass(frozen=True)
class Answer:
    """The outcome of asking for a passcode or signing in: whether it worked, what to tell the person,
    and (signed in) the session cookie's value."""

    ok: bool
    text: str
    cookie: str | None = None


def _at(moment: datetime) -> str:
    return moment.strftime("%H:%M UTC")


def _kept(opened: list[datetime]) -> list[datetime]:
    """The first open and the latest ones: a reloaded page must not grow its link's shard without end."""
    return opened if len(opened) <= MAX_OPENS_KEPT else [opened[0], *opened[1 - MAX_OPENS_KEPT:]]


def _template(tenant: Tenant, message: Message) -> BrandingTemplate:
    """The message's branding template (the default one when it names none, or one since removed)."""
    found = tenant.template(message.template) if message.template else None
    return found or tenant.template(DEFAULT_TEMPLATE) or BrandingTemplate(DEFAULT_TEMPLATE)


class PortalDesk:
    """The OME portal's sign-in rules over one store, for one `serve portal` process. Its methods block
    (store I/O): a server calls them in a thread."""

    def __init__(self, store: Store, keyring: Keyring, clock: Callable[[], datetime]):
        self.store = store
        self.keyring = keyring  # unlocked once, shared by every request's Context
        self.clock = clock
        self._key = keyring.portal_key()
        store.audit.key_source = keyring.audit_chain_key

    # -- the link ----------------------------------------------------------------------

    def resolve(self, token: str) -> PortalLink | None:
        """The link this token opens, or None. The same work for every token, however malformed."""
        wanted = link_id(token)
        with self.store.reading():
            link = self.store.get_portal_link(wanted)
        found = link is not None and hmac.compare_digest(link.link_id, wanted)
        well_formed = 16 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token) and token.isascii()
        return link if found and well_formed else None

    def landing(self, link: PortalLink) -> Landing | None:
        """None when the link's message is gone from the store (it then answers as a bad link does)."""
        with self.store.reading():
            tenant = self.store.load_tenant()
            message = self.store.get_message(link.message_id)
        if message is None or message.recipient(link.recipient) is None:
            return None
        state, text = self._state(message)
        return Landing(link, tenant.organization, message.sender, _template(tenant, message),
                       message.protection or Protection.NONE, state, text)

    def _state(self, message: Message) -> tuple[PortalState, str]:
        if message.revocation:
            return "revoked", REVOKED_TEXT
        if message.is_expired(self.clock()):
            return "expired", EXPIRED_TEXT
        return "available", ""

    # -- passcodes ---------------------------------------------------------------------

    def request_passcode(self, link: PortalLink, peer: str) -> Answer:
        """A new one-time passcode, mailed to the link's recipient; or why not (audited either way)."""
        with self.store.writing():
            link, message = self._fresh(link)
            context = self._context(link, peer)
            now = self.clock()
            why = self._no_passcode(link, message, now, context.tenant)
            if why:
                context.audit("portal passcode", message.message_id, "refused", f"{why}; {self._via(link)}")
                return Answer(False, why)
            code = f"{secrets.randbelow(10 ** PASSCODE_DIGITS):0{PASSCODE_DIGITS}d}"
            link.passcodes = [*self._recent(link, now), {"hash": self._hash(link, code), "issued": format_iso(now),
                                                         "expires": format_iso(now + PASSCODE_VALID)}]
            context.audit("portal passcode", message.message_id, "success",
                          f"a one-time passcode mailed to {link.recipient}; {self._via(link)}")
            keyring = context.keyring()
            with all_or_nothing():  # never a passcode counted but not mailed
                self.store.put_portal_link(link)
                queue_passcode_mail(self.store, keyring, self.clock, recipient=link.recipient, code=code,
                                    organization=context.tenant.organization,
                                    template=_template(context.tenant, message))
        return Answer(True, f"We sent a one-time passcode to {link.recipient}. It is valid for "
                            f"{PASSCODE_VALID_MINUTES} minutes.")

    def _no_passcode(self, link: PortalLink, message: Message, now: datetime, tenant: Tenant) -> str | None:
        refusal = self._refusal(link, message, now, tenant)
        if refusal:
            return refusal
        recent = self._recent(link, now)
        if len(recent) >= PASSCODES_PER_WINDOW:
            again = load_iso(recent[0]["issued"]) + PASSCODE_VALID
            return (f"{PASSCODES_PER_WINDOW} passcodes were sent in the last {PASSCODE_VALID_MINUTES} minutes; "
                    f"use the newest one, or ask again after {_at(again)}.")
        return None

    def _refusal(self, link: PortalLink, message: Message, now: datetime, tenant: Tenant) -> str | None:
        """Why no passcode is sent or taken now: passcodes off, the link locked, the message revoked or expired."""
        if not _template(tenant, message).otp_enabled:
            return ("The sender's organisation does not allow one-time passcodes for this message, and this "
                    "portal offers no other way to sign in.")
        if link.locked_until and now < link.locked_until:
            return f"Too many wrong passcodes: this link is locked until {_at(link.locked_until)}."
        state, text = self._state(message)
        return f"{text}." if state != "available" else None

    def _recent(self, link: PortalLink, now: datetime) -> list[dict]:
        """The passcodes sent within the last 15 minutes (the older ones are forgotten)."""
        return [p for p in link.passcodes if now - load_iso(p["issued"]) < PASSCODE_VALID]

    def _hash(self, link: PortalLink, code: str) -> str:
        return hmac.new(self._key, f"passcode|{link.link_id}|{code}".encode(), hashlib.sha256).hexdigest()

    # -- signing in --------------------------------------------------------------------

    def sign_in(self, link: PortalLink, passcode: str, peer: str) -> Answer:
        """A session cookie for the right, unspent passcode; a wrong one counts, and the fifth locks the link."""
        code = "".join(passcode.split())[:MAX_PASSCODE_INPUT]
        if not code:
            return Answer(False, "Enter the passcode from the mail.")
        with self.store.writing():
            link, message = self._fresh(link)
            context = self._context(link, peer)
            now = self.clock()
            refusal = self._refusal(link, message, now, context.tenant)
            if refusal:
                context.audit("portal sign-in", message.message_id, "refused", f"{refusal}; {self._via(link)}")
                return Answer(False, refusal)
            answer = self._check(link, code, now, context, message.message_id)
            self.store.put_portal_link(link)
        return answer

    def _check(self, link: PortalLink, code: str, now: datetime, context: Context, message_id: str) -> Answer:
        given = self._hash(link, code)
        live = [p for p in self._recent(link, now)
                if not p.get("used") and now < load_iso(p["expires"]) and hmac.compare_digest(p["hash"], given)]
        if live:
            for passcode in link.passcodes:
                passcode["used"] = True  # signed in: every passcode sent so far is spent
            link.failures = 0
            context.audit("portal sign-in", message_id, "success", f"signed in with a one-time passcode; "
                                                                   f"{self._via(link)}")
            return Answer(True, "Signed in.", self._cookie(link, now + SESSION))
        link.failures += 1
        context.audit("portal passcode failed", message_id, "refused",
                      f"a wrong, expired or spent passcode ({link.failures} of {MAX_FAILURES}); {self._via(link)}")
        if link.failures < MAX_FAILURES:
            left = MAX_FAILURES - link.failures
            return Answer(False, f"That passcode is not right, or has expired or been used. {left} "
                                 f"{'try' if left == 1 else 'tries'} left.")
        link.failures, link.locked_until = 0, now + LOCK
        context.audit("portal locked", message_id, "refused",
                      f"{MAX_FAILURES} wrong passcodes: locked until {format_iso(link.locked_until)}; "
                      f"{self._via(link)}")
        return Answer(False, f"Too many wrong passcodes: this link is locked until {_at(link.locked_until)}.")

    # -- the session -------------------------------------------------------------------

    def _cookie(self, link: PortalLink, expires: datetime) -> str:
        stamp = str(int(expires.timestamp()))
        return f"{stamp}.{self._session_mac(link, stamp)}"

    def _session_mac(self, link: PortalLink, stamp: str) -> str:
        return hmac.new(self._key, f"session|{link.link_id}|{stamp}".encode(), hashlib.sha256).hexdigest()

    def signed_in(self, link: PortalLink, cookie: str | None) -> bool:
        """Whether the cookie is this link's, signed by this portal, and not expired."""
        stamp, _, mac = (cookie or "").partition(".")
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
            return False
        expected = self._session_mac(link, stamp)
        if not hmac.compare_digest(mac.encode("utf-8", "surrogatepass"), expected.encode()):
            return False
        return self.clock().timestamp() < int(stamp)

    # -- the message -------------------------------------------------------------------

    def open(self, link: PortalLink, peer: str, record: bool = True) -> PortalView:
        """The message as the signed-in recipient sees it (or its revoked or expired text); a content
        open is audited and recorded in the link's `opened`. Raises OmeError when it cannot be served."""
        with self.store.writing():
            link = self.store.get_portal_link(link.link_id) or link
            context = self._context(link, peer)
            view = open_in_portal(context, link.message_id, link.recipient)
            if record and view.state == "available" and view.content is not None:
                link.opened = _kept([*link.opened, self.clock()])
                context.audit("portal open", link.message_id, "success",
                              f"the message was shown to {link.recipient}; {self._via(link)}")
                self.store.put_portal_link(link)
        return view

    def attachment(self, link: PortalLink, index: int, peer: str) -> dict | None:
        """An Encrypt-Only message's attachment, downloaded (audited); None when there is none to give."""
        with self.store.writing():
            view = self.open(link, peer, record=False)
            attachments = (view.content or {}).get("attachments") or []
            if view.message.protection is not Protection.ENCRYPT_ONLY or not 0 <= index < len(attachments):
                return None
            self._context(link, peer).audit("portal download", link.message_id, "success",
                                            f"attachment {index + 1} of {len(attachments)} downloaded; "
                                            f"{self._via(link)}")
        return attachments[index]

    # -- shared ------------------------------------------------------------------------

    def _fresh(self, link: PortalLink) -> tuple[PortalLink, Message]:
        """The link and its message as the store holds them now (under the lock)."""
        current = self.store.get_portal_link(link.link_id)
        message = self.store.get_message(link.message_id)
        if current is None or message is None:
            raise OmeError("this link no longer opens a message")
        return current, message

    def _context(self, link: PortalLink, peer: str) -> Context:
        context = Context(self.store, link.recipient, face="portal", clock=self.clock, keyring=self.keyring)
        context.origin = default_origin("portal", f"from {peer}")
        return context

    @staticmethod
    def _via(link: PortalLink) -> str:
        return f"link {link.link_id[:12]} of {link.recipient}"

    def refused_link(self, peer: str, detail: str, outcome: Outcome = "refused") -> None:
        """A bad link (or a tally of them), audited as nobody in particular."""
        self.store.audit.append(actor=UNKNOWN_ACTOR, role="outsider", action="portal link", target="OME portal",
                                outcome=outcome, detail=detail, origin=default_origin("portal", f"from {peer}"),
                                at=self.clock())
