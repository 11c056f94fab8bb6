"""Durable files: an atomic TinyDB storage, and strict JSON reading (the store lock is in lock.py).

Every write goes to a temporary file in the same directory, is fsynced, and replaces
the old file with os.replace; the directory is fsynced too. A crash leaves either the
old file or the new one, never a torn one. A file that does not parse, or does not
have the shape omeconsole writes, raises StoreDamaged and is never rewritten.

The bulk files (message and data key shards, trace index partitions) of a store of format 2
are packed: one Zstandard frame of the JSON, about a seventh of its size, and read back at
about a gigabyte a second. A reader takes either form, so a store is upgraded file by file.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import threading
from collections.abc import Iterable
from contextlib import contextmanager
from json.encoder import c_encode_basestring, c_make_encoder  # type: ignore[attr-defined]
from pathlib import Path
from typing import BinaryIO

import orjson
import zstandard
from tinydb import TinyDB
from tinydb.storages import Storage

from omeconsole.core.errors import StoreDamaged, StoreError
from omeconsole.core.text.reading import parse_json

FILE_MODE = 0o600
PACKED = b"\x28\xb5\x2f\xfd"  # how a Zstandard frame begins; JSON never does
_LEVEL = 1  # measured on a day partition of a million-message store: 7.2 times smaller, 25 ms for 7 MB
_MOST_UNPACKED = 2**31  # a packed store file larger than this unpacked is damaged, not read
BrokenPacking = zstandard.ZstdError


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, unpacked if it is packed; None when it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read store file {path}: {exc.strerror}") from None
    return unpack(path, raw)


def unpack(path: Path, raw: bytes) -> bytes:
    if not raw.startswith(PACKED):
        return raw
    try:
        return zstandard.ZstdDecompressor().decompress(raw, max_output_size=_MOST_UNPACKED)
    except zstandard.ZstdError as exc:
        raise StoreDamaged(path, f"it is packed, but the packing is broken ({exc})") from None


def open_unpacked(path: Path) -> BinaryIO:
    """The file opened for reading line by line, unpacked as it is read if it is packed (a partition of
    many megabytes is never held whole). FileNotFoundError as open's; close it when done."""
    handle = open(path, "rb")  # noqa: SIM115 - the caller closes what this returns
    if handle.read(len(PACKED)) != PACKED:
        handle.seek(0)
        return handle
    handle.seek(0)
    reader = zstandard.ZstdDecompressor().stream_reader(handle, closefd=True)
    return io.BufferedReader(reader, buffer_size=2**20)


def packed(data: bytes | Iterable[bytes]) -> Iterable[bytes]:
    """data as one Zstandard frame, made as the pieces come."""
    compressor = zstandard.ZstdCompressor(level=_LEVEL).compressobj()
    for piece in [data] if isinstance(data, bytes) else data:
        if out := compressor.compress(piece):
            yield out
    yield compressor.flush()


