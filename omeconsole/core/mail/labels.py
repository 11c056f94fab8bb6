"""How the Encryption Report names a message's protection, templates and method: its rows, its charts
and the counts kept for them (store/report_counts.py) all take the names from here."""

from __future__ import annotations

from omeconsole.core.mail.model import Message
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE


def encryption_template_label(message: Message) -> str:
    """The report's template column: the custom branding template, else the protection applied."""
    if message.protection is None:
        return "No encryption record"
    if message.template and message.template != DEFAULT_TEMPLATE:
        return message.template
    return message.protection.label


def branding_template_label(message: Message) -> str:
    """The branding template alone: a custom one by name, else the tenant's default."""
    return message.template if message.has_custom_template and message.template else f"{DEFAULT_TEMPLATE} (default)"


def protection_label(message: Message) -> str:
    return message.protection.label if message.protection else "No encryption record"


def message_labels(message: Message) -> dict[str, str | None]:
    """The labels the report's charts count a message under (method None when it has none)."""
    return {"method": message.method.label if message.method else None,
            "template": encryption_template_label(message), "protection": protection_label(message),
            "branding": branding_template_label(message)}
