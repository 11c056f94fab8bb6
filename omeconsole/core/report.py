"""The Encryption report's summary views: by method, by template, top recipient domains."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from omeconsole.core.addresses import domain_of
from omeconsole.core.records import ReportRow, encryption_template_label


@dataclass(frozen=True)
class ReportSummary:
    messages: int
    by_method: list[tuple[str, int]]  # counted per message
    by_template: list[tuple[str, int]]  # counted per message
    top_domains: list[tuple[str, int]]  # counted per recipient row
    by_revocation_status: list[tuple[str, int]]  # counted per message

    def to_record(self) -> dict:
        return {"Messages": self.messages, "ByMethod": dict(self.by_method), "ByTemplate": dict(self.by_template),
                "TopRecipientDomains": dict(self.top_domains),
                "ByRevocationStatus": dict(self.by_revocation_status)}


def summarize(rows: list[ReportRow], top: int = 5) -> ReportSummary:
    messages = {row.message.message_id: row for row in rows}
    by_method = Counter(row.message.method.title for row in messages.values() if row.message.method)
    by_template = Counter(encryption_template_label(row.message) for row in messages.values())
    by_status = Counter(row.revocation_status for row in messages.values())
    domains = Counter(domain_of(row.recipient.address) for row in rows)
    return ReportSummary(len(messages), by_method.most_common(), by_template.most_common(),
                         domains.most_common(top), by_status.most_common())
