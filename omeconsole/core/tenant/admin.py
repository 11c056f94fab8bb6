"""Tenant administration: users and roles, branding templates, native domains.

Reading them needs a tenant identity; changing them, a Global Administrator. Every refusal
(by role, or by what the tenant already holds) is audited before it is raised.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Literal

from omeconsole.core.context import ContextService
from omeconsole.core.errors import Refused, UsageError
from omeconsole.core.tenant.model import (
    DEFAULT_TEMPLATE,
    BrandingTemplate,
    Role,
    User,
    validate_expiry_days,
    validate_template_name,
)
from omeconsole.core.text.addresses import normalize_address, normalize_domain


class TenantDirectory(ContextService):
    """The tenant's users, templates and native domains, for its users only: an outsider is refused, audited."""

    def _read(self, action: str):
        self.context.require_reader(action)
        with self.store.reading():
            self.context.reload_tenant()
        return self.tenant

    def users(self) -> list[User]:
        return list(self._read("user list").users)

    def templates(self) -> list[BrandingTemplate]:
        return list(self._read("template list").templates)

    def native_domains(self) -> list[str]:
        return list(self._read("native-domain list").native_domains)

    def settings(self):
        return self._read("tenant show")


class TenantAdmin(ContextService):
    """Changes to the tenant: Global Administrators only, each audited, and each refusal too."""

    @contextmanager
    def _changing_tenant(self, action: str, target: str):
        """The exclusive lock, the freshest tenant, the admin check; the tenant reloaded after."""
        with self.store.writing():
            self.context.reload_tenant()
            self.context.require_admin(action, target)
            yield
            self.context.reload_tenant()

    def add_user(self, address: str, role: Role) -> User:
        address = normalize_address(address, "user address")
        with self._changing_tenant("user add", address):
            if not self.tenant.is_internal(address):
                why = f"{address} is not in an accepted domain ({', '.join(self.tenant.accepted_domains)})"
                self.context.audit("user add", address, "refused", why)
                raise UsageError(why)
            if existing := self.tenant.user(address):
                raise self.context.refuse("user add", address, Refused(
                    f"{address} is already a user ({existing.role.value})"))
            user = User(address, role)
            self.context.audit("user add", address, "success", f"role {role.value}")
            self.store.add_user(user)
        return user

    def add_template(self, name: str, expiry_days: int = 0) -> BrandingTemplate:
        name = validate_template_name(name)
        expiry_days = validate_expiry_days(expiry_days)
        with self._changing_tenant("template add", name):
            existing = self.tenant.template(name)
            if existing and existing.is_default:
                raise self.context.refuse("template add", name, Refused(
                    f"\"{DEFAULT_TEMPLATE}\" is the default template; it always exists and "
                    "ExternalMailExpiryInDays cannot be set on it"))
            if existing:
                raise self.context.refuse("template add", name, Refused(
                    f"a branding template named \"{existing.name}\" already exists"))
            template = BrandingTemplate(name, expiry_days)
            self.context.audit("template add", name, "success", f"ExternalMailExpiryInDays {expiry_days}")
            self.store.add_template(template)
        return template

    def set_native_domain(self, domain: str, native: bool) -> str:
        domain = normalize_domain(domain)
        action = "native-domain add" if native else "native-domain remove"
        with self._changing_tenant(action, domain):
            problem = self._native_domain_problem(domain, native)
            if problem:
                raise self.context.refuse(action, domain, Refused(problem))
            self.context.audit(action, domain, "success", "recipients there now get the "
                               + ("native" if native else "link-based") + " experience in new messages")
            if native:
                self.store.add_native_domain(domain)
            else:
                self.store.remove_native_domain(domain)
        return domain

    def _native_domain_problem(self, domain: str, native: bool) -> str | None:
        if domain in self.tenant.accepted_domains:
            return f"{domain} is one of the tenant's accepted domains; it is always native"
        if native == (domain in self.tenant.native_domains):
            return f"{domain} is {'already' if native else 'not'} marked as another Microsoft 365 tenant"
        return None

    def set_approvals_door(self, door: str | None) -> Literal["ssh"] | None:
        """approvals-require-door: "ssh" (elevation decisions count only through the SSH door) or None (off).
        While it is on, setting it counts only through that door too: else `--as` on the CLI could turn it off."""
        if door not in (None, "ssh"):
            raise UsageError(f"--approvals-require-door is ssh or off; {door!r} is neither")
        required: Literal["ssh"] | None = None if door is None else "ssh"
        with self._changing_tenant("tenant set", "approvals-require-door"):
            self.context.require_door("tenant set", "approvals-require-door")
            before = self.tenant.approvals_require_door
            self.context.audit("tenant set", "approvals-require-door", "success",
                               f"{before or 'off'} -> {required or 'off'}")
            self.tenant.approvals_require_door = required
            self.store.save_tenant_settings(self.tenant)
        return required
