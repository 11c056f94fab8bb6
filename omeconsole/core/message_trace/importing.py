"""Importing trace exports into the store: idempotent, streamed, one audited change per batch.

The export is read row by row and merged in batches of BATCH_ROWS: each batch is one all-or-nothing
change, its audit entry written first, so memory stays bounded whatever the file's size, and an
import cut short keeps what its audit entries say it added. The trace index files the new messages
once MAX_UNFILED wait (and at the end), not at every batch: each filing rewrites its partitions.

An export only ever adds what the store did not know. It never rewrites omeconsole's own mail
flow: a row naming a Message ID that this store's mail flow created is rejected if its sender
differs, and never adds a recipient to that message (the row would change who the message went
to, and with it who may revoke it). Rows for a message that was itself imported merge as before.
A bifurcated copy (the same Message ID under another Message Trace ID) stays a copy: its
recipients keep their own Message Trace ID and Received time.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from omeconsole.core.context import ContextService
from omeconsole.core.errors import StoreError
from omeconsole.core.mail.model import Message, Origin, Recipient
from omeconsole.core.message_trace.culture_dates import Culture, DateOrder
from omeconsole.core.message_trace.export_rows import RowError, TraceRow
from omeconsole.core.message_trace.trace_events import status_of
from omeconsole.core.message_trace.trace_export import TraceExport, open_trace_export
from omeconsole.core.text.times import format_iso, received_problem

BATCH_ROWS = 20_000
MAX_UNFILED = 20_000  # messages left for the trace index to file (its mend reads them all back)
SHOWN_REJECTIONS = 10
_NUMBER = re.compile(r"\d+")


@dataclass
class ImportResult:
    path: str
    format: str
    encoding: str
    culture: str
    date_order: str | None
    date_reason: str
    rows_read: int = 0
    rows_added: int = 0
    rows_already_present: int = 0
    messages_added: int = 0
    rows_rejected: int = 0
    rejected: list[str] = field(default_factory=list)  # the first SHOWN_REJECTIONS, in file order
    first_received: datetime | None = None
    last_received: datetime | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def refused_whole(self) -> bool:
        """Every row read was rejected: nothing added, nothing found already present."""
        return self.rows_rejected > 0 and self.rows_added == 0 and self.rows_already_present == 0

    def reject(self, reason: str) -> None:
        self.rows_rejected += 1
        if len(self.rejected) < SHOWN_REJECTIONS:
            self.rejected.append(reason)

    def saw(self, received: datetime) -> None:
        self.first_received = min(self.first_received or received, received)
        self.last_received = max(self.last_received or received, received)

    def to_record(self) -> dict:
        return {"File": self.path, "Format": self.format, "Encoding": self.encoding, "Culture": self.culture,
                "DateOrder": self.date_order, "DateReason": self.date_reason, "RowsRead": self.rows_read,
                "RowsAdded": self.rows_added, "RowsAlreadyPresent": self.rows_already_present,
                "MessagesAdded": self.messages_added, "RowsRejected": self.rows_rejected, "Rejected": self.rejected,
                "FirstReceived": format_iso(self.first_received), "LastReceived": format_iso(self.last_received),
                "Notes": self.notes}


class TraceImport(ContextService):
    """import FILE: the rows of a trace export, merged into the store."""

    def import_file(self, path: Path, order: DateOrder | None = None, culture: Culture | None = None) -> ImportResult:
        self.context.require_admin("import", str(path))  # before the file: a refusal never hangs on its content
        export = open_trace_export(Path(path), order, culture)
        result = ImportResult(str(path), export.format, export.encoding_label, export.dates.culture,
                              export.dates.order.value if export.dates.order else None, export.dates.reason)
        unfiled = 0
        for batch, rejected in _batches(export, result):
            merged = self._merge(export, batch) if batch else _Merge({}, self.context.clock())
            for reason in sorted(rejected + merged.errors, key=_file_order):
                result.reject(reason)
            result.rows_added += merged.added
            result.rows_already_present += merged.present
            result.messages_added += merged.new_messages
            unfiled += len(merged.touched)
            if unfiled >= MAX_UNFILED:
                unfiled = self._file_index(result)
        self._file_index(result)
        result.encoding = export.encoding_label  # known once every row was read (ASCII or UTF-8)
        result.notes = export.notes + result.notes
        return result

    def _merge(self, export: TraceExport, batch: list[TraceRow]) -> _Merge:
        """One batch, one change."""
        with self.store.writing(mend_index=False):
            self.context.reload_tenant()
            self.context.require_admin("import", str(export.path))
            merge = _Merge(self.store.get_messages({row.message_id for row in batch}), self.context.clock())
            for row in batch:
                merge.add(row)
            if merge.touched or merge.refused:
                self.context.audit("import", str(export.path), "success" if merge.touched else "refused",
                                   _audit_detail(export, batch, merge))
            if merge.touched:
                self.store.put_messages(list(merge.touched.values()), index_later=True)
        return merge

    def _file_index(self, result: ImportResult) -> int:
        """File what the batches left in the trace index. The batches are committed whatever happens
        here: if the index cannot be written now (a full disk), searches read these messages from the
        shards, as after a crash, and the next change files them."""
        try:
            if self.store.indexed and self.store.index.pending():
                with self.store.writing():
                    pass  # taking the lock to write mends the index
        except StoreError as error:
            if not result.notes:
                result.notes.append(f"the trace index files the new messages at the next change, not now: {error}")
        return 0


def _batches(export: TraceExport, result: ImportResult) -> Iterator[tuple[list[TraceRow], list[str]]]:
    """(rows, the rejections among them) of at most BATCH_ROWS rows each, as the file is read."""
    batch: list[TraceRow] = []
    rejected: list[str] = []
    for row in export.rows():
        result.rows_read += 1
        if isinstance(row, RowError):
            rejected.append(str(row))
            continue
        result.saw(row.received)
        batch.append(row)
        if len(batch) >= BATCH_ROWS or len(rejected) >= BATCH_ROWS:  # rejections are held too: bound them
            yield batch, rejected
            batch, rejected = [], []
    if batch or rejected:
        yield batch, rejected


def _file_order(reason: str) -> tuple[int, str]:
    """'line 12: ...' and 'value[3]: ...' in the order of the file."""
    found = _NUMBER.search(reason)
    return (int(found.group()) if found else 0, reason)


class _Merge:
    """Rows grouped into messages; only rows (or events) the store does not hold are added."""

    def __init__(self, stored: dict[str, Message], now: datetime):
        self.stored, self.now = stored, now
        self.touched: dict[str, Message] = {}
        self.errors: list[str] = []  # rows refused by their content or by what the store holds, in order
        self.refused = 0  # of them, refused because they would rewrite this store's mail flow
        self.added = self.present = self.new_messages = 0

    def add(self, row: TraceRow) -> None:
        _whole_seconds(row)
        problem = received_problem(row.received, self.now)
        if problem:
            self.errors.append(f"{row.where}: {problem}")
            return
        message = self._message_for(row)
        refusal = _mail_flow_refusal(message, row)
        if refusal:
            self.errors.append(f"{row.where}: {refusal}")
            self.refused += 1
        elif message.origin is Origin.MAIL_FLOW:
            self.present += 1
        else:
            adopted = _adopt_trace_id(message, row)
            merged = self._merged(message, row)
            self.added += merged
            self.present += not merged
            if adopted or merged:
                self.touched[row.message_id] = message

    def _message_for(self, row: TraceRow) -> Message:
        message = self.stored.get(row.message_id)
        if message is None:
            message = self.stored[row.message_id] = _imported_message(row)
            self.new_messages += 1
        return message

    def _merged(self, message: Message, row: TraceRow) -> bool:
        """Add the row's recipient (in its copy), or the events it does not hold yet. False: present."""
        copy_id = row.trace_id if row.trace_id and row.trace_id != message.trace_id else None
        held = next((r for r in message.recipients if r.address == row.recipient and r.trace_id == copy_id), None)
        _fill_blanks(message, row, copy_id)
        if held is None:
            message.recipients.append(_recipient(message, row, copy_id))
            return True
        known = {(e.date, e.event, e.detail) for e in held.events}
        fresh = [e for e in row.events if (e.date, e.event, e.detail) not in known]
        if copy_id and held.received and row.received < held.received:
            held.received = row.received
        held.to_ip = held.to_ip or row.to_ip  # the Extended report's Send comes after its Receive
        if not fresh:
            return False
        held.events = sorted(held.events + fresh, key=lambda e: e.date)
        held.status, held.status_text = status_of(held.events)
        return True


