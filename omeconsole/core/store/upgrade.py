"""Upgrading a store to format 2: its bulk files packed, its trace index and report counts rebuilt.

The manifest says format 2 first, so an omeconsole of format 1 refuses the store in one line
rather than meeting a packed file it cannot read. Then each file is packed, one atomic write at a
time (a reader takes either form), and the index and counts are rebuilt, after which the manifest
says the counts can be trusted. A crash anywhere leaves a store every reader reads; running the
upgrade again finishes it, skipping the files already packed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from omeconsole.core.store.files import PACKED, read_bytes, write_atomic
from omeconsole.core.store.store import VERSION, Store

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Upgraded:
    from_version: int
    packed: int  # files packed by this run
    messages: int  # messages the rebuilt index holds
    skipped: list[str]  # message documents the index could not file, each with why
    already: bool = False  # it was in the newest format: nothing was done


def is_current(store: Store) -> bool:
    return store.version == VERSION and store.counted and not any(map(_plain, _bulk_files(store.root)))


def upgrade(store: Store, progress: Progress | None = None) -> Upgraded:
    """Under the store's exclusive lock, held by the caller."""
    if is_current(store):
        return Upgraded(VERSION, 0, 0, [], already=True)
    was = store.version
    store.version, store.packed, store.counted = VERSION, True, False
    store.index.pack = True
    store._write_manifest()
    files = _bulk_files(store.root)
    done = 0
    for number, path in enumerate(files, 1):
        done += _pack(path)
        if progress and number % 256 == 0:
            progress(number, len(files), "packing the message and data key shards")
    count, skipped = store.reindex()  # packed partitions and fresh counts; the manifest then trusts them
    return Upgraded(was, done, count, skipped)


def _bulk_files(root: Path) -> list[Path]:
    return [path for sub in ("messages", "datakeys") for path in sorted((root / sub).glob("*.json"))]


def _plain(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(PACKED)) != PACKED


def _pack(path: Path) -> int:
    if not _plain(path):
        return 0
    raw = read_bytes(path)
    if raw is None:
        return 0
    write_atomic(path, raw, pack=True)
    return 1
