"""Look up what a person pasted: each Message ID or Message Trace ID, found or not, with the IDs that
match it but for case when it is not found (people retype IDs in the wrong case).

Only messages this identity may read are found or offered: for anyone else, a message they may not
read is as absent as one that does not exist (Context.load audits a user's attempt)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from omeconsole.core.context import Context
from omeconsole.core.errors import NotFound
from omeconsole.core.mail.model import Message
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.message_trace.search import get_message_trace
from omeconsole.core.rules import can_read
from omeconsole.core.text.pasted_ids import KeyKind, LookupKey, keys_in_paste

TRACE_ID_DAYS = 90  # how far back a Message Trace ID is looked for: as far as the trace goes


@dataclass(frozen=True)
class LookupAnswer:
    key: LookupKey
    message: Message | None
    why: str = ""  # when not found: one line
    near: list[str] = field(default_factory=list)  # Message IDs equal to the key but for case


def look_up(context: Context, text: str) -> list[LookupAnswer]:
    """One answer per key in the paste, in the order pasted. A paste with no key raises UsageError."""
    return [_answer(context, key) for key in keys_in_paste(text)]


def _answer(context: Context, key: LookupKey) -> LookupAnswer:
    if key.kind is KeyKind.TRACE_ID:
        return _by_trace_id(context, key)
    try:
        return LookupAnswer(key, context.load(key.value, "lookup"))
    except NotFound as missing:
        return LookupAnswer(key, None, str(missing), _near(context, key.value))


def _by_trace_id(context: Context, key: LookupKey) -> LookupAnswer:
    query = TraceQuery(trace_ids=[key.value], start=context.clock() - timedelta(days=TRACE_ID_DAYS))
    rows = get_message_trace(context, query, limit=1).rows
    if rows:
        return LookupAnswer(key, rows[0].message)
    return LookupAnswer(key, None, f"no message with Message Trace ID {key.value} in the last {TRACE_ID_DAYS} days")


def _near(context: Context, canonical: str) -> list[str]:
    """The key's local part all upper- and all lower-case (the domain is already lower-case): where a message
    is stored follows from its exact ID, so each guess is one read, never a scan. Mixed-case IDs retyped in
    another mixed case are not found this way."""
    left, _, right = canonical[1:-1].rpartition("@")
    guesses = {f"<{left.upper()}@{right}>", f"<{left.lower()}@{right}>"} - {canonical}
    found = []
    with context.store.reading():
        for guess in sorted(guesses):
            message = context.store.get_message(guess)
            if message is not None and can_read(context.actor, message):
                found.append(guess)
    return found
