"""The Encryption report's summary views, each counted two ways.

The charts count messages; the Details table and its CSV have one row per recipient. Counted one
way only and unlabelled, the two rank templates differently and people cannot tell why. So every view
is kept both ways: by message and by recipient row, and whoever draws it says which.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from omeconsole.core.encryption_report.rows import ReportRow
from omeconsole.core.mail.labels import message_labels
from omeconsole.core.text.addresses import domain_of

COUNTED = ("messages", "recipients")  # what a count counts: messages, or recipient rows (the table's rows)


@dataclass(frozen=True)
class ReportViews:
    """One count of every view, most first."""

    by_method: list[tuple[str, int]] = field(default_factory=list)
    by_template: list[tuple[str, int]] = field(default_factory=list)  # the report's mixed column: custom or protection
    by_protection: list[tuple[str, int]] = field(default_factory=list)
    by_branding_template: list[tuple[str, int]] = field(default_factory=list)
    top_domains: list[tuple[str, int]] = field(default_factory=list)
    by_revocation_status: list[tuple[str, int]] = field(default_factory=list)

    def to_record(self) -> dict:
        return {"ByMethod": dict(self.by_method), "ByTemplate": dict(self.by_template),
                "ByProtection": dict(self.by_protection), "ByBrandingTemplate": dict(self.by_branding_template),
                "TopRecipientDomains": dict(self.top_domains), "ByRevocationStatus": dict(self.by_revocation_status)}


@dataclass(frozen=True)
class ReportSummary:
    messages: int
    recipients: int = 0  # recipient rows: the Details table's rows
    by_message: ReportViews = field(default_factory=ReportViews)
    by_recipient: ReportViews = field(default_factory=ReportViews)

    def views(self, counted: str) -> ReportViews:
        return self.by_recipient if counted == "recipients" else self.by_message

    def total(self, counted: str) -> int:
        return self.recipients if counted == "recipients" else self.messages

    # The views as the report has always shown them, counted per message.
    @property
    def by_method(self) -> list[tuple[str, int]]:
        return self.by_message.by_method

    @property
    def by_template(self) -> list[tuple[str, int]]:
        return self.by_message.by_template

    @property
    def top_domains(self) -> list[tuple[str, int]]:
        return self.by_message.top_domains

    def to_record(self) -> dict:
        return {"Messages": self.messages, "Recipients": self.recipients,
                "CountedByMessage": self.by_message.to_record(), "CountedByRecipient": self.by_recipient.to_record()}


class _Counts:
    def __init__(self) -> None:
        self.method, self.template, self.protection = Counter[str](), Counter[str](), Counter[str]()
        self.branding, self.domains, self.status = Counter[str](), Counter[str](), Counter[str]()

    def views(self, top: int) -> ReportViews:
        return ReportViews(_ranked(self.method), _ranked(self.template), _ranked(self.protection),
                           _ranked(self.branding), _ranked(self.domains)[:top], _ranked(self.status))


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    """Most first, ties by name: the same ranking however the counts were gathered."""
    return sorted(((label, count) for label, count in counter.items() if count), key=lambda kv: (-kv[1], kv[0]))


class ReportTally:
    """The summary views, counted one message at a time: a large report need not keep its rows."""

    def __init__(self) -> None:
        self.messages = 0
        self.rows = 0
        self._by_message, self._by_recipient = _Counts(), _Counts()

    def add(self, rows: list[ReportRow]) -> None:
        """The rows of one message (one per recipient)."""
        if not rows:
            return
        message = rows[0].message
        self.messages += 1
        self.rows += len(rows)
        labels = {**message_labels(message), "status": rows[0].revocation_status}
        domains = [domain_of(row.recipient.address) for row in rows]
        for counts, weight in ((self._by_message, 1), (self._by_recipient, len(rows))):
            for name, label in labels.items():
                if label is not None:
                    getattr(counts, name)[label] += weight
        self._by_message.domains.update(set(domains))
        self._by_recipient.domains.update(domains)

    def add_counts(self, counts: dict, statuses: dict[str, list[int]]) -> None:
        """A day's kept counts (store/report_counts.py), with its revocation statuses as decided now."""
        self.messages += counts.get("messages", 0)
        self.rows += counts.get("recipients", 0)
        for way, mine in (("by_message", self._by_message), ("by_recipient", self._by_recipient)):
            for name, counted in counts.get(way, {}).items():
                getattr(mine, name).update(counted)
        for status, (messages, rows) in statuses.items():
            self._by_message.status[status] += messages
            self._by_recipient.status[status] += rows

    def summary(self, top: int = 5) -> ReportSummary:
        return ReportSummary(self.messages, self.rows, self._by_message.views(top), self._by_recipient.views(top))


def summarize(rows: list[ReportRow], top: int = 5) -> ReportSummary:
    by_message: dict[str, list[ReportRow]] = {}
    for row in rows:
        by_message.setdefault(row.message.message_id, []).append(row)
    tally = ReportTally()
    for message_rows in by_message.values():
        tally.add(message_rows)
    return tally.summary(top)
