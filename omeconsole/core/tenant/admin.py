"""Tenant administration: users and roles, branding templates, native domains.

Reading them needs a tenant identity; changing them, a Global Administrator. Every refusal
(by role, or by what the tenant already holds) is audited before it is raised.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from typing import Literal

from omeconsole.core.context import ContextService
from omeconsole.core.errors import Refused, UsageError
from omeconsole.core.mail.model import Protection
from omeconsole.core.tenant.model import (
    BRANDING_TEXTS,
    DEFAULT_TEMPLATE,
    BrandingTemplate,
    Role,
    User,
    validate_branding_text,
    validate_color,
    validate_expiry_days,
    validate_template_name,
)
from omeconsole.core.tenant.transport_rules import Condition, TransportRule, validate_rule_name
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

    def transport_rules(self) -> list[TransportRule]:
        return list(self._read("rule list").transport_rules)

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

    def add_template(self, name: str, expiry_days: int = 0, **branding) -> BrandingTemplate:
        name = validate_template_name(name)
        template = _branded(BrandingTemplate(name, validate_expiry_days(expiry_days)), branding)
        with self._changing_tenant("template add", name):
            existing = self.tenant.template(name)
            if existing and existing.is_default:
                raise self.context.refuse("template add", name, Refused(
                    f"\"{DEFAULT_TEMPLATE}\" is the default template; it always exists and "
                    "ExternalMailExpiryInDays cannot be set on it"))
            if existing:
                raise self.context.refuse("template add", name, Refused(
                    f"a branding template named \"{existing.name}\" already exists"))
            self.context.audit("template add", name, "success", f"ExternalMailExpiryInDays {template.expiry_days}"
                               + _branding_detail(branding))
            self.store.add_template(template)
        return template

    def set_template(self, name: str, expiry_days: int | None = None, **branding) -> BrandingTemplate:
        """Set-OMEConfiguration: change what is given, keep the rest."""
        name = validate_template_name(name)
        with self._changing_tenant("template set", name):
            existing = self.tenant.template(name)
            if existing is None:
                raise self.context.refuse("template set", name, Refused(f"no branding template named \"{name}\""))
            if expiry_days is not None and existing.is_default:
                raise self.context.refuse("template set", name, Refused(
                    f"ExternalMailExpiryInDays cannot be set on the default template \"{DEFAULT_TEMPLATE}\""))
            changed = _branded(existing, branding)
            if expiry_days is not None:
                changed = replace(changed, expiry_days=validate_expiry_days(expiry_days))
            self.context.audit("template set", existing.name, "success",
                               (f"ExternalMailExpiryInDays {expiry_days}" if expiry_days is not None else "")
                               + _branding_detail(branding))
            self.store.replace_template(changed)
        return changed

    def add_transport_rule(self, name: str, condition: tuple[Condition, str], protection: str,
                           template: str | None = None) -> TransportRule:
        name = validate_rule_name(name)
        protection = Protection.parse(protection).value
        template = validate_template_name(template) if template else None
        with self._changing_tenant("rule add", name):
            if existing := self.tenant.transport_rule(name):
                raise self.context.refuse("rule add", name, Refused(
                    f"a mail flow rule named \"{existing.name}\" already exists"))
            found = self.tenant.template(template) if template else None
            if template and found is None:
                raise self.context.refuse("rule add", name, Refused(f"no branding template named \"{template}\""))
            rule = TransportRule(name, condition[0], condition[1], protection, found.name if found else None)
            self.context.audit("rule add", name, "success", f"when {rule.describe()}: {protection}"
                               + (f", template \"{rule.template}\"" if rule.template else ""))
            self.store.add_transport_rule(rule)
        return rule

    def remove_transport_rule(self, name: str) -> TransportRule:
        name = validate_rule_name(name)
        with self._changing_tenant("rule remove", name):
            rule = self.tenant.transport_rule(name)
            if rule is None:
                raise self.context.refuse("rule remove", name, Refused(f"no mail flow rule named \"{name}\""))
            self.context.audit("rule remove", rule.name, "success", f"was: when {rule.describe()}: {rule.protection}")
            self.store.remove_transport_rule(rule.name)
        return rule

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


def _branded(template: BrandingTemplate, branding: dict) -> BrandingTemplate:
    """The template with the given texts, colour and OTPEnabled (None: unchanged), each checked."""
    changes: dict = {}
    for key, value in branding.items():
        if value is None:
            continue
        if key in BRANDING_TEXTS:
            changes[key] = validate_branding_text(value, key.replace("_", " "))
        elif key == "background_color":
            changes[key] = validate_color(value)
        elif key == "otp_enabled":
            changes[key] = bool(value)
        else:
            raise TypeError(f"unknown branding setting {key}")
    return replace(template, **changes)


def _branding_detail(branding: dict) -> str:
    given = [key for key, value in branding.items() if value is not None]
    return ("; set " + ", ".join(given)) if given else ""
