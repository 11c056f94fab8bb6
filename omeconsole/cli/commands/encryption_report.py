"""report: the Encryption Report's Details table."""

from __future__ import annotations

from omeconsole.cli.commands.message_trace import date_range
from omeconsole.cli.context import open_context
from omeconsole.cli.output import emit_records
from omeconsole.core.encryption_report.report import get_encryption_report
from omeconsole.core.encryption_report.rows import REPORT_PROPERTIES


def cmd_report(args) -> int:
    start, end = date_range(args)
    rows = get_encryption_report(open_context(args), start, end).rows
    emit_records(args, [r.to_record() for r in rows], REPORT_PROPERTIES,
                 table_columns=("Date", "SenderAddress", "RecipientAddress", "Subject", "EncryptionTemplate",
                                "EncryptionMethod", "RevocationStatus", "MessageId"),
                 limits={"Subject": 40})
    return 0
