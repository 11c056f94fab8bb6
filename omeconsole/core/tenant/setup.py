"""Creating a tenant: a new store, its keyring, its first Global Administrator."""

from __future__ import annotations

from pathlib import Path

from omeconsole.core.audit.log import default_origin
from omeconsole.core.dkm.keyring import KEYRING_FILE, Keyring
from omeconsole.core.errors import StoreError, UsageError
from omeconsole.core.store.store import DEFAULT_SHARDS, Store
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE, BrandingTemplate, License, Role, Tenant, User
from omeconsole.core.text.addresses import normalize_address, normalize_domain, unique
from omeconsole.core.text.times import utcnow
from omeconsole.core.text.untrusted import refuse_hidden

MAX_ORGANIZATION = 256


def initialize(root: Path, *, organization: str, domains: list[str], admin: str, license: License,
               premium_encryption: bool = True, passphrase: str | None = None) -> Tenant:
    """init: a new tenant in a new store, with its first Global Administrator and its keyring."""
    organization = refuse_hidden(" ".join((organization or "").split()), "the organisation name (--org)")
    if len(organization) > MAX_ORGANIZATION:
        raise UsageError(f"the organisation name is {len(organization)} characters; at most {MAX_ORGANIZATION}")
    if not organization:
        raise UsageError("the organisation needs a name (--org)")
    accepted = unique([normalize_domain(d) for d in domains])
    if not accepted:
        raise UsageError("a tenant needs at least one accepted domain (--domain)")
    admin = normalize_address(admin, "admin address")
    tenant = Tenant(organization, accepted, license, premium_encryption,
                    users=[User(admin, Role.GLOBAL_ADMIN)], templates=[BrandingTemplate(DEFAULT_TEMPLATE)])
    if not tenant.is_internal(admin):
        raise UsageError(f"the admin {admin} is not in an accepted domain ({', '.join(accepted)})")
    store = new_store(root)
    with store.writing():
        store.audit.append(actor=admin, role=Role.GLOBAL_ADMIN.value, action="init", target=organization,
                           outcome="success", detail=f"domains {', '.join(accepted)}; licence {license.value}; "
                           f"Premium Encryption {'enabled' if premium_encryption else 'disabled'}; keyring "
                           f"protected by {'a passphrase' if passphrase else 'a key file'}",
                           origin=default_origin())
        keyring = Keyring.create(store.root, utcnow(), passphrase)
        store.audit.key_source = keyring.audit_chain_key
        store.audit.begin_keyed_chain(default_origin())
        store.save_new_tenant(tenant)
    return tenant


def new_store(root: Path, shards: int = DEFAULT_SHARDS) -> Store:
    """A new store, or one whose creation stopped before anything but its manifest was written."""
    if not (Path(root) / "store.json").exists():
        return Store.create(root, shards)
    store = Store.open(root)
    if store.has_tenant():
        raise StoreError(f"the store at {root} already holds a tenant; nothing was changed")
    if (store.root / KEYRING_FILE).exists():
        raise StoreError(f"the store at {root} holds a keyring but no tenant (an interrupted init); "
                         "move it aside and start again")
    return store
