"""Mail as it arrives over SMTP: its header block read from the raw bytes, its parts read with the
standard library, and the copy a native recipient gets (the bytes as they came, less the X-OME-*
headers, plus a Received line). Anything the parser cannot make sense of is a MimeProblem."""

from __future__ import annotations

import base64
import email
import email.errors
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses

from omeconsole.core.text.untrusted import shown

MAX_ATTACHMENTS = 100
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FATAL_DEFECTS = (email.errors.NoBoundaryInMultipartDefect, email.errors.StartBoundaryNotFoundDefect,
                  email.errors.MultipartInvariantViolationDefect, email.errors.MissingHeaderBodySeparatorDefect)


class MimeProblem(ValueError):
    """The message is not mail this server can read; the text says why, in one line."""


@dataclass
class Incoming:
    """The parts of an arriving message that mail flow decides on and the portal shows."""

    headers: dict[str, str]  # first value of each header, lower-case names, unfolded
    from_addresses: list[str]
    shown_recipients: list[str]  # To and Cc as the headers name them (never the envelope: Bcc stays hidden)
    subject: str
    body: str
    html: str | None
    attachments: list[dict] = field(default_factory=list)  # {"name", "type", "size", "data" (base64)}


def split_header_block(data: bytes) -> tuple[bytes, bytes]:
    """(header block with its last line break, the rest)."""
    end = _HEADER_END.search(data)
    if end is None:
        return data, b""
    cut = end.start() + (2 if data[end.start():end.start() + 2] == b"\r\n" else 1)
    return data[:cut], data[cut:]


def check_header_text(data: bytes) -> None:
    """8-bit headers are read as UTF-8 (RFC 6532); anything else is refused."""
    block, _ = split_header_block(data)
    try:
        block.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MimeProblem(f"a header holds bytes that are not UTF-8 (byte {exc.start})") from None
    if b"\x00" in block:
        raise MimeProblem("a header holds a NUL byte")


def read_incoming(data: bytes) -> Incoming:
    check_header_text(data)
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        fatal = [d for d in _all_defects(message) if isinstance(d, _FATAL_DEFECTS)]
        if fatal:
            raise MimeProblem(f"malformed MIME: {type(fatal[0]).__name__}")
        headers = {name.lower(): " ".join(str(value).split()) for name, value in reversed(message.items())}
        from_addresses = [address for _, address in getaddresses(message.get_all("from", []))]
        visible = [address for _, address in getaddresses([*message.get_all("to", []), *message.get_all("cc", [])])
                   if address]
        return Incoming(headers, from_addresses, visible, headers.get("subject", ""), *_bodies(message),
                        attachments=_attachments(message))
    except MimeProblem:
        raise
    except (ValueError, LookupError, TypeError, AttributeError, IndexError, AssertionError) as exc:
        raise MimeProblem(f"malformed MIME ({type(exc).__name__}: {shown(str(exc))[:120]})") from None


def _all_defects(message: EmailMessage):
    for part in message.walk():
        yield from part.defects


def _bodies(message: EmailMessage) -> tuple[str, str | None]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    text = _text_of(plain) if plain is not None else ""
    return text, (_text_of(html) if html is not None else None)


def _text_of(part) -> str:
    content = part.get_content()
    return content if isinstance(content, str) else content.decode("utf-8", "replace")


def _attachments(message: EmailMessage) -> list[dict]:
    found: list[dict] = []
    for part in message.iter_attachments():
        if len(found) >= MAX_ATTACHMENTS:
            raise MimeProblem(f"more than {MAX_ATTACHMENTS} attachments")
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            payload = part.as_bytes()  # an attached message: kept whole
        found.append({"name": part.get_filename() or "attachment", "type": part.get_content_type(),
                      "size": len(payload), "data": base64.b64encode(payload).decode("ascii")})
    return found


def native_copy(data: bytes, received_line: str, extra_headers: list[str]) -> bytes:
    """The message as it came, without X-OME-* headers (they never leave), with a Received line on
    top and any header the server added (a Message-ID it made, in place of one it could not read)."""
    block, rest = split_header_block(data)
    replaced = {header.split(":", 1)[0].strip().lower().encode() for header in extra_headers}
    kept, skipping = [], False
    for line in block.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower()
        skipping = name.startswith(b"x-ome-") or name in replaced
        if not skipping:
            kept.append(line)
    added = "".join(f"{line}\r\n" for line in [received_line, *extra_headers]).encode("utf-8")
    return added + b"".join(kept) + rest
