"""The tenant: organisation, accepted domains, licence, users and roles, branding templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from omeconsole.core.errors import UsageError
from omeconsole.core.tenant.transport_rules import TransportRule
from omeconsole.core.text.addresses import domain_of
from omeconsole.core.text.untrusted import refuse_hidden

DEFAULT_TEMPLATE = "OME Configuration"
MAX_TEMPLATE_NAME = 64
MAX_EXPIRY_DAYS = 730
MICROSOFT_ACCOUNT_DOMAINS = frozenset({"outlook.com", "hotmail.com", "live.com", "msn.com"})


def parse_choice(enum_cls, text: str, what: str):
    """The member whose value matches, ignoring case and surrounding spaces, or a UsageError."""
    wanted = (text or "").strip().casefold()
    for member in enum_cls:
        if member.value.casefold() == wanted:
            return member
    choices = ", ".join(m.value for m in enum_cls)
    raise UsageError(f"{what} {text!r} is not one of {choices}")


class License(str, Enum):
    """The licences the tenant may hold. AME needs E5, A5, or E3 with the compliance add-on."""

    E5 = "E5"
    A5 = "A5"
    E3_E5_COMPLIANCE = "E3+E5Compliance"
    E3 = "E3"

    @property
    def includes_advanced_message_encryption(self) -> bool:
        return self is not License.E3

    @property
    def label(self) -> str:
        return {
            License.E5: "Microsoft 365 E5",
            License.A5: "Office 365 A5",
            License.E3_E5_COMPLIANCE: "Microsoft 365 E3 with the E5 Compliance add-on",
            License.E3: "Microsoft 365 E3 (no E5 Compliance add-on)",
        }[self]

    @classmethod
    def parse(cls, text: str) -> License:
        key = "".join(ch for ch in (text or "").upper() if ch.isalnum())
        aliases = {
            "E5": cls.E5, "M365E5": cls.E5, "O365E5": cls.E5, "A5": cls.A5,
            "E3": cls.E3, "E3E5COMPLIANCE": cls.E3_E5_COMPLIANCE,
            "E3ADVANCEDCOMPLIANCE": cls.E3_E5_COMPLIANCE,
        }
        if key not in aliases:
            raise UsageError(f"licence {text!r} is not one of E5, A5, E3+E5Compliance, E3")
        return aliases[key]


class Role(str, Enum):
    GLOBAL_ADMIN = "global-admin"
    HELPDESK = "helpdesk"
    USER = "user"

    @classmethod
    def parse(cls, text: str) -> Role:
        return parse_choice(cls, text, "role")


class Experience(str, Enum):
    NATIVE = "native"
    LINK_BASED = "link-based"


@dataclass(frozen=True)
class User:
    address: str
    role: Role

    def to_doc(self) -> dict:
        return {"address": self.address, "role": self.role.value}

    @classmethod
    def from_doc(cls, doc: dict) -> User:
        return cls(address=doc["address"], role=Role(doc["role"]))


DEFAULT_BACKGROUND = "#0f4c81"
BRANDING_TEXTS = ("introduction_text", "read_button_text", "email_text", "disclaimer_text", "portal_text")
MAX_BRANDING_TEXT = 1024  # OME caps DisclaimerText at 1024 characters


@dataclass(frozen=True)
class BrandingTemplate:
    """An OME configuration (New-OMEConfiguration). ExternalMailExpiryInDays 0 means never.
    The texts and colour brand the link-based recipient's wrapper mail and the OME portal."""

    name: str
    expiry_days: int = 0
    otp_enabled: bool = True
    social_id_sign_in: bool = True
    introduction_text: str = ""  # beside the sender's name: "has sent you a secure message"
    read_button_text: str = ""
    email_text: str = ""
    disclaimer_text: str = ""
    portal_text: str = ""
    background_color: str = DEFAULT_BACKGROUND

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_TEMPLATE

    def to_doc(self) -> dict:
        return {
            "name": self.name, "expiry_days": self.expiry_days,
            "otp_enabled": self.otp_enabled, "social_id_sign_in": self.social_id_sign_in,
            **{text: getattr(self, text) for text in BRANDING_TEXTS},
            "background_color": self.background_color,
        }

    @classmethod
    def from_doc(cls, doc: dict) -> BrandingTemplate:
        return cls(
            name=doc["name"], expiry_days=int(doc["expiry_days"]),
            otp_enabled=bool(doc.get("otp_enabled", True)),
            social_id_sign_in=bool(doc.get("social_id_sign_in", True)),
            **{text: str(doc.get(text, "")) for text in BRANDING_TEXTS},
            background_color=validate_color(doc.get("background_color", DEFAULT_BACKGROUND)),
        )


def validate_branding_text(text: str, what: str) -> str:
    cleaned = refuse_hidden(" ".join((text or "").split()), what)
    if len(cleaned) > MAX_BRANDING_TEXT:
        raise UsageError(f"{what} is at most {MAX_BRANDING_TEXT} characters; this one has {len(cleaned)}")
    return cleaned


def validate_color(text: str) -> str:
    """BackgroundColor as OME takes it: #RRGGBB (or #RGB), kept lower case."""
    value = (text or "").strip().lower()
    digits = value[1:]
    if not value.startswith("#") or len(digits) not in (3, 6) or any(c not in "0123456789abcdef" for c in digits):
        raise UsageError(f"the background colour {text!r} is not #RRGGBB")
    return "#" + "".join(c * 2 for c in digits) if len(digits) == 3 else value


def validate_template_name(text: str) -> str:
    name = refuse_hidden(" ".join((text or "").split()), "the branding template name")
    if not name:
        raise UsageError("a branding template needs a name")
    if len(name) > MAX_TEMPLATE_NAME:
        raise UsageError(f"branding template names are at most {MAX_TEMPLATE_NAME} characters; "
                         f"this one has {len(name)}")
    return name


def validate_expiry_days(days: int) -> int:
    if not 0 <= days <= MAX_EXPIRY_DAYS:
        raise UsageError(f"ExternalMailExpiryInDays must be 0 to {MAX_EXPIRY_DAYS} (0 means never); got {days}")
    return days


@dataclass
class Tenant:
    organization: str
    accepted_domains: list[str]
    license: License
    premium_encryption: bool = True
    users: list[User] = field(default_factory=list)
    templates: list[BrandingTemplate] = field(default_factory=list)
    native_domains: list[str] = field(default_factory=list)
    approvals_require_door: Literal["ssh"] | None = None  # elevation decisions count only through that door
    transport_rules: list[TransportRule] = field(default_factory=list)  # in priority order

    @property
    def has_advanced_message_encryption(self) -> bool:
        return self.license.includes_advanced_message_encryption and self.premium_encryption

    def user(self, address: str) -> User | None:
        return next((u for u in self.users if u.address == address), None)

    def template(self, name: str) -> BrandingTemplate | None:
        wanted = name.casefold()
        return next((t for t in self.templates if t.name.casefold() == wanted), None)

    def transport_rule(self, name: str) -> TransportRule | None:
        wanted = name.casefold()
        return next((r for r in self.transport_rules if r.name.casefold() == wanted), None)

    def is_internal(self, address: str) -> bool:
        return domain_of(address) in self.accepted_domains

    def experience_for(self, address: str) -> Experience:
        """Native inside the tenant, in other Microsoft 365 tenants and for Microsoft accounts."""
        domain = domain_of(address)
        if domain in self.accepted_domains or domain in self.native_domains or domain in MICROSOFT_ACCOUNT_DOMAINS:
            return Experience.NATIVE
        return Experience.LINK_BASED

    def first_global_admin(self) -> User | None:
        return next((u for u in self.users if u.role is Role.GLOBAL_ADMIN), None)

    def settings_doc(self) -> dict:
        return {
            "organization": self.organization, "accepted_domains": list(self.accepted_domains),
            "license": self.license.value, "premium_encryption": self.premium_encryption,
            "approvals_require_door": self.approvals_require_door,
        }
