"""Importing trace exports into the store: idempotent, one audited change per file."""

from __future__ import annotations

import uuid
from pathlib import Path

from omeconsole.core.importers import read_trace_export
from omeconsole.core.model import Message, Origin, Recipient
from omeconsole.core.records import ImportResult
from omeconsole.core.services import ConsoleService


class TraceImport(ConsoleService):
    """import FILE: the rows of a trace export, merged into the store."""

    def import_file(self, path: Path) -> ImportResult:
        parsed = read_trace_export(Path(path))
        with self.store.writing():
            self.console.reload_tenant()
            self.console.require_admin("import", str(path))
            changed, added, present, new_messages = self._merge_rows(parsed.rows)
            if changed:
                self.console.audit("import", str(path), "success",
                                   f"{parsed.format}: {added} row(s) added, {new_messages} new message(s), "
                                   f"{present} already present, {len(parsed.errors)} rejected")
                self.store.put_messages(changed)
        return ImportResult(str(path), parsed.format, len(parsed.rows), added, present, new_messages, parsed.errors)

    def _merge_rows(self, rows) -> tuple[list[Message], int, int, int]:
        """Group rows into messages; add only recipients the store does not hold (idempotent)."""
        seen: dict[str, Message] = {}
        touched: dict[str, Message] = {}
        added = present = new_messages = 0
        for row in rows:
            message = seen.get(row.message_id) or self.store.get_message(row.message_id)
            if message is None:
                message = _imported_message(row)
                new_messages += 1
            seen[row.message_id] = message
            if message.recipient(row.recipient):
                present += 1
                continue
            message.recipients.append(Recipient(row.recipient, row.status, row.to_ip, None, row.events))
            touched[row.message_id] = message
            added += 1
        return list(touched.values()), added, present, new_messages


def _imported_message(row) -> Message:
    return Message(
        message_id=row.message_id, trace_id=row.trace_id or _trace_id_for(row.message_id),
        received=row.received, sender=row.sender, subject=row.subject, size=row.size, from_ip=row.from_ip,
        recipients=[], origin=Origin.IMPORTED, protection=None,
    )


def _trace_id_for(message_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "omeconsole:" + message_id))
