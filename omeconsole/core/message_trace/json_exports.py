"""The JSON exports, read item by item (ijson), never whole:

- Graph messageTraces: {"@odata.context": ..., "value": [...], "@odata.nextLink": ...}
- the Reporting web service's MessageTrace feed: {"d": {"results": [...], "__next": ...}} (or {"d": [...]})
- Get-MessageTrace | ConvertTo-Json: a top-level array, or one object when there was one row
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import ijson

from omeconsole.core.errors import UsageError
from omeconsole.core.message_trace import read_graph, read_powershell
from omeconsole.core.message_trace.culture_dates import DateReading
from omeconsole.core.message_trace.export_encoding import ExportEncoding, open_utf8
from omeconsole.core.message_trace.export_rows import RowError, TraceRow

Convert = Callable[[dict[str, str], str, DateReading], list[TraceRow]]
FORMAT_GRAPH = "Graph messageTraces JSON"
FORMAT_REPORTING = "Reporting web service JSON"
FORMAT_CONVERTTO = "Get-MessageTrace JSON"
_LOOK_AHEAD = 200_000  # parse events read to find where the items are
_NEXT_PAGE = ("@odata.nextLink", "__next")
# ijson turns a lone surrogate escape ("\ud800", which names no character) into "?" without a word; each
# is rewritten first to the escapes of U+10FFFF, a noncharacter no export holds, which rejects its item.
_SURROGATE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})(\\ud[c-f][0-9a-f]{2})?"
                        rb"|(?<!\\)((?:\\\\)*)\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)
_ANY_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_HIGH = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")
LONE_SURROGATE = "\U0010ffff"


@dataclass(frozen=True)
class JsonShape:
    format: str
    prefix: str  # ijson's path to the items
    label: str  # how an item is named in a rejection: "value[3]"
    convert: Convert


_SHAPES = {
    "value": JsonShape(FORMAT_GRAPH, "value.item", "value", read_graph.graph_rows),
    "d.results": JsonShape(FORMAT_REPORTING, "d.results.item", "d.results", read_powershell.powershell_rows),
    "d": JsonShape(FORMAT_REPORTING, "d.item", "d", read_powershell.powershell_rows),
    "": JsonShape(FORMAT_CONVERTTO, "item", "", read_powershell.powershell_rows),
}
_ONE_OBJECT = JsonShape(FORMAT_CONVERTTO, "", "the object", read_powershell.powershell_rows)


@dataclass
class JsonExport:
    path: Path
    encoding: ExportEncoding
    shape: JsonShape
    more_pages: bool

    @property
    def format(self) -> str:
        return self.shape.format

    def rows(self, dates: DateReading) -> Iterator[TraceRow | RowError]:
        index = -1
        with open_utf8(self.path, self.encoding) as raw, _SurrogateGuard(raw) as stream:
            try:
                for index, item in enumerate(ijson.items(stream, self.shape.prefix, use_float=True)):
                    where = self._where(index)
                    try:
                        yield from self.shape.convert(_flat(item), where, dates)
                    except RowError as exc:
                        yield RowError(f"{where}: {exc}")
            except (ijson.JSONError, UnicodeDecodeError) as exc:  # a byte ijson passes that is not UTF-8
                yield RowError(f"{self._where(index + 1)}: the JSON breaks off here ({_said(exc)}): "
                               f"{_cut_or_broken(self.encoding)}; the items before it were read")

    def _where(self, index: int) -> str:
        return self.shape.label if self.shape is _ONE_OBJECT else f"{self.shape.label}[{index}]"


def open_json(path: Path, encoding: ExportEncoding) -> JsonExport:
    """Find where the items are: the first array at a known place, or Get-MessageTrace objects
    (ConvertTo-Json writes an array of them, or one object alone)."""
    with open_utf8(path, encoding) as stream:
        try:
            shape = _shape(ijson.parse(stream))
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path} is not valid JSON ({_said(exc)})") from None
    if shape is None:
        raise UsageError(f"{path} is JSON but not a trace export: no Graph \"value\" list, no Reporting web "
                         "service \"d\" results, and not Get-MessageTrace objects from ConvertTo-Json")
    return JsonExport(path, encoding, shape, shape.format != FORMAT_CONVERTTO and _more_pages(path, encoding))


def _shape(events) -> JsonShape | None:
    """Where the items are; the first item (or the end of an empty list) is read too, so a file cut
    before its first item is refused whole, as JSON that is not valid."""
    keys: dict[str, set[str]] = {"": set(), "item": set()}  # the property names of a top-level object, or item
    found: JsonShape | None = None
    for count, (prefix, event, value) in enumerate(events):
        if found is not None:
            if prefix == found.prefix.removesuffix(".item") and event == "end_array" or (
                    prefix == found.prefix and event.startswith("end_")):
                return found
            continue
        if event == "start_array" and prefix in _SHAPES and prefix:
            found = _SHAPES[prefix]
        if event == "map_key" and prefix in keys:
            keys[prefix].add(str(value).lower())
        if event == "end_map" and prefix in keys:
            object_shape = _ONE_OBJECT if prefix == "" else _SHAPES[""]
            return object_shape if keys[prefix] >= read_powershell.COLUMNS else None
        if count > _LOOK_AHEAD or (prefix == "item" and event not in ("start_map", "map_key")):
            return None  # a top-level array of something else than objects
    return found


def _flat(item) -> dict[str, str]:
    """An item's properties by lower-case name, each as text ("" for null), or a RowError."""
    if not isinstance(item, dict):
        raise RowError("is not an object")
    flat = {}
    for key, value in item.items():
        name = str(key).lower()
        if isinstance(value, (dict, list)) or name == "__metadata":
            continue
        if isinstance(value, bool):  # PSShowComputerName, in every ConvertTo-Json of Get-MessageTrace
            value = "True" if value else "False"
        elif isinstance(value, float):
            if not value.is_integer():
                raise RowError(f"{key} is {value}, not a whole number")
            value = int(value)
        flat[name] = _text(key, value)
    return flat


