"""Mail flow rules that encrypt: the twins of `New-TransportRule -ApplyRightsProtectionTemplate
-ApplyRightsProtectionCustomizationTemplate`. One condition each; the first rule that matches, in
priority order (the order they were added), decides. Imported here only by the tenant and mail flow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from omeconsole.core.errors import UsageError
from omeconsole.core.text.addresses import domain_of, normalize_address, normalize_domain
from omeconsole.core.text.untrusted import refuse_hidden

Condition = Literal["subject-contains", "sent-to-domain", "from"]
CONDITIONS: tuple[Condition, ...] = ("subject-contains", "sent-to-domain", "from")
MAX_RULE_NAME = 64
MAX_CONDITION_TEXT = 256


@dataclass(frozen=True)
class TransportRule:
    name: str
    condition: Condition
    value: str
    protection: str  # "encrypt-only" or "do-not-forward": Protection's values (mail/model.py)
    template: str | None = None

    def matches(self, sender: str, recipients: list[str], subject: str) -> bool:
        if self.condition == "subject-contains":
            return self.value.casefold() in subject.casefold()
        if self.condition == "sent-to-domain":
            return any(domain_of(r) == self.value for r in recipients)
        return sender == self.value

    def describe(self) -> str:
        words = {"subject-contains": "the subject contains", "sent-to-domain": "a recipient is in",
                 "from": "the sender is"}[self.condition]
        return f"{words} \"{self.value}\""

    def to_doc(self) -> dict:
        return {"name": self.name, "condition": self.condition, "value": self.value,
                "protection": self.protection, "template": self.template}

    @classmethod
    def from_doc(cls, doc: dict) -> TransportRule:
        condition = doc["condition"]
        if condition not in CONDITIONS:
            raise ValueError(f"condition {condition!r} is not one of {', '.join(CONDITIONS)}")
        return cls(doc["name"], condition, str(doc["value"]), str(doc["protection"]), doc.get("template"))


def validate_rule_name(text: str) -> str:
    name = refuse_hidden(" ".join((text or "").split()), "the mail flow rule name")
    if not name or len(name) > MAX_RULE_NAME:
        raise UsageError(f"a mail flow rule name is 1 to {MAX_RULE_NAME} characters")
    return name


def rule_condition(subject_contains: str | None, sent_to_domain: str | None,
                   from_address: str | None) -> tuple[Condition, str]:
    """The one condition given, checked: (kind, value)."""
    if subject_contains is not None:
        text = refuse_hidden(" ".join(subject_contains.split()), "--subject-contains")
        if not text or len(text) > MAX_CONDITION_TEXT:
            raise UsageError(f"--subject-contains is 1 to {MAX_CONDITION_TEXT} characters")
        return "subject-contains", text
    if sent_to_domain is not None:
        return "sent-to-domain", normalize_domain(sent_to_domain.strip().lstrip("@"))
    if from_address is not None:
        return "from", normalize_address(from_address, "--from")
    raise UsageError("a mail flow rule needs one condition: --subject-contains, --sent-to-domain or --from")


def first_match(rules: list[TransportRule], sender: str, recipients: list[str],
                subject: str) -> TransportRule | None:
    return next((rule for rule in rules if rule.matches(sender, recipients, subject)), None)
