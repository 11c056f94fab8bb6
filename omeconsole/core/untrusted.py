"""Text from data, as a person may see it: shown, never obeyed.

Subjects, bodies, addresses, reasons, audit entries, imported fields and anything read from
the network can hold characters a terminal obeys or a reader cannot see: C0 and C1 controls
and DEL (an ESC starts a sequence that clears the screen, moves the cursor, conceals text or
sets the clipboard with OSC 52), bidirectional overrides that reorder what is read, zero-width
and other format characters that hide, line and paragraph separators, and the lone surrogates
that stand for bytes which were not UTF-8. `shown` writes each of them as a visible escape, the
way Python's repr does (`\\x1b`, `\\u202e`), so the text reads as it is and does nothing.

Every face shows data through `shown`: the CLI's tables, lists and sentences, the SSH server's
output, and the console's cells, panes, dialogs and toasts (which also never parse data as
markup). JSON keeps the data exact and escapes the same characters (`json_text`). The store
keeps data as it came; only its display is neutralised. What a person types that is stored and
shown to others is refused if it holds such a character (`refuse_hidden`).
"""

from __future__ import annotations

import json
import unicodedata

from omeconsole.core.errors import UsageError

# Cc: C0, DEL, C1. Cf: bidi overrides and isolates, zero-width and other format characters.
# Cs: lone surrogates. Zl, Zp: line and paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def is_hidden(char: str) -> bool:
    """Whether a terminal could obey this character, or a reader fail to see it."""
    return unicodedata.category(char) in _HIDDEN_CATEGORIES


def escape(char: str) -> str:
    """The visible form of one character: \\x1b, \\u202e, \\U000e0041."""
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shown(text: object, *, lines: bool = False) -> str:
    """`text` with every hidden character written as a visible escape.

    lines=True keeps line breaks (a body of several lines): a newline stays, CRLF becomes a
    newline, a tab stays; a lone carriage return, which would let a line overwrite another,
    is escaped. Otherwise the text is one line and every control character is escaped.
    """
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    if text.isprintable():  # the common case, checked at C speed
        return text
    if lines:
        if text.replace("\n", "").replace("\t", "").isprintable():  # a long output of plain lines
            return text
        return "\n".join(_one_line(line, "\t") for line in text.replace("\r\n", "\n").split("\n"))
    return _one_line(text, "")


def _one_line(text: str, keep: str) -> str:
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() or char in keep or not is_hidden(char) else escape(char)
                   for char in text)


def first_hidden(text: str) -> str | None:
    """The first hidden character in text, escaped, or None."""
    return next((escape(char) for char in text if not char.isprintable() and is_hidden(char)), None)


def refuse_hidden(text: str, what: str) -> str:
    """Text a person typed that is stored and shown to others: refused if it hides anything."""
    found = first_hidden(text)
    if found:
        raise UsageError(f"{what} contains a control or invisible character ({found}); "
                         "type it again without one")
    return text


def json_text(data) -> str:
    """JSON for people and scripts alike: exact, and with every hidden character escaped
    (JSON escapes C0 itself; DEL, C1, format characters, separators and surrogates too)."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if text.replace("\n", "").isprintable():  # json.dumps escaped every newline inside a string
        return text
    return "\n".join(line if line.isprintable() else "".join(map(_json_char, line)) for line in text.split("\n"))


def _json_char(char: str) -> str:
    if char.isprintable() or not is_hidden(char):
        return char  # C0 never reaches here: json.dumps escaped it
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"
