"""The demo's mail, written in bulk: a million messages in one write per file, in bounded memory.

Messages are made in chunks of CHUNK, each from its own seeded random stream, in worker
processes when there is more than one chunk. Each chunk comes back as JSON text already
grouped by message shard, data key shard and trace index partition. The parent appends those
lines to one spill file per store file as they come (a few chunks at a time), then makes each
store file from its spill, one at a time, into a store that holds no mail yet. So memory holds
a few chunks and one file, never the whole store (2.6 GB of text at a million messages).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from omeconsole.core.dkm.envelope import PORTAL_CONTENT, seal
from omeconsole.core.dkm.keyring import Keyring
from omeconsole.core.mail.flow import Draft, compose, portal_content
from omeconsole.core.mail.model import ActingAs, Revocation
from omeconsole.core.store.gcpause import collection_paused
from omeconsole.core.store.report_counts import CountsTally
from omeconsole.core.store.store import Store
from omeconsole.core.store.trace_index import partitions_of, summary_of
from omeconsole.core.tenant.model import Tenant

CHUNK = 20_000
MAX_WORKERS = 4
SPILL_AT = 64 * 2**20  # characters of chunk text held before they are appended to the spill files


@dataclass
class Chunk:
    """One chunk of mail as JSON text, grouped by the file it goes to."""

    messages: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    data_keys: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    partitions: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    revocations: dict[str, Revocation] = field(default_factory=dict)
    counts: CountsTally = field(default_factory=CountsTally)  # the Encryption Report's, by day
    count: int = 0


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
        jobs = [(n, first, min(CHUNK, self.total - first)) for n, first in enumerate(range(0, self.total, CHUNK))]
        revocations: dict[str, Revocation] = {}
        counts = CountsTally()
        with tempfile.TemporaryDirectory(dir=store.root, prefix=".demo-") as spill_dir:
            spill = Spill(Path(spill_dir))
            with collection_paused():
                done = 0
                for chunk in self._make_all(jobs):
                    spill.add(chunk)
                    revocations.update(chunk.revocations)
                    counts.absorb(chunk.counts)
                    done += chunk.count
                    if progress:
                        progress(done, self.total, "making mail")
            spill.flush()
            if progress:
                progress(self.total, self.total, "writing the store")
            self._write_revocations(store, revocations)
            store.load_new_mail(spill.files(), counts)

    def _make_all(self, jobs):
        if len(jobs) <= 1:
            yield from map(self.make_chunk, jobs)
            return
        global _WORKER_MAIL
        _WORKER_MAIL = self  # forked workers inherit it; nothing is pickled but the job and the result
        workers = min(MAX_WORKERS, os.cpu_count() or 1, len(jobs))
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap_unordered(_make_in_worker, jobs)

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
        chunk.messages[shard].append(_dumps(doc))
        if revoked_by:  # a revoked message's content key is destroyed
            message.revocation = Revocation(draft.received + timedelta(hours=2), revoked_by,
                                            self.content.revoker_role(revoked_by), "demo")
            chunk.revocations[mid] = message.revocation
        else:
            chunk.data_keys[shard].append(_dumps({"message_id": mid, **wrapped}))
        summary = summary_of(doc)
        chunk.counts.add(message, summary)
        entry = f"{_dumps(mid)}:{_dumps(summary)}"
        for key in partitions_of(summary):
            chunk.partitions[key].append(entry)

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


_WORKER_MAIL: DemoMail | None = None


def _make_in_worker(job) -> Chunk:
    assert _WORKER_MAIL is not None, "set before the workers fork"
    return _WORKER_MAIL.make_chunk(job)


class Spill:
    """Each store file's lines (JSON documents, or index entries), appended to its own spill file as
    chunks come, SPILL_AT characters at a time; read back one file at a time."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.held: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.size = 0

    def add(self, chunk: Chunk) -> None:
        for kind, groups in (("messages", chunk.messages), ("datakeys", chunk.data_keys), ("index", chunk.partitions)):
            for key, lines in groups.items():
                self.held[(kind, key)].extend(lines)
                self.size += sum(map(len, lines))
        if self.size >= SPILL_AT:
            self.flush()

    def flush(self) -> None:
        for (kind, key), lines in self.held.items():
            with open(self._path(kind, key), "a", encoding="utf-8") as spill:
                spill.write("\n".join(lines) + "\n")
        self.held, self.size = defaultdict(list), 0

    def files(self) -> Iterator[tuple[str, str, list[str]]]:
        """(kind, key, its lines) for every file spilled, each read whole only when its turn comes."""
        for path in sorted(self.dir.iterdir()):
            kind, key = path.name.split(".", 1)
            lines = path.read_text(encoding="utf-8").splitlines()
            path.unlink()
            yield kind, key.replace("~", "/"), lines

    def _path(self, kind: str, key: str) -> Path:
        return self.dir / f"{kind}.{key.replace('/', '~')}"


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
