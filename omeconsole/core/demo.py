"""The demo tenant: Contoso, with 90 days of mail covering every case in domain.md.

The first messages are hand-picked cases (revocable, native-only, default template,
unencrypted, expired, revoked by an admin and by a sender, mixed recipients, every
trace status); the rest are drawn at random from a seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from omeconsole.core.audit import default_origin
from omeconsole.core.errors import StoreError, UsageError
from omeconsole.core.mailflow import Draft, compose, portal_content
from omeconsole.core.model import EncryptionMethod, Message, Protection, Revocation, TraceStatus
from omeconsole.core.dkm.envelope import PORTAL_CONTENT, seal
from omeconsole.core.dkm.keyring import Keyring
from omeconsole.core.setup import new_store
from omeconsole.core.store import Store
from omeconsole.core.tenant import DEFAULT_TEMPLATE, BrandingTemplate, License, Role, Tenant, User
from omeconsole.core.timeutil import utcnow

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
BODY = ("Hello,\n\nPlease find the details below. This message is confidential and intended only for "
        "the named recipient.\n\nReference {n}.\n\nRegards,\n{sender}")


def build_tenant() -> Tenant:
    return Tenant(
        organization="Contoso", accepted_domains=["contoso.com", "contoso.onmicrosoft.com"], license=License.E5,
        premium_encryption=True,
        users=[User(a, Role.GLOBAL_ADMIN) for a in ADMINS] + [User(a, Role.HELPDESK) for a in HELPDESK]
        + [User(a, Role.USER) for a in USERS],
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
                        "kim.park@hotmail.com"], "Pricing proposal for Northwind", "", ago(9), eo, EncryptionMethod.USER,
               "Contoso Legal", {"nobody@tailspintoys.com": TraceStatus.FAILED,
                                 "eve.martin@yahoo.com": TraceStatus.PENDING,
                                 "kim.park@hotmail.com": TraceStatus.FILTERED_AS_SPAM}), None),
        (Draft(megan, ["finance-team@contoso.com", "tom.jones@gmail.com", "li.wei@adventure-works.com"],
               "Audit findings Q3", "", ago(10), dnf, EncryptionMethod.POLICY, "Contoso Finance",
               {"finance-team@contoso.com": TraceStatus.EXPANDED, "tom.jones@gmail.com": TraceStatus.QUARANTINED,
                "li.wei@adventure-works.com": TraceStatus.GETTING_STATUS}), None),
        (Draft(diego, ["priya.shah@tailspintoys.com"], "Offer letter for Priya Shah", "", ago(0, 2), eo, EncryptionMethod.USER,
               "Contoso Legal", {"priya.shah@tailspintoys.com": TraceStatus.NONE}), None),
    ]


def _random_draft(rng: random.Random, now: datetime, n: int) -> Draft:
    sender = rng.choice(USERS + ADMINS[:1])
    count = rng.choices((1, 2, 3, 4), weights=(60, 25, 10, 5))[0]
    pool = LINK_BASED + NATIVE_EXTERNAL + tuple(u for u in USERS if u != sender)
    recipients = rng.sample(pool, count)
    protection = rng.choices(list(Protection), weights=(25, 40, 35))[0]
    template = None
    if protection is not Protection.NONE:
        template = rng.choice((DEFAULT_TEMPLATE, DEFAULT_TEMPLATE, "Contoso Secure", "Contoso Finance",
                               "Contoso Legal"))
    statuses = {r: rng.choices(list(TraceStatus), weights=(1, 1, 3, 2, 85, 2, 3, 3))[0] for r in recipients}
    received = now - timedelta(seconds=rng.randrange(90 * 86400))
    return Draft(sender, recipients, rng.choice(SUBJECTS).format(n=f"{n:05d}"), "", received, protection,
                 rng.choice((EncryptionMethod.USER,) * 7 + (EncryptionMethod.POLICY,) * 3), template, statuses)


def create_demo(root: Path, messages: int = 300, seed: int = 7,
                progress: Callable[[int, int], None] | None = None,
                now: datetime | None = None) -> tuple[Tenant, int]:
    """Create the Contoso demo tenant in a new store. Returns the tenant and how many messages."""
    if not 0 <= messages <= MAX_DEMO_MESSAGES:
        raise UsageError(f"--messages must be 0 to {MAX_DEMO_MESSAGES:,}")
    try:
        store = new_store(root)
    except StoreError as error:
        raise StoreError(f"{error}; the demo needs a new store (--store DIR)") from None
    tenant, rng, now = build_tenant(), random.Random(seed), now or utcnow()
    with store.writing():
        store.audit.append(actor=ADMINS[0], role="global-admin", action="demo", target=tenant.organization,
                           outcome="success", detail=f"demo tenant with {messages} message(s), seed {seed}; "
                           "keyring protected by a key file", origin=default_origin(),
                           at=now - timedelta(days=KEYRING_HISTORY_DAYS[0]))
        keyring = _keyring_with_history(store.root, now)
        store.save_new_tenant(tenant)
        _write_messages(store, keyring, tenant, rng, now, messages, progress)
    return tenant, messages


def _keyring_with_history(root: Path, now: datetime) -> Keyring:
    """A keyring as if rotated on schedule for 90 days: mail is wrapped by the version of its day."""
    first, *later = KEYRING_HISTORY_DAYS
    keyring = Keyring.create(root, now - timedelta(days=first))
    for days in later:
        keyring.rotate(now - timedelta(days=days))
    return keyring


def _write_messages(store, keyring, tenant, rng, now, total, progress, batch=20_000) -> None:
    cases = _cases(now)[:total]
    done = 0
    while done < total:
        count = min(batch, total - done)
        drafts = [cases[i] if i < len(cases) else (_random_draft(rng, now, i), None)
                  for i in range(done, done + count)]
        _write_batch(store, keyring, tenant, rng, drafts)
        done += count
        if progress:
            progress(done, total)


def _write_batch(store: Store, keyring: Keyring, tenant: Tenant, rng: random.Random, drafts) -> None:
    messages: list[Message] = []
    wrapped_keys, revocations = {}, {}
    for draft, revoked_by in drafts:
        draft.body = BODY.format(n=rng.randrange(10**6), sender=draft.sender.split("@")[0].replace(".", " ").title())
        message = compose(tenant, draft, rng)
        version = max(v.version for v in keyring.versions if v.created <= draft.received)
        message.sealed_content, wrapped = seal(keyring, PORTAL_CONTENT, message.message_id,
                                               portal_content(draft.subject, draft.body), version)
        messages.append(message)
        if not revoked_by:  # a revoked message's content key is destroyed
            wrapped_keys[message.message_id] = wrapped
        else:
            as_role = "admin" if revoked_by in ADMINS else "sender"
            revocations[message.message_id] = Revocation(draft.received + timedelta(hours=2), revoked_by, as_role,
                                                         "demo")
    for message_id, revocation in sorted(revocations.items(), key=lambda item: item[1].revoked_at):
        store.audit.append(actor=revocation.revoked_by, role="global-admin" if revocation.as_role == "admin"
                           else "user", action="revoke", target=message_id, outcome="success",
                           detail=f"as {revocation.as_role} (demo history); the portal copy's content key is "
                           "destroyed", origin="demo", at=revocation.revoked_at)
    store.put_data_keys(wrapped_keys)
    store.put_messages(messages)
    if revocations:
        store.add_revocations(revocations)
