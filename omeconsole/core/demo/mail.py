"""The demo's mail, written in bulk: a million messages in one write per file, in bounded memory.

Messages are made in chunks of CHUNK, each from its own seeded random stream, in worker processes
when there is more than one chunk. A worker writes its chunk to spill files in the store's
temporary directory as JSON lines grouped by the store file they go to (message shard, data key
shard, trace index partition), each group of store files (a bucket) in a spill file of its own,
and hands back only the chunk's counts and revocations. Then the store files are made bucket by
bucket, again in the workers: each reads its bucket's groups from every chunk, in chunk order, and
writes each store file once. So memory holds a chunk per worker and one store file, never the whole
store (2.6 GB of text at a million messages), and nothing big passes between processes.
"""

from __future__ import annotations

import marshal
import multiprocessing
import os
import random
import tempfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Protocol

from omeconsole.core.dkm.envelope import PORTAL_CONTENT, seal
from omeconsole.core.dkm.keyring import Keyring
from omeconsole.core.gcpause import collection_paused
from omeconsole.core.mail.flow import Draft, compose, portal_content
from omeconsole.core.mail.model import ActingAs, Revocation
from omeconsole.core.store.files import dump_json, wait_for_disk
from omeconsole.core.store.report_counts import CountsTally
from omeconsole.core.store.store import Store
from omeconsole.core.store.trace_index import index_entry, partitions_of, summary_of
from omeconsole.core.tenant.model import Tenant

CHUNK = 10_000
MAX_WORKERS = 4
BUCKETS = 16  # groups of store files, each made from its own spill files by one worker at a time
File = tuple[str, str]  # a store file of the bulk load: ("messages" | "datakeys" | "index", its key)


@dataclass
class Chunk:
    """One chunk of mail as JSON lines in UTF-8, grouped by the store file it goes to. Each file's lines
    are copied into one buffer as they are made: orjson's bytes, kept one by one, took about 4 KB of
    memory each (a chunk's thirty thousand lines: 100 MB more a worker, measured)."""

    lines: dict[File, bytearray] = field(default_factory=lambda: defaultdict(bytearray))
    revocations: dict[str, Revocation] = field(default_factory=dict)
    counts: CountsTally = field(default_factory=CountsTally)  # the Encryption Report's, by day
    count: int = 0


@dataclass
class Made:
    """A chunk once spilled: what the parent keeps of it."""

    number: int
    revocations: dict[str, Revocation]
    counts: CountsTally
    count: int


class Content(Protocol):
    """What the demo's mail says: demo.py's Contoso."""

    tenant: Tenant
    cases: list[tuple[Draft, str | None]]  # (draft, who revoked it)

    def draft(self, rng: random.Random, n: int) -> Draft: ...
    def body(self, rng: random.Random, draft: Draft) -> str: ...
    def revoker_role(self, address: str) -> ActingAs: ...


class DemoMail:
    """`total` messages: the content's hand-picked cases first, then random mail."""

    def __init__(self, content: Content, keyring: Keyring, seed: int, total: int):
        self.content, self.keyring, self.seed, self.total = content, keyring, seed, total
        self.versions = sorted((v.created, v.version) for v in keyring.versions)
        self.shards = 0

    def write(self, store: Store, progress: Callable[[int, int, str], None] | None = None) -> None:
        self.shards = store.shards
        store.check_holds_no_mail()
        jobs = [(n, first, min(CHUNK, self.total - first)) for n, first in enumerate(range(0, self.total, CHUNK))]
        revocations: dict[str, Revocation] = {}
        counts = CountsTally()
        with tempfile.TemporaryDirectory(dir=store.root, prefix=".demo-") as spill_dir:
            spill = Spill(Path(spill_dir), len(jobs))
            with collection_paused(), _Workers(self, store, spill, len(jobs)) as workers:
                done = 0
                for made in _in_order(workers.map(_make, jobs)):
                    revocations.update(made.revocations)
                    counts.absorb(made.counts)
                    done += made.count
                    if progress:
                        progress(done, self.total, "making mail")
                # first, as before the store files: a crash between cannot leave a revoked message's
                # content key gone with no revocation to say so
                self._write_revocations(store, revocations)
                for written, _ in enumerate(workers.map(_write_bucket, range(BUCKETS)), 1):
                    if progress:
                        progress(written, BUCKETS, "writing the store")
            store.counts.write_all(counts)

    def make_chunk(self, job: tuple[int, int, int]) -> Chunk:
        number, first, count = job
        rng, chunk = random.Random(f"omeconsole-demo:{self.seed}:{number}"), Chunk(count=count)
        cases = self.content.cases
        with collection_paused():
            for n in range(first, first + count):
                draft, revoked_by = cases[n] if n < len(cases) else (self.content.draft(rng, n), None)
                self._add(chunk, draft, revoked_by, rng)
        return chunk

    def _add(self, chunk: Chunk, draft: Draft, revoked_by: str | None, rng: random.Random) -> None:
        draft.body = self.content.body(rng, draft)
        message = compose(self.content.tenant, draft, rng)
        mid = message.message_id
        message.sealed_content, wrapped = seal(self.keyring, PORTAL_CONTENT, mid,
                                               portal_content(draft.subject, draft.body), self._version(draft.received))
        doc = message.to_doc()
        shard = Store.shard_name(mid, self.shards)
        lines = chunk.lines
        _add_line(lines["messages", shard], dump_json(doc))
        if revoked_by:  # a revoked message's content key is destroyed
            message.revocation = Revocation(draft.received + timedelta(hours=2), revoked_by,
                                            self.content.revoker_role(revoked_by), "demo")
            chunk.revocations[mid] = message.revocation
        else:
            _add_line(lines["datakeys", shard], dump_json({"message_id": mid, **wrapped}))
        summary = summary_of(doc)
        chunk.counts.add(message, summary)
        entry = index_entry(mid, summary)
        for key in partitions_of(summary):
            _add_line(lines["index", key], entry)

    def _version(self, received: datetime) -> int:
        return max(version for created, version in self.versions if created <= received)

    def _write_revocations(self, store: Store, revocations: dict[str, Revocation]) -> None:
        for message_id, revocation in sorted(revocations.items(), key=lambda item: item[1].revoked_at):
            role = "global-admin" if revocation.as_role == "admin" else "user"
            store.audit.append(actor=revocation.revoked_by, role=role, action="revoke", target=message_id,
                               outcome="success", detail=f"as {revocation.as_role} (demo history); the portal "
                               "copy's content key is destroyed", origin="demo", at=revocation.revoked_at)
        if revocations:
            store.add_revocations(revocations)


