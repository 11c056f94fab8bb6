"""Text from data, as a person may see it: shown, never obeyed.

Subjects, bodies, addresses, reasons, audit entries, imported fields and anything read from
the network can hold characters a terminal obeys or a reader cannot see: C0 and C1 controls
and DEL (an ESC starts a sequence that clears the screen, moves the cursor, conceals text or
sets the clipboard with OSC 52), bidirectional overrides that reorder what is read, zero-width
and other format characters that hide, the other characters Unicode says to draw as nothing
(variation selectors, fillers, tags), line and paragraph separators, code points this Python's
Unicode tables do not know (a newer format character is one of them), and the lone surrogates
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
import re
import unicodedata

from omeconsole.core.errors import UsageError

# Cc: C0, DEL, C1. Cf: bidi overrides and isolates, zero-width and other format characters.
# Cs: lone surrogates. Zl, Zp: line and paragraph separators. Cn: unassigned here.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Cn"})
# Unicode's Default_Ignorable_Code_Point characters that are not in those categories, so that
# str.isprintable() passes them: the combining grapheme joiner, Hangul fillers, Khmer and
# Mongolian invisibles, variation selectors (which can smuggle data), the halfwidth filler.
_IGNORABLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0"
                        "\U000e0100-\U000e01ef]")


def is_hidden(char: str) -> bool:
    """Whether a terminal could obey this character, or a reader fail to see it."""
    return unicodedata.category(char) in _HIDDEN_CATEGORIES or _IGNORABLE.match(char) is not None


def _plain(text: str) -> bool:
    """Nothing hidden in text, checked at C speed (the common case)."""
    return text.isprintable() and (text.isascii() or _IGNORABLE.search(text) is None)


def escape(char: str) -> str:
    """The visible form of one character: \\x1b, \\u202e, \\U000e0041."""
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shown(text: object, *, lines: bool = False) -> str:
    """`text` with every hidden character written as a visible escape.

    lines=True keeps line breaks (a body of several lines): a newline stays, CRLF becomes a
    newline, a tab becomes spaces; a lone carriage return, which would let a line overwrite
    another, is escaped. Otherwise the text is one line and every control character is escaped.
    """
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    if _plain(text):
        return text
    if not lines:
        return _one_line(text)
    if "\t" in text:  # a tab is a control character too: in a body it becomes the spaces it stood for
        text = "\n".join(line.expandtabs() for line in text.split("\n"))
    if _plain(text.replace("\n", "")):  # a long output of plain lines
        return text
    return "\n".join(_one_line(line) for line in text.replace("\r\n", "\n").split("\n"))


def _one_line(text: str) -> str:
    if _plain(text):
        return text
    return "".join(escape(char) if is_hidden(char) else char for char in text)


def first_hidden(text: str) -> str | None:
    """The first hidden character in text, escaped, or None."""
    return None if _plain(text) else next((escape(char) for char in text if is_hidden(char)), None)


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
    if _plain(text.replace("\n", "")):  # json.dumps escaped every newline inside a string
        return text
    return "\n".join(line if _plain(line) else "".join(map(_json_char, line)) for line in text.split("\n"))


def _json_char(char: str) -> str:
    if not is_hidden(char):
        return char  # C0 never reaches here: json.dumps escaped it
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"
