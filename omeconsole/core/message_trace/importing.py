"""Importing trace exports into the store: idempotent, one audited change per file.

An export only ever adds what the store did not know. It never rewrites omeconsole's own mail
flow: a row naming a Message ID that this store's mail flow created is rejected if its sender
differs, and never adds a recipient to that message (the row would change who the message went
to, and with it who may revoke it). Rows for a message that was itself imported merge as before.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from omeconsole.core.context import ContextService
from omeconsole.core.mail.model import Message, Origin, Recipient
from omeconsole.core.message_trace.import_formats import TraceRow, read_trace_export
from omeconsole.core.text.times import received_problem


@dataclass(frozen=True)
class ImportResult:
    path: str
    format: str
    rows_read: int
    rows_added: int
    rows_already_present: int
    messages_added: int
    errors: list[str]

    def to_record(self) -> dict:
        return {"File": self.path, "Format": self.format, "RowsRead": self.rows_read, "RowsAdded": self.rows_added,
                "RowsAlreadyPresent": self.rows_already_present, "MessagesAdded": self.messages_added,
                "RowsRejected": len(self.errors), "Errors": self.errors}


class TraceImport(ContextService):
    """import FILE: the rows of a trace export, merged into the store."""

    def import_file(self, path: Path) -> ImportResult:
        self.context.require_admin("import", str(path))  # before the file: a refusal never hangs on its content
        parsed = read_trace_export(Path(path))
        with self.store.writing():
            self.context.reload_tenant()
            self.context.require_admin("import", str(path))
            merge = _Merge(self.store, self.context.clock())
            for row in parsed.rows:
                merge.add(row)
            if merge.touched or merge.refused:  # a file whose every row was refused is a refused import
                self.context.audit("import", str(path), "success" if merge.touched else "refused",
                                   _audit_detail(parsed, merge))
            if merge.touched:
                self.store.put_messages(list(merge.touched.values()))
        errors = sorted(parsed.errors + merge.errors + merge.refused, key=_where_order)
        return ImportResult(str(path), parsed.format, len(parsed.rows), merge.added, merge.present,
                            merge.new_messages, errors)


class _Merge:
    """Rows grouped into messages; only recipients the store does not hold are added (idempotent)."""

    def __init__(self, store, now):
        self.store, self.now = store, now
        self.seen: dict[str, Message] = {}
        self.touched: dict[str, Message] = {}
        self.errors: list[str] = []  # rows whose own content is bad
        self.refused: list[str] = []  # rows refused because of what the store holds
        self.added = self.present = self.new_messages = 0

    def add(self, row: TraceRow) -> None:
        problem = received_problem(row.received, self.now)
        if problem:
            self.errors.append(f"{row.where}: {problem}")
            return
        message = self._message_for(row)
        refusal = _mail_flow_refusal(message, row)
        if refusal:
            self.refused.append(f"{row.where}: {refusal}")
        elif message.recipient(row.recipient):
            self.present += 1
        else:
            message.recipients.append(Recipient(row.recipient, row.status, row.to_ip, None, row.events))
            self.touched[row.message_id] = message
            self.added += 1

    def _message_for(self, row: TraceRow) -> Message:
        message = self.seen.get(row.message_id) or self.store.get_message(row.message_id)
        if message is None:
            message = _imported_message(row)
            self.new_messages += 1
        self.seen[row.message_id] = message
        return message


def _audit_detail(parsed, merge: _Merge) -> str:
    detail = (f"{parsed.format}: {merge.added} row(s) added, {merge.new_messages} new message(s), "
              f"{merge.present} already present, {len(parsed.errors) + len(merge.errors) + len(merge.refused)} "
              "rejected")
    if merge.refused:
        detail += (f"; {len(merge.refused)} of them would have rewritten this store's mail flow, the first: "
                   f"{merge.refused[0]}")
    return detail


def _mail_flow_refusal(message: Message, row: TraceRow) -> str | None:
    """Why this row may not touch a message of omeconsole's own mail flow, or None."""
    if message.origin is not Origin.MAIL_FLOW:
        return None
    if row.sender != message.sender:
        return (f"Message ID {row.message_id} belongs to a message sent through this store's mail flow by "
                f"{message.sender}; this row names another sender ({row.sender}), so it was not imported")
    if message.recipient(row.recipient) is None:
        return (f"Message ID {row.message_id} was sent through this store's mail flow, which recorded its "
                f"recipients; an import never adds one ({row.recipient})")
    return None


def _imported_message(row: TraceRow) -> Message:
    return Message(
        message_id=row.message_id, trace_id=row.trace_id or _trace_id_for(row.message_id),
        received=row.received, sender=row.sender, subject=row.subject, size=row.size, from_ip=row.from_ip,
        recipients=[], origin=Origin.IMPORTED, protection=None,
    )


def _trace_id_for(message_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "omeconsole:" + message_id))


_NUMBER = re.compile(r"\d+")


def _where_order(error: str) -> tuple[int, str]:
    """'line 12: ...' and 'value[3]: ...' in the order of the file."""
    found = _NUMBER.search(error)
    return (int(found.group()) if found else 0, error)
