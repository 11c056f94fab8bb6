"""report: the Encryption Report's Details table, or with --summary the counts its charts show."""

from __future__ import annotations

from contextlib import closing

from omeconsole.cli.commands.message_trace import date_range
from omeconsole.cli.context import open_context
from omeconsole.cli.output import emit, emit_records, record_text, stream_texts, wants_file_format, wants_json
from omeconsole.cli.render import as_json
from omeconsole.core.encryption_report.report import (
    ReportFilter,
    get_encryption_report,
    iter_encryption_report_texts,
)
from omeconsole.core.encryption_report.rows import REPORT_PROPERTIES, REVOCATION_STATUSES
from omeconsole.core.encryption_report.summary import ReportSummary
from omeconsole.core.errors import UsageError
from omeconsole.core.mail.model import EncryptionMethod, Protection
from omeconsole.core.store.workers import spare_cores
from omeconsole.core.text.addresses import parse_patterns
from omeconsole.core.text.untrusted import shown

VIEWS = (("Method", "by_method"), ("Protection", "by_protection"), ("Branding template", "by_branding_template"),
         ("Top recipient domains", "top_domains"), ("Revocation status", "by_revocation_status"))


def report_filter(args) -> ReportFilter:
    """The flags as the core's filter; a bad value is a one-line UsageError naming the flag."""
    status = args.revocation_status
    if status is not None:
        status = next((s for s in REVOCATION_STATUSES if s.lower() == status.strip().lower()), None)
        if status is None:
            raise UsageError(f"--revocation-status must be one of {', '.join(REVOCATION_STATUSES)}")
    return ReportFilter(
        method=EncryptionMethod.parse(args.method) if args.method else None,
        protection=Protection.parse(args.protection) if args.protection else None,
        branding_template=args.template, senders=tuple(parse_patterns(args.sender)),
        recipients=tuple(parse_patterns(args.recipient)), revocation_status=status)


def cmd_report(args) -> int:
    start, end = date_range(args)
    if args.summary and args.csv:
        raise UsageError("--summary prints counts, not rows: use --json for them, or leave out --summary for --csv")
    if args.summary:
        summary = get_encryption_report(open_context(args), start, end, filters=report_filter(args), limit=0).summary
        emit(as_json(summary.to_record()) if wants_json(args) else summary_text(summary))
        return 0
    if wants_file_format(args):
        record = record_text(args, REPORT_PROPERTIES)
        with closing(iter_encryption_report_texts(open_context(args), start, end, report_filter(args),
                                                  lambda row: record(row.to_record()), spare_cores())) as texts:
            stream_texts(args, texts, REPORT_PROPERTIES)
        return 0
    result = get_encryption_report(open_context(args), start, end, filters=report_filter(args))
    emit_records(args, [r.to_record() for r in result.rows], REPORT_PROPERTIES,
                 table_columns=("Date", "SenderAddress", "RecipientAddress", "Subject", "Protection",
                                "BrandingTemplate", "EncryptionMethod", "RevocationStatus", "MessageId"),
                 limits={"Subject": 40})
    return 0


def summary_text(summary: ReportSummary) -> str:
    lines = [f"{summary.messages:,} messages to {summary.recipients:,} recipients"]
    for title, attribute in VIEWS:
        lines.append(f"\n{title}: messages / recipients")
        lines += _view_lines(getattr(summary.by_message, attribute), getattr(summary.by_recipient, attribute))
    return "\n".join(lines)


def _view_lines(by_message: list[tuple[str, int]], by_recipient: list[tuple[str, int]]) -> list[str]:
    """Each label's two counts; a top domain by message that is not in the top by recipient shows "-"."""
    rows = dict(by_recipient)
    width = max((len(shown(label)) for label, _ in by_message), default=0)
    return [f"  {shown(label):<{width}}  {count:>9,}  {_count(rows.get(label)):>9}" for label, count in by_message]


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"

