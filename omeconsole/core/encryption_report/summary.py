"""The Encryption report's summary views: by method, by template, top recipient domains."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from omeconsole.core.encryption_report.rows import ReportRow, encryption_template_label
from omeconsole.core.text.addresses import domain_of


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


class ReportTally:
    """The summary views, counted one message at a time: a large report need not keep its rows."""

    def __init__(self) -> None:
        self.messages = 0
        self.rows = 0
        self.by_method, self.by_template = Counter[str](), Counter[str]()
        self.by_status, self.domains = Counter[str](), Counter[str]()

    def add(self, rows: list[ReportRow]) -> None:
        """The rows of one message (one per recipient)."""
        if not rows:
            return
        first = rows[0]
        self.messages += 1
        self.rows += len(rows)
        if first.message.method:
            self.by_method[first.message.method.label] += 1
        self.by_template[encryption_template_label(first.message)] += 1
        self.by_status[first.revocation_status] += 1
        self.domains.update(domain_of(row.recipient.address) for row in rows)

    def summary(self, top: int = 5) -> ReportSummary:
        return ReportSummary(self.messages, self.by_method.most_common(), self.by_template.most_common(),
                             self.domains.most_common(top), self.by_status.most_common())


def summarize(rows: list[ReportRow], top: int = 5) -> ReportSummary:
    by_message: dict[str, list[ReportRow]] = {}
    for row in rows:
        by_message.setdefault(row.message.message_id, []).append(row)
    tally = ReportTally()
    for message_rows in by_message.values():
        tally.add(message_rows)
    return tally.summary(top)