def _text(key: str, value) -> str:
    if value is None:
        return ""
    text = str(value)
    if LONE_SURROGATE in text:
        raise RowError(f"{key} is not valid Unicode text (it holds a lone surrogate)")
    return text


class _SurrogateGuard(io.RawIOBase):
    """The JSON bytes with each lone surrogate escape made the escapes of LONE_SURROGATE. An escape
    is never cut in two: the bytes from the last backslashes of a chunk wait for the next one."""

    def __init__(self, raw):
        self.raw, self.carry, self.ready = raw, b"", b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.ready:
            chunk = self.raw.read(65536)
            data, self.carry = self.carry + chunk, b""
            if chunk:
                cut = _escape_start(data)
                data, self.carry = data[:cut], data[cut:]
            self.ready = _SURROGATE.sub(_marked, data) if _ANY_SURROGATE.search(data) else data
            if not chunk:
                break
        count = min(len(buffer), len(self.ready))
        buffer[:count] = self.ready[:count]
        self.ready = self.ready[count:]
        return count


def _escape_start(data: bytes) -> int:
    """Where the bytes that may belong to an unfinished escape or surrogate pair begin: the first
    backslash in the last 12 bytes, moved back over a high surrogate's escape just before it and the
    backslashes before that; len(data) when there is none."""
    start = data.find(b"\\", max(0, len(data) - 12))
    if start < 0:
        return len(data)
    if _HIGH.fullmatch(data[max(0, start - 6):start]):
        start -= 6
    while start > 0 and data[start - 1:start] == b"\\":
        start -= 1
    return start


def _marked(match: re.Match) -> bytes:
    if match.group(3):  # a whole pair: a character outside the BMP, as it should be
        return match.group(0)
    before = match.group(1) if match.group(2) else match.group(4)
    return (before or b"") + b"\\udbff\\udfff"


def _more_pages(path: Path, encoding: ExportEncoding) -> bool:
    """Whether the response names a next page (Graph's @odata.nextLink, the web service's __next)."""
    with open(path, "rb") as handle:
        head = handle.read(16384 + encoding.skip)[encoding.skip:]
        handle.seek(max(encoding.skip, encoding.size - 16384) & ~1)
        tail = handle.read()
    ends = (head[:len(head) & ~1] + b"\n" * (2 - encoding.utf8) + tail).decode(encoding.codec, "replace")
    return any(f'"{name}"' in ends for name in _NEXT_PAGE)  # Graph writes its nextLink first, or last


def _said(exc: Exception) -> str:
    """ijson's reason, without the excerpt of the file it draws under it."""
    if isinstance(exc, UnicodeDecodeError):
        return f"a byte at offset {exc.start} of a chunk is not UTF-8"
    said = exc.args[0] if exc.args else ""
    said = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
    text = said.strip().splitlines()[0] if said.strip() else type(exc).__name__
    text = text.removeprefix("parse error: ").split(" (right here)")[0].strip()
    return "the file ends before the JSON does" if "premature EOF" in text else text[:120]


def _cut_or_broken(encoding: ExportEncoding) -> str:
    return encoding.cut or "the file is cut short or damaged"
