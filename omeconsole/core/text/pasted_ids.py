"""Everything a person pastes into a lookup: one or several Message IDs in any accepted shape, header
lines (`References: <a> <b>`), URL-encoded IDs, and Message Trace IDs (GUIDs). One key per thing found,
in the order pasted, once each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from omeconsole.core.errors import UsageError
from omeconsole.core.text.message_ids import normalize_message_id, unpasted

MAX_KEYS = 50
MAX_PASTE = 100_000
_GUID = re.compile(r"^\{?([0-9a-fA-F]{8})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{12})\}?$")
_BRACKETED = re.compile(r"<[^<>\s]+>")


class KeyKind(StrEnum):
    MESSAGE_ID = "Message ID"
    TRACE_ID = "Message Trace ID"


@dataclass(frozen=True)
class LookupKey:
    kind: KeyKind
    value: str  # canonical: <left@right> or a lower-case dashed GUID


def trace_id_of(text: str) -> str | None:
    """A Message Trace ID, dashed and lower-case, if the text is a GUID (with or without dashes or braces)."""
    match = _GUID.match(text.strip())
    return "-".join(match.groups()).lower() if match else None


def keys_in_paste(text: str) -> list[LookupKey]:
    """The keys in a paste; a UsageError naming the first piece that is neither kind, or if none is there."""
    if len(text) > MAX_PASTE:
        raise UsageError(f"the paste is {len(text):,} characters; a lookup takes at most {MAX_PASTE:,}")
    cleaned = unpasted(text)
    pieces = _BRACKETED.findall(cleaned) or [p for p in re.split(r"[\s,;]+", cleaned) if p.strip()]
    if not pieces:
        raise UsageError("paste a Message ID, a Message-ID: header line, or a Message Trace ID")
    keys: list[LookupKey] = []
    for piece in pieces:
        trace_id = trace_id_of(piece)
        key = LookupKey(KeyKind.TRACE_ID, trace_id) if trace_id else LookupKey(KeyKind.MESSAGE_ID,
                                                                                 normalize_message_id(piece))
        if key not in keys:
            keys.append(key)
    if len(keys) > MAX_KEYS:
        raise UsageError(f"{len(keys)} IDs pasted; a lookup takes at most {MAX_KEYS} at once")
    return keys
