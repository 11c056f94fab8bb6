"""Email addresses, domains, and the `*@domain` patterns Get-MessageTrace accepts."""

from __future__ import annotations

import re

from omeconsole.core.errors import UsageError

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})+"
_ADDRESS_RE = re.compile(rf"^{_LOCAL}@{_DOMAIN}$")
_DOMAIN_RE = re.compile(rf"^{_DOMAIN}$")

MAX_ADDRESS = 254


def normalize_address(text: str, what: str = "address") -> str:
    """An SMTP address, lower-cased, or a one-line UsageError."""
    cleaned = (text or "").strip().strip("<>").strip()
    if len(cleaned) > MAX_ADDRESS or not _ADDRESS_RE.match(cleaned):
        raise UsageError(f"{what} {_shown(text)} is not an email address like someone@contoso.com")
    local, _, domain = cleaned.rpartition("@")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise UsageError(f"{what} {_shown(text)} is not an email address like someone@contoso.com")
    return cleaned.lower()


def normalize_domain(text: str) -> str:
    cleaned = (text or "").strip().rstrip(".").lower()
    if len(cleaned) > 253 or not _DOMAIN_RE.match(cleaned):
        raise UsageError(f"domain {_shown(text)} is not a domain name like contoso.com")
    return cleaned


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


class AddressPattern:
    """An exact address, or `*@domain`: every address in exactly that domain."""

    def __init__(self, text: str):
        cleaned = (text or "").strip().lower()
        self.domain: str | None
        self.address: str | None
        if cleaned.startswith("*@"):
            self.domain = normalize_domain(cleaned[2:])
            self.address = None
        elif "*" in cleaned:
            raise UsageError(f"pattern {_shown(text)}: the only wildcard is a whole local part, as in *@contoso.com")
        else:
            self.domain = None
            self.address = normalize_address(cleaned, "address pattern")
        self.text = cleaned

    def matches(self, address: str) -> bool:
        if self.address is not None:
            return address == self.address
        return domain_of(address) == self.domain

    def __repr__(self) -> str:
        return f"AddressPattern({self.text!r})"


def parse_patterns(values: list[str] | None) -> list[AddressPattern]:
    """Several values, each possibly comma-separated, as PowerShell accepts them."""
    patterns = []
    for value in values or []:
        for part in value.split(","):
            if part.strip():
                patterns.append(AddressPattern(part))
    return patterns


def unique(items) -> list:
    """The items without repeats, in their first order (addresses and domains as typed)."""
    return list(dict.fromkeys(items))


def matches_any(patterns: list[AddressPattern], address: str) -> bool:
    return not patterns or any(p.matches(address) for p in patterns)


def _shown(text: str) -> str:
    text = text or ""
    return repr(text if len(text) <= 80 else text[:77] + "...")
