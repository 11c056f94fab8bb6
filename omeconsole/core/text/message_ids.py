"""Message IDs as helpdesk staff paste them, normalised to one canonical RFC 5322 form.

Accepted: with or without angle brackets (or with only one), surrounding spaces or quotes, a trailing dot
(copied with the sentence), any case in the domain part, a header line (`Message-ID: <...>`,
`In-Reply-To:`), and URL-encoding (`%3C...%40...%3E`, copied from an admin center's address bar).
Canonical: `<left@right>` with the right part lower-cased; the left part keeps its case, as RFC 5322 says it is opaque.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from omeconsole.core.errors import UsageError

MAX_MESSAGE_ID = 998  # RFC 5322 line limit; real IDs are far shorter
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATEXT}(?:\.{_ATEXT})*"
_LITERAL = r"\[[\x21-\x5a\x5e-\x7e]*\]"
_ID_RE = re.compile(rf"^({_DOT_ATOM})@({_DOT_ATOM}|{_LITERAL})$")
_HEADER_NAME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9-]{0,40}:[ \t]*")
_ENCODED = re.compile(r"%(3C|3E|40|20)", re.IGNORECASE)


def unpasted(text: str) -> str:
    """What was pasted, without its header name and URL-encoding: `Message-ID: <a@b>` and `%3Ca%40b%3E`
    are both `<a@b>`. Folded header lines are joined."""
    cleaned = re.sub(r"\r?\n[ \t]+", " ", text)
    if _ENCODED.search(cleaned):
        cleaned = unquote(cleaned)  # not unquote_plus: '+' is a character Message IDs hold
    return "\n".join(_HEADER_NAME.sub("", line, count=1) for line in cleaned.splitlines())


def normalize_message_id(text: str) -> str:
    """Return `<left@right>` or raise a one-line UsageError naming what was typed."""
    raw = text if isinstance(text, str) else ""
    cleaned = unpasted(raw[: MAX_MESSAGE_ID * 4]).strip().strip("\"'").strip()
    cleaned = cleaned.rstrip(".").rstrip()
    # Each bracket on its own: a selection often misses one of them.
    cleaned = cleaned.removeprefix("<").removesuffix(">").strip()
    if len(cleaned) > MAX_MESSAGE_ID:
        raise UsageError(f"Message ID is {len(cleaned)} characters long; RFC 5322 IDs are far shorter")
    match = _ID_RE.match(cleaned)
    if not match:
        raise UsageError(
            f"Message ID {_shown(raw)} is not in RFC 5322 form "
            "<left@right>, e.g. <BY5PR19MB3384A1B2@BY5PR19MB3384.namprd19.prod.outlook.com>"
        )
    left, right = match.groups()
    return f"<{left}@{right.lower()}>"


def _shown(text: str) -> str:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return repr(shown)
