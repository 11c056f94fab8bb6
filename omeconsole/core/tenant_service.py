"""Tenant administration: users and roles, branding templates, native domains."""

from __future__ import annotations

from contextlib import contextmanager

from omeconsole.core.addresses import normalize_address, normalize_domain
from omeconsole.core.errors import Refused, UsageError
from omeconsole.core.services import ConsoleService
from omeconsole.core.tenant import (
    DEFAULT_TEMPLATE, BrandingTemplate, Role, User, validate_expiry_days, validate_template_name,
)


class TenantAdmin(ConsoleService):
    """Changes to the tenant: Global Administrators only, each audited."""

    @contextmanager
    def _changing_tenant(self, action: str, target: str):
        """The exclusive lock, the freshest tenant, the admin check; the tenant reloaded after."""
        with self.store.writing():
            self.console.reload_tenant()
            self.console.require_admin(action, target)
            yield
            self.console.reload_tenant()

    def add_user(self, address: str, role: Role) -> User:
        address = normalize_address(address, "user address")
        with self._changing_tenant("user add", address):
            if not self.tenant.is_internal(address):
                raise UsageError(f"{address} is not in an accepted domain ({', '.join(self.tenant.accepted_domains)})")
            if self.tenant.user(address):
                raise Refused(f"{address} is already a user ({self.tenant.user(address).role.value})")
            user = User(address, role)
            self.console.audit("user add", address, "success", f"role {role.value}")
            self.store.add_user(user)
        return user

    def add_template(self, name: str, expiry_days: int = 0) -> BrandingTemplate:
        name = validate_template_name(name)
        expiry_days = validate_expiry_days(expiry_days)
        with self._changing_tenant("template add", name):
            existing = self.tenant.template(name)
            if existing and existing.is_default:
                raise Refused(f"\"{DEFAULT_TEMPLATE}\" is the default template; it always exists and "
                              "ExternalMailExpiryInDays cannot be set on it")
            if existing:
                raise Refused(f"a branding template named \"{existing.name}\" already exists")
            template = BrandingTemplate(name, expiry_days)
            self.console.audit("template add", name, "success", f"ExternalMailExpiryInDays {expiry_days}")
            self.store.add_template(template)
        return template

    def set_native_domain(self, domain: str, native: bool) -> str:
        domain = normalize_domain(domain)
        action = "native-domain add" if native else "native-domain remove"
        with self._changing_tenant(action, domain):
            if domain in self.tenant.accepted_domains:
                raise Refused(f"{domain} is one of the tenant's accepted domains; it is always native")
            if native == (domain in self.tenant.native_domains):
                raise Refused(f"{domain} is {'already' if native else 'not'} marked as another Microsoft 365 tenant")
            self.console.audit(action, domain, "success", "recipients there now get the "
                        + ("native" if native else "link-based") + " experience in new messages")
            if native:
                self.store.add_native_domain(domain)
            else:
                self.store.remove_native_domain(domain)
        return domain
