"""The demo tenant: Contoso, with 90 days of mail covering every case in domain.md.

The first messages are hand-picked cases (revocable, native-only, default template,
unencrypted, expired, revoked by an admin and by a sender, mixed recipients, every
trace status); the rest are drawn at random from a seed.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import TypeVar

from omeconsole.core.audit.log import default_origin
from omeconsole.core.demo.mail import DemoMail
from omeconsole.core.dkm.keyring import Keyring
from omeconsole.core.errors import StoreError, UsageError
from omeconsole.core.mail.flow import Draft
from omeconsole.core.mail.model import ActingAs, EncryptionMethod, Protection, TraceStatus
from omeconsole.core.store.store import DEFAULT_SHARDS, MAX_SHARDS
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE, BrandingTemplate, License, Role, Tenant, User
from omeconsole.core.tenant.setup import new_store
from omeconsole.core.text.times import utcnow

MAX_DEMO_MESSAGES = 2_000_000
KEYRING_HISTORY_DAYS = (95, 65, 35, 5)  # the demo keyring rolled over every 30 days, last 5 days ago
ADMINS = ("admin@contoso.com", "alex.wilber@contoso.com", "isaiah.langer@contoso.com")
HELPDESK = ("lynne.robbins@contoso.com", "pradeep.gupta@contoso.com")
USERS = ("megan.bowen@contoso.com", "diego.siciliani@contoso.com", "nestor.wilke@contoso.com",
         "adele.vance@contoso.com", "lee.gu@contoso.com", "johanna.lorenz@contoso.com")
LINK_BASED = ("bob.kelly@gmail.com", "eve.martin@yahoo.com", "sam.rivera@northwindtraders.com",
              "priya.shah@tailspintoys.com", "li.wei@adventure-works.com", "tom.jones@gmail.com")
NATIVE_EXTERNAL = ("ray.chen@fabrikam.com", "ana.lopez@outlook.com", "kim.park@hotmail.com")
SUBJECTS = ("Q4 salary review", "Contract draft v3", "Board minutes", "Invoice 2026-{n}", "Offer letter",
            "Patient referral", "Merger timeline", "Payroll export", "NDA for signature", "Tax documents",
            "Background check results", "Wire transfer details", "Legal hold notice", "Pricing proposal",
            "Medical leave request", "Audit findings", "Customer list", "Password reset instructions")
FIRST_NAMES = ("amara", "bruno", "chloe", "dmitri", "elena", "farah", "gustavo", "hana", "ivan", "jun", "kofi",
               "leila", "marco", "nadia", "oscar", "paula", "quentin", "rosa", "stefan", "tara", "umar", "vera",
               "wendell", "ximena", "yusuf", "zoe", "aiko", "bjorn", "carmen", "devi", "emil", "fatima")
LAST_NAMES = ("abbott", "baker", "costa", "dubois", "eriksen", "fischer", "garcia", "hughes", "ito", "jensen",
              "kowalski", "larsen", "moreau", "novak", "okafor", "petrov", "quinn", "rossi", "silva", "tanaka",
              "ueda", "varga", "weber", "xu", "yilmaz", "zhang", "alvarez", "bianchi", "chen", "dietrich")
EXTERNAL_DOMAINS = ("gmail.com", "yahoo.com", "northwindtraders.com", "tailspintoys.com", "adventure-works.com",
                    "fabrikam.com", "outlook.com", "wingtiptoys.com", "litware.com", "proseware.com")
MESSAGES_PER_STAFF = 1_250  # about 2,000 trace rows a sender, as the scale targets assume
MESSAGES_PER_CONTACT = 500
BODY = ("Hello,\n\nPlease find the details below. This message is confidential and intended only for "
        "the named recipient.\n\nReference {n}.\n\nRegards,\n{sender}")


def people(count: int, domains: tuple[str, ...], salt: int) -> list[str]:
    """`count` distinct first.last addresses spread over the domains."""
    names = [f"{first}.{last}" for last in LAST_NAMES for first in FIRST_NAMES]
    random.Random(salt).shuffle(names)
    return [f"{names[n % len(names)]}{'' if n < len(names) else n // len(names)}@{domains[n % len(domains)]}"
            for n in range(count)]


def staff_for(messages: int) -> list[str]:
    """Senders beyond the named users, so a big tenant's mail is spread as a big tenant's is."""
    return people(messages // MESSAGES_PER_STAFF, ("contoso.com",), 1)


def build_tenant(messages: int = 0) -> Tenant:
    return Tenant(
        organization="Contoso", accepted_domains=["contoso.com", "contoso.onmicrosoft.com"], license=License.E5,
        premium_encryption=True,
        users=[User(a, Role.GLOBAL_ADMIN) for a in ADMINS] + [User(a, Role.HELPDESK) for a in HELPDESK]
        + [User(a, Role.USER) for a in USERS + tuple(staff_for(messages))],
        templates=[BrandingTemplate(DEFAULT_TEMPLATE), BrandingTemplate("Contoso Secure", 0),
                   BrandingTemplate("Contoso Finance", 7), BrandingTemplate("Contoso Legal", 30)],
        native_domains=["fabrikam.com"],
    )


CASE_SUBJECTS = {
    "revocable": "Salary review for Bob Kelly", "mixed": "Project Falcon merger timeline",
    "native_only": "Board minutes for Fabrikam", "default_template": "Tax documents for Eve Martin",
    "unencrypted": "Lunch on Friday", "expired": "Invoice INV-0042",
    "revoked_by_admin": "Customer list export", "revoked_by_sender": "Wire transfer details for Bob",
    "statuses_a": "Pricing proposal for Northwind", "statuses_b": "Audit findings Q3",
    "status_none": "Offer letter for Priya Shah",
}


def _cases(now: datetime) -> list[tuple[Draft, str | None]]:
    """(draft, revoked_by) for each hand-picked case."""
    ago = lambda days, hours=0: now - timedelta(days=days, hours=hours)  # noqa: E731
    dnf, eo = Protection.DO_NOT_FORWARD, Protection.ENCRYPT_ONLY
    megan, diego, nestor = USERS[0], USERS[1], USERS[2]
    return [
        (Draft(megan, ["bob.kelly@gmail.com"], "Salary review for Bob Kelly", "", ago(1, 3), dnf,
               EncryptionMethod.USER, "Contoso Secure"), None),
        (Draft(diego, ["sam.rivera@northwindtraders.com", "ray.chen@fabrikam.com", "adele.vance@contoso.com"],
               "Project Falcon merger timeline", "", ago(2), eo, EncryptionMethod.POLICY, "Contoso Legal"), None),
        (Draft(nestor, ["ray.chen@fabrikam.com"], "Board minutes for Fabrikam", "", ago(3), eo, EncryptionMethod.USER,
               "Contoso Secure"), None),
        (Draft(megan, ["eve.martin@yahoo.com"], "Tax documents for Eve Martin", "", ago(4), eo, EncryptionMethod.USER,
               DEFAULT_TEMPLATE), None),
        (Draft(diego, ["tom.jones@gmail.com"], "Lunch on Friday", "", ago(5), Protection.NONE), None),
        (Draft(nestor, ["priya.shah@tailspintoys.com"], "Invoice INV-0042", "", ago(20), eo,
               EncryptionMethod.POLICY, "Contoso Finance"), None),
        (Draft(megan, ["li.wei@adventure-works.com", "ana.lopez@outlook.com"], "Customer list export", "", ago(6), dnf,
               EncryptionMethod.USER, "Contoso Secure"), ADMINS[0]),
        (Draft(diego, ["bob.kelly@gmail.com"], "Wire transfer details for Bob", "", ago(8), dnf, EncryptionMethod.USER,
               "Contoso Secure"), diego),
        (Draft(nestor, ["sam.rivera@northwindtraders.com", "nobody@tailspintoys.com", "eve.martin@yahoo.com",
                        "kim.park@hotmail.com"], "Pricing proposal for Northwind", "", ago(9), eo,
               EncryptionMethod.USER, "Contoso Legal", {"nobody@tailspintoys.com": TraceStatus.FAILED,
                                                        "eve.martin@yahoo.com": TraceStatus.PENDING,
                                                        "kim.park@hotmail.com": TraceStatus.FILTERED_AS_SPAM}), None),
        (Draft(megan, ["finance-team@contoso.com", "tom.jones@gmail.com", "li.wei@adventure-works.com"],
               "Audit findings Q3", "", ago(10), dnf, EncryptionMethod.POLICY, "Contoso Finance",
               {"finance-team@contoso.com": TraceStatus.EXPANDED, "tom.jones@gmail.com": TraceStatus.QUARANTINED,
                "li.wei@adventure-works.com": TraceStatus.GETTING_STATUS}), None),
        (Draft(diego, ["priya.shah@tailspintoys.com"], "Offer letter for Priya Shah", "", ago(0, 2), eo,
               EncryptionMethod.USER, "Contoso Legal", {"priya.shah@tailspintoys.com": TraceStatus.NONE}), None),
    ]


_COUNTS, _COUNT_WEIGHTS = (1, 2, 3, 4), list(accumulate((60, 25, 10, 5)))
_PROTECTIONS, _PROTECTION_WEIGHTS = list(Protection), list(accumulate((25, 40, 35)))
_STATUSES, _STATUS_WEIGHTS = list(TraceStatus), list(accumulate((1, 1, 3, 2, 85, 2, 3, 3)))
_TEMPLATES = (DEFAULT_TEMPLATE, DEFAULT_TEMPLATE, "Contoso Secure", "Contoso Finance", "Contoso Legal")
_METHODS = (EncryptionMethod.USER,) * 7 + (EncryptionMethod.POLICY,) * 3


T = TypeVar("T")


def _pick(rng: random.Random, population: Sequence[T], cum_weights: list[int]) -> T:
    """rng.choices(population, cum_weights=cum_weights)[0]: the same draw (one random(), as choices
    draws it), without the list and the checks choices makes for every draw."""
    return population[bisect(cum_weights, rng.random() * cum_weights[-1], 0, len(population) - 1)]


class Contoso:
    """The demo's mail: the hand-picked cases, then random mail among the tenant's people."""

    def __init__(self, messages: int, now: datetime):
        self.tenant, self.now = build_tenant(messages), now
        self.cases = _cases(now)[:messages]
        self.senders = USERS + ADMINS[:1] + tuple(staff_for(messages))
        self.contacts = LINK_BASED + NATIVE_EXTERNAL + tuple(people(messages // MESSAGES_PER_CONTACT,
                                                                    EXTERNAL_DOMAINS, 2))

    def draft(self, rng: random.Random, n: int) -> Draft:
        sender = rng.choice(self.senders)
        count = _pick(rng, _COUNTS, _COUNT_WEIGHTS)
        recipients = list(dict.fromkeys(rng.choice(self.contacts) if rng.random() < 0.8 else rng.choice(USERS)
                                        for _ in range(count)))
        recipients = [r for r in recipients if r != sender] or [rng.choice(self.contacts)]
        protection = _pick(rng, _PROTECTIONS, _PROTECTION_WEIGHTS)
        template = None
        if protection is not Protection.NONE:
            template = rng.choice(_TEMPLATES)
        statuses = {r: _pick(rng, _STATUSES, _STATUS_WEIGHTS) for r in recipients}
        received = self.now - timedelta(seconds=rng.randrange(90 * 86400))
        return Draft(sender, recipients, rng.choice(SUBJECTS).format(n=f"{n:05d}"), "", received, protection,
                     rng.choice(_METHODS), template, statuses)

    @staticmethod
    def body(rng: random.Random, draft: Draft) -> str:
        return BODY.format(n=rng.randrange(10**6), sender=draft.sender.split("@")[0].replace(".", " ").title())

    @staticmethod
    def revoker_role(address: str) -> ActingAs:
        return "admin" if address in ADMINS else "sender"


def create_demo(root: Path, messages: int = 300, seed: int = 7,
                progress: Callable[[int, int, str], None] | None = None,
                now: datetime | None = None) -> tuple[Tenant, int]:
    """Create the Contoso demo tenant in a new store. Returns the tenant and how many messages."""
    if not 0 <= messages <= MAX_DEMO_MESSAGES:
        raise UsageError(f"--messages must be 0 to {MAX_DEMO_MESSAGES:,}")
    try:
        store = new_store(root, shards_for(messages))
    except StoreError as error:
        raise StoreError(f"{error}; the demo needs a new store (--store DIR)") from None
    content = Contoso(messages, now or utcnow())
    tenant, now = content.tenant, content.now
    with store.writing():
        store.audit.append(actor=ADMINS[0], role="global-admin", action="demo", target=tenant.organization,
                           outcome="success", detail=f"demo tenant with {messages} message(s), seed {seed}; "
                           "keyring protected by a key file", origin=default_origin(),
                           at=now - timedelta(days=KEYRING_HISTORY_DAYS[0]))
        keyring = _keyring_with_history(store.root, now)
        store.save_new_tenant(tenant)
        DemoMail(content, keyring, seed, messages).write(store, progress)
    return tenant, messages


def shards_for(messages: int) -> int:
    """About 250 messages a shard, so one lookup reads a few hundred kilobytes: 256 to 4,096."""
    shards = DEFAULT_SHARDS
    while shards < MAX_SHARDS and messages > shards * 250:
        shards *= 2
    return shards


def _keyring_with_history(root: Path, now: datetime) -> Keyring:
    """A keyring as if rotated on schedule for 90 days: mail is wrapped by the version of its day."""
    first, *later = KEYRING_HISTORY_DAYS
    keyring = Keyring.create(root, now - timedelta(days=first))
    for days in later:
        keyring.rotate(now - timedelta(days=days))
    return keyring