def _in_order(made: Iterable[Made]) -> Iterator[Made]:
    """The chunks in chunk order, whichever worker finishes first: the counts files the same every time."""
    waiting: dict[int, Made] = {}
    taken = 0
    for chunk in made:
        waiting[chunk.number] = chunk
        while taken in waiting:
            yield waiting.pop(taken)
            taken += 1
    if waiting:  # a chunk number missing: never silently leave the rest unwritten
        raise RuntimeError(f"demo chunk {taken} never came; chunks {sorted(waiting)} were not written")


def _add_line(lines: bytearray, line: bytes) -> None:
    lines += line
    lines += b"\n"


class Spill:
    """The chunks' lines in spill files: chunk N's lines of bucket B in cN.bB (grouped by store file,
    in the order they were made), with where each group lies in cN.bB.at."""

    def __init__(self, directory: Path, chunks: int):
        self.dir, self.chunks = directory, chunks

    @staticmethod
    def bucket(file: File) -> int:
        return zlib.crc32(f"{file[0]}/{file[1]}".encode()) % BUCKETS

    def _paths(self, number: int, bucket: int) -> tuple[Path, Path]:
        name = f"c{number:06d}.b{bucket:02d}"
        return self.dir / name, self.dir / f"{name}.at"

    def add(self, number: int, chunk: Chunk) -> None:
        by_bucket: dict[int, list[File]] = defaultdict(list)
        for file in chunk.lines:
            by_bucket[self.bucket(file)].append(file)
        for bucket, files in by_bucket.items():
            data_path, table_path = self._paths(number, bucket)
            table, offset = {}, 0
            with open(data_path, "wb") as out:
                for file in files:
                    text = chunk.lines[file]
                    out.write(text)
                    table[file] = (offset, len(text))
                    offset += len(text)
            table_path.write_bytes(marshal.dumps(table))

    def files(self, bucket: int) -> Iterator[tuple[str, str, list[bytes]]]:
        """(kind, key, its lines) of every store file in the bucket, in order, each read whole only
        when its turn comes; the bucket's spill files are removed when all are read."""
        parts: list[tuple[int, dict[File, tuple[int, int]]]] = []
        try:
            for number in range(self.chunks):
                data_path, table_path = self._paths(number, bucket)
                if table_path.exists():
                    parts.append((os.open(data_path, os.O_RDONLY), marshal.loads(table_path.read_bytes())))
            for kind, key in sorted({file for _, table in parts for file in table}):
                data = b"".join(os.pread(fd, table[kind, key][1], table[kind, key][0])
                                for fd, table in parts if (kind, key) in table)
                yield kind, key, data.split(b"\n")[:-1]
        finally:
            for fd, _ in parts:
                os.close(fd)
        for number in range(self.chunks):
            for path in self._paths(number, bucket):
                path.unlink(missing_ok=True)


class _Workers:
    """The demo's jobs run in forked worker processes (one per core, at most MAX_WORKERS) when there
    is more than one chunk; else here. The workers inherit what they need: only jobs and small
    results are pickled."""

    def __init__(self, mail: DemoMail, store: Store, spill: Spill, chunks: int):
        self.mail, self.store, self.spill = mail, store, spill
        self.count = min(MAX_WORKERS, os.cpu_count() or 1, chunks)
        self.pool: Pool | None = None

    def __enter__(self) -> _Workers:
        global _WORKING
        _WORKING = self
        if self.count > 1:
            self.pool = multiprocessing.get_context("fork").Pool(self.count)
        return self

    def __exit__(self, *exc) -> None:
        global _WORKING
        if self.pool is not None:
            if exc[0] is None:
                self.pool.close()
            else:
                self.pool.terminate()
            self.pool.join()
        _WORKING = None

    def map(self, job: Callable, items: Iterable) -> Iterator:
        if self.pool is None:
            return map(job, items)
        return self.pool.imap_unordered(job, items)


_WORKING: _Workers | None = None  # set before the workers fork: they find the demo, store and spill here


def _make(job: tuple[int, int, int]) -> Made:
    assert _WORKING is not None
    chunk = _WORKING.mail.make_chunk(job)
    _WORKING.spill.add(job[0], chunk)
    return Made(job[0], chunk.revocations, chunk.counts, chunk.count)


def _write_bucket(bucket: int) -> None:
    assert _WORKING is not None
    with collection_paused():
        written = [_WORKING.store.write_new_file(kind, key, lines, wait=False)
                   for kind, key, lines in _WORKING.spill.files(bucket)]
    wait_for_disk(written)