def _adopt_trace_id(message: Message, row: TraceRow) -> bool:
    """An export without MessageTraceId came first (its ID was made up): the first real one is the message's."""
    if row.trace_id and message.trace_id == _trace_id_for(message.message_id):
        message.trace_id = row.trace_id
        return True
    return False


def _whole_seconds(row: TraceRow) -> None:
    """The store keeps times to the second: a row compares with what it holds at that precision."""
    row.received = row.received.replace(microsecond=0)
    row.events = [replace(e, date=e.date.replace(microsecond=0)) for e in row.events]


def _recipient(message: Message, row: TraceRow, copy_id: str | None) -> Recipient:
    received = row.received if copy_id else None  # a copy keeps its own, whatever the message's becomes
    return Recipient(row.recipient, row.status, row.to_ip, None, list(row.events), trace_id=copy_id,
                     received=received, status_text=row.status_text)


def _fill_blanks(message: Message, row: TraceRow, copy_id: str | None) -> None:
    """An Extended report's first row for a message may be any of its events: what a later row
    knows that the message does not (its first event's time, its client IP) fills in."""
    if copy_id is None and row.received < message.received:
        message.received = row.received
    message.from_ip = message.from_ip or row.from_ip
    message.size = message.size or row.size
    message.subject = message.subject or row.subject


def _audit_detail(export: TraceExport, batch: list[TraceRow], merge: _Merge) -> str:
    detail = (f"{export.format}, {batch[0].where} to {batch[-1].where.removeprefix('line ')}: "
              f"{merge.added} row(s) added, {merge.new_messages} new message(s), {merge.present} already present")
    if merge.refused:
        first = next(e for e in merge.errors if "mail flow" in e)
        detail += f"; {merge.refused} would have rewritten this store's mail flow, the first: {first}"
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
