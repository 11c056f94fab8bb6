"""Which text encoding an export is in, and its text as a stream.

Exports come as Windows PowerShell 5.1 writes them (ASCII, or UTF-16 LE with a BOM from Out-File),
as PowerShell 7 writes them (UTF-8 without a BOM), as the admin center writes them (UTF-16, with or
without a BOM), and as .NET writers and Excel save them. The encoding is read from the BOM, else
from where the zero bytes fall in the first kilobytes (ASCII text in UTF-16 has one in every pair),
else it is UTF-8. A byte the encoding cannot decode becomes UNDECODABLE in the text, so the row that
holds it is rejected and the rest is read; a file cut mid-character says so.
"""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from omeconsole.core.errors import UsageError
from omeconsole.core.text.reading import unreadable

MAX_FILE_BYTES = 4 * 2**30
UNDECODABLE = "\udcff"  # a lone surrogate: no valid UTF-8 or UTF-16 decodes to one
_HANDLER = "omeconsole-undecodable"
_HEAD = 4096
_BOMS = ((codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"), (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE with BOM"),
         (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE with BOM"))

def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)  # registered for decoding only
    return UNDECODABLE, error.end


codecs.register_error(_HANDLER, _mark_undecodable)


@dataclass
class ExportEncoding:
    codec: str  # "utf-8", "utf-16-le", "utf-16-be"
    label: str  # "UTF-8 with BOM", "UTF-16 LE", ...: what the summary says
    skip: int  # the BOM's length
    size: int
    cut: str | None = None  # why the file's last character is incomplete, when it is
    notes: list[str] = field(default_factory=list)

    @property
    def utf8(self) -> bool:
        return self.codec == "utf-8"

    def shown(self, ascii_only: bool) -> str:
        """The label, with "ASCII" for a BOM-less UTF-8 file whose every character was ASCII."""
        return "ASCII" if ascii_only and self.label == "UTF-8" else self.label


def detect_encoding(path: Path) -> ExportEncoding:
    head, size = _head(path)
    for bom, codec, label in _BOMS:
        if head.startswith(bom):
            return _checked(path, head, size, ExportEncoding(codec, label, len(bom), size))
    wide = _utf16_by_zeros(head)
    if wide:
        label = "UTF-16 LE" if wide == "utf-16-le" else "UTF-16 BE"
        return _checked(path, head, size, ExportEncoding(wide, label, 0, size))
    return _checked(path, head, size, ExportEncoding("utf-8", "UTF-8", 0, size))


def open_text(path: Path, encoding: ExportEncoding) -> IO[str]:
    """The file's text after its BOM, lines kept whole (CR LF inside a quoted field stays)."""
    raw = open(path, "rb")  # noqa: SIM115 - the TextIOWrapper owns it and closes it
    raw.seek(encoding.skip)
    return io.TextIOWrapper(raw, encoding=encoding.codec, errors=_HANDLER, newline="")


def open_utf8(path: Path, encoding: ExportEncoding) -> io.RawIOBase | io.BufferedReader:
    """The file's bytes as UTF-8 after its BOM (a UTF-16 file re-encoded as it is read), for ijson."""
    if encoding.utf8:
        raw = open(path, "rb")  # noqa: SIM115 - the caller closes it
        raw.seek(encoding.skip)
        return raw
    return _Utf8Reader(open_text(path, encoding))


class _Utf8Reader(io.RawIOBase):
    """A UTF-16 file's text, read as UTF-8 bytes (an undecodable unit stays invalid, for ijson to report)."""

    def __init__(self, text: IO[str]):
        self.text, self.pending = text, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self.pending) < len(buffer):
            chunk = self.text.read(65536)
            if not chunk:
                break
            self.pending += chunk.encode("utf-8", "surrogatepass")
        count = min(len(buffer), len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count

    def close(self) -> None:
        self.text.close()
        super().close()


def _head(path: Path) -> tuple[bytes, int]:
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD)
            size = handle.seek(0, io.SEEK_END)
    except OSError as exc:
        raise unreadable(path, exc) from None
    if size > MAX_FILE_BYTES:
        raise UsageError(f"{path} is larger than {MAX_FILE_BYTES // 2**30} GiB, the most that is read")
    return head, size


def _utf16_by_zeros(head: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII characters put a zero in the high byte of each pair."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even, odd = head[0:pairs * 2:2].count(0), head[1:pairs * 2:2].count(0)
    # An emoji or a CJK character can put a zero in the other half of a pair now and then: a share, not none.
    if odd >= pairs * 0.3 and even <= odd / 8:
        return "utf-16-le"
    if even >= pairs * 0.3 and odd <= even / 8:
        return "utf-16-be"
    return None


def _checked(path: Path, head: bytes, size: int, encoding: ExportEncoding) -> ExportEncoding:
    """Refuse a BOM-less file whose first kilobytes are not UTF-8 (it is in some other encoding, not
    damaged in one row); note a cut last character. A bad unit in UTF-16 text only rejects its row."""
    if encoding.label == "UTF-8":
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError as exc:
            raise UsageError(f"{path} is not UTF-8 or UTF-16 text (a byte at offset {exc.start} is neither): "
                             "save it as UTF-8 or UTF-16 and import it again") from None
    encoding.cut = _cut(path, encoding)
    if encoding.cut:
        encoding.notes.append(encoding.cut)
    return encoding


def _cut(path: Path, encoding: ExportEncoding) -> str | None:
    """Why the file ends mid-character (a download cut short), or None."""
    if encoding.size <= encoding.skip:
        return None
    if not encoding.utf8:
        if (encoding.size - encoding.skip) % 2:
            return "the file ends mid-character (UTF-16 text is whole pairs of bytes): it was cut short"
        return None
    with open(path, "rb") as handle:
        handle.seek(max(encoding.skip, encoding.size - 4))
        tail = handle.read()
    try:
        codecs.getincrementaldecoder("utf-8")().decode(tail[-4:], final=False)
    except UnicodeDecodeError:
        return None  # a bad byte, not a cut: its row is rejected
    lead = len(tail) - len(tail.rstrip(bytes(range(0x80, 0xC0))))  # continuation bytes at the end
    last = tail[-1 - lead] if lead < len(tail) else 0
    width = 2 if 0xC0 <= last < 0xE0 else 3 if 0xE0 <= last < 0xF0 else 4 if last >= 0xF0 else 1
    if last >= 0xC0 and lead + 1 < width:
        return "the file ends mid-character (an incomplete UTF-8 sequence): it was cut short"
    return None
