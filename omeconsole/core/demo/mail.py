"""The demo's mail, written in bulk: a million messages in one write per file.

Messages are made in chunks of CHUNK, each from its own seeded random stream, in worker
processes when there is more than one chunk. Each chunk comes back as JSON text already
grouped by message shard, data key shard and trace index partition; the parent joins the
chunks and writes every file once, into a store that holds no mail yet.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
        merged = Chunk()
        with collection_paused():
            self._gather(merged, jobs, progress)
        if progress:
            progress(self.total, self.total, "writing the store")
        self._write_revocations(store, merged.revocations)
        store.load_new_mail(merged.messages, merged.data_keys, merged.partitions, merged.counts)

    def _gather(self, merged: Chunk, jobs, progress) -> None:
        done = 0
        for chunk in self._make_all(jobs):
            _merge(merged, chunk)
            done += chunk.count
            if progress:
                progress(done, self.total, "making mail")

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


def _merge(into: Chunk, chunk: Chunk) -> None:
    for mine, theirs in ((into.messages, chunk.messages), (into.data_keys, chunk.data_keys),
                         (into.partitions, chunk.partitions)):
        for key, items in theirs.items():
            mine[key].extend(items)
    into.revocations.update(chunk.revocations)
    into.counts.absorb(chunk.counts)



def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