def read_json(path: Path):
    """The parsed file, None when it does not exist, StoreDamaged when it does not parse."""
    raw = read_bytes(path)
    if raw is None:
        return None
    if not raw.strip():
        raise StoreDamaged(path, "the file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreDamaged(path, f"not UTF-8 text (byte {exc.start})") from None
    try:
        return parse_json(text)
    except ValueError as exc:
        raise StoreDamaged(path, str(exc)) from None


_staging = threading.local()


def write_atomic(path: Path, data: bytes | Iterable[bytes], pack: bool = False, wait: bool = True) -> None:
    """Replace path with data, durably: temp file, fsync, os.replace, fsync of the directory.
    Inside all_or_nothing() the replace waits until every file of the change is written. data may
    come in pieces (a large file written as it is made, never held whole). pack: write it packed.
    wait=False: no fsync, for a new file of a bulk load, whose maker calls wait_for_disk on all its
    files at the end (a crash before then may leave such a file empty: only for files of a store
    that is not made yet)."""
    if pack:
        data = packed(data)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            if isinstance(data, bytes):
                _write_all(fd, data)
            else:
                _write_pieces(fd, data)
            if wait:
                os.fsync(fd)
        finally:
            os.close(fd)
        staged = getattr(_staging, "files", None)
        if staged is not None:
            staged.append((tmp, path))
            return
        os.replace(tmp, path)
    except OSError as exc:
        _remove_quietly(tmp)
        raise StoreError(f"cannot write store file {path}: {exc.strerror or exc}; nothing was changed") from None
    except BaseException:  # the pieces' maker stopped (a damaged partition read as it is rewritten)
        _remove_quietly(tmp)
        raise
    if wait:
        fsync_directory(path.parent)


def wait_for_disk(paths: Iterable[Path]) -> None:
    """Make files written with wait=False durable: each fsynced, then each directory once. Done at
    the end of a bulk load, most of the data is on its way already (the first fsync flushes much of
    it), so this takes a fraction of an fsync per file as it is written."""
    directories = set()
    try:
        for path in paths:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            directories.add(path.parent)
        for directory in sorted(directories):
            fsync_directory(directory)
    except OSError as exc:
        raise StoreError(f"cannot write the store's files to disk: {exc.strerror or exc}") from None


@contextmanager
def all_or_nothing():
    """The files written inside land together or not at all: each is written out in full first (so
    a full disk fails the change before any file is replaced), then all are moved into place, in
    order. A file written inside must not be opened again inside: reading it from disk still gives
    the old one (one open_db may write it more than once; its last write lands)."""
    if getattr(_staging, "files", None) is not None:
        yield
        return
    staged: list[tuple[Path, Path]] = []
    _staging.files = staged
    try:
        yield
    except BaseException:
        for tmp, _ in staged:
            _remove_quietly(tmp)
        raise
    finally:
        _staging.files = None
    try:
        for tmp, path in staged:
            os.replace(tmp, path)
    except OSError as exc:
        raise StoreError(f"cannot move a written file into place ({exc.strerror or exc})") from None
    for directory in {path.parent for _, path in staged}:
        fsync_directory(directory)


def _write_pieces(fd: int, pieces: Iterable[bytes]) -> None:
    """The pieces, gathered into writes of about a megabyte."""
    gathered: list[bytes] = []
    size = 0
    for piece in pieces:
        gathered.append(piece)
        size += len(piece)
        if size >= 2**20:
            _write_all(fd, b"".join(gathered))
            gathered, size = [], 0
    if gathered:
        _write_all(fd, b"".join(gathered))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# a datetime or a dataclass is not JSON to json.dumps: orjson would write it; passed through, json raises.
# orjson still writes a plain Enum member and a UUID (json refuses both) and NaN or infinity as null:
# no store document holds any of them (its enums are str enums, written alike by both).
_AS_JSON_DOES = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dump_json(data) -> bytes:
    """The store's JSON in UTF-8, as json.dumps(data, ensure_ascii=False, separators=(",", ":")) writes
    it, by orjson (the demo encodes four million documents: several times faster than the standard
    encoder). What orjson does not take (an integer beyond 64 bits, a key that is not a string) goes to
    the standard encoder. The bytes are the standard encoder's but for a float's exponent (1e-7 for
    1e-07: the same number) and NaN or infinity, which no store document holds (orjson writes null)."""
    try:
        return orjson.dumps(data, option=_AS_JSON_DOES)
    except TypeError:
        return "".join(_ENCODE(data, 0)).encode("utf-8")


def _encoder():
    options = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    if c_make_encoder is None:  # no C accelerator: the encoder's own one-shot path
        return lambda data, _level: [options.encode(data)]
    # no markers: no check for a structure that holds itself (the store's documents are trees; one
    # would exceed the recursion limit instead), and so nothing kept between calls or threads
    return c_make_encoder(None, options.default, c_encode_basestring, None, ":", ",", False, False, True)


_ENCODE = _encoder()


class AtomicJSONStorage(Storage):
    """TinyDB storage: reads the file once per open, validates its shape, writes atomically."""

    def __init__(self, path: str, pack: bool = False):
        super().__init__()
        self.path = Path(path)
        self.pack = pack
        self._data = None
        self._loaded = False

    def read(self):
        if not self._loaded:
            self._data = _check_tables(self.path, read_json(self.path))
            self._loaded = True
        return self._data

    def write(self, data) -> None:
        write_atomic(self.path, dump_json(data), self.pack)
        self._data, self._loaded = data, True

    def close(self) -> None:
        self._data, self._loaded = None, False


def _check_tables(path: Path, data):
    if data is None:
        return None
    if not isinstance(data, dict):
        raise StoreDamaged(path, "expected an object of TinyDB tables at the top level")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise StoreDamaged(path, f"table {name!r} is not an object of documents")
        for doc_id, doc in table.items():
            if not doc_id.isdigit() or not isinstance(doc, dict):
                raise StoreDamaged(path, f"table {name!r} has a malformed document {doc_id!r}")
    return data


@contextmanager
def open_db(path: Path, pack: bool = False):
    """A TinyDB on one store file, for the length of one locked operation; pack: written packed."""
    db = TinyDB(str(path), storage=AtomicJSONStorage, pack=pack)
    try:
        yield db
    finally:
        db.close()
