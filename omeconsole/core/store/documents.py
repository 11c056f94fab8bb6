"""What the store's files hold, read strictly: a malformed document is named with its file, never skipped."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from omeconsole.core.errors import StoreDamaged
from omeconsole.core.mail.model import Message

DOC_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


def message_from_doc(path: Path, doc: dict) -> Message:
    try:
        return Message.from_doc(doc)
    except DOC_ERRORS as exc:
        named = f" ({doc['message_id']})" if isinstance(doc.get("message_id"), str) else ""
        raise StoreDamaged(path, f"message document {getattr(doc, 'doc_id', '?')}{named} is malformed "
                                 f"({describe(exc)})") from None


def tinydb_text(table: str, docs: list[bytes]) -> bytes:
    """A TinyDB file of one table, from documents already in JSON (UTF-8)."""
    body = b",".join([b'"%d":%s' % (n, doc) for n, doc in enumerate(docs, 1)])
    return b'{"%s":{%s}}' % (table.encode(), body)


def describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


def group_by(items, key) -> dict:
    groups = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups
