"""tenant.json: the tenant's settings, users, branding templates and native domains."""

from __future__ import annotations

from pathlib import Path

from tinydb import Query

from omeconsole.core.errors import StoreDamaged, StoreError
from omeconsole.core.store.documents import DOC_ERRORS, describe
from omeconsole.core.store.files import open_db
from omeconsole.core.tenant.model import BrandingTemplate, License, Tenant, User
from omeconsole.core.tenant.transport_rules import TransportRule


class TenantFile:
    root: Path

    @property
    def tenant_path(self) -> Path:
        return self.root / "tenant.json"

    def has_tenant(self) -> bool:
        return self.tenant_path.exists()

    def load_tenant(self) -> Tenant:
        with open_db(self.tenant_path) as db:
            settings = db.table("settings").all()
            if not settings:
                raise StoreError(f"the store at {self.root} has no tenant yet: run 'omeconsole init ...' "
                                 "or 'omeconsole demo'")
            try:
                tenant = Tenant(
                    organization=settings[0]["organization"],
                    accepted_domains=list(settings[0]["accepted_domains"]),
                    license=License(settings[0]["license"]),
                    premium_encryption=bool(settings[0]["premium_encryption"]),
                    users=[User.from_doc(d) for d in db.table("users").all()],
                    templates=[BrandingTemplate.from_doc(d) for d in db.table("templates").all()],
                    native_domains=[d["domain"] for d in db.table("native_domains").all()],
                    approvals_require_door=_door_setting(settings[0].get("approvals_require_door")),
                    transport_rules=[TransportRule.from_doc(d) for d in db.table("transport_rules").all()],
                )
            except DOC_ERRORS as exc:
                raise StoreDamaged(self.tenant_path, f"a tenant record is malformed ({describe(exc)})") from None
        return tenant

    def save_new_tenant(self, tenant: Tenant) -> None:
        with open_db(self.tenant_path) as db:
            db.storage.write({
                "settings": {"1": tenant.settings_doc()},
                "users": {str(i): u.to_doc() for i, u in enumerate(tenant.users, 1)},
                "templates": {str(i): t.to_doc() for i, t in enumerate(tenant.templates, 1)},
                "native_domains": {str(i): {"domain": d} for i, d in enumerate(tenant.native_domains, 1)},
            })

    def save_tenant_settings(self, tenant: Tenant) -> None:
        with open_db(self.tenant_path) as db:
            db.table("settings").update(tenant.settings_doc())

    def add_user(self, user: User) -> None:
        with open_db(self.tenant_path) as db:
            db.table("users").insert(user.to_doc())

    def add_template(self, template: BrandingTemplate) -> None:
        with open_db(self.tenant_path) as db:
            db.table("templates").insert(template.to_doc())

    def replace_template(self, template: BrandingTemplate) -> None:
        with open_db(self.tenant_path) as db:
            db.table("templates").update(template.to_doc(), Query().name == template.name)

    def add_transport_rule(self, rule: TransportRule) -> None:
        with open_db(self.tenant_path) as db:
            db.table("transport_rules").insert(rule.to_doc())

    def remove_transport_rule(self, name: str) -> None:
        with open_db(self.tenant_path) as db:
            db.table("transport_rules").remove(Query().name == name)

    def add_native_domain(self, domain: str) -> None:
        with open_db(self.tenant_path) as db:
            db.table("native_domains").insert({"domain": domain})

    def remove_native_domain(self, domain: str) -> None:
        with open_db(self.tenant_path) as db:
            db.table("native_domains").remove(Query().domain == domain)


def _door_setting(value):
    if value not in (None, "ssh"):
        raise ValueError(f"approvals_require_door {value!r} is not \"ssh\" or null")
    return value
