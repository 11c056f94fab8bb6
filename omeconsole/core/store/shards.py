"""messages/ and datakeys/: message documents and their wrapped content keys, sharded by a hash of
the Message ID so one lookup reads one file; and the trace index kept in step with them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tinydb import Query

from omeconsole.core.errors import StoreDamaged, StoreError
from omeconsole.core.mail.model import Message, Protection, Revocation
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.store.documents import (
    DOC_ERRORS,
    describe,
    group_by,
    message_from_doc,
    tinydb_text,
)
from omeconsole.core.store.files import all_or_nothing, open_db, read_bytes, write_atomic
from omeconsole.core.store.report_counts import CountsTally, ReportCounts
from omeconsole.core.store.trace_index import DAYS, TraceIndex, partitions_of, searches_by_day, summary_of
from omeconsole.core.text.times import format_iso

_T = TypeVar("_T")


class MessageShards:
    root: Path
    shards: int
    indexed: bool
    counted: bool
    packed: bool
    index: TraceIndex
    counts: ReportCounts

    if TYPE_CHECKING:
        def revocations(self) -> dict[str, Revocation]: ...

        def get_revocation(self, message_id: str) -> Revocation | None: ...

        def _write_manifest(self) -> None: ...

    def _db(self, path: Path):
        """A message or data key shard, written packed in a store of format 2."""
        return open_db(path, self.packed)

    def shard_of(self, message_id: str) -> str:
        return self.shard_name(message_id, self.shards)

    @staticmethod
    def shard_name(message_id: str, shards: int) -> str:
        number = int.from_bytes(hashlib.sha256(message_id.encode("utf-8")).digest()[:4], "big") % shards
        return f"{number:03x}" if shards > 256 else f"{number:02x}"

    def _message_path(self, shard: str) -> Path:
        return self.root / "messages" / f"{shard}.json"

    def _datakey_path(self, shard: str) -> Path:
        return self.root / "datakeys" / f"{shard}.json"

    def get_message(self, message_id: str) -> Message | None:
        """Read one shard, not the store. The revocation, if any, is attached."""
        path = self._message_path(self.shard_of(message_id))
        with self._db(path) as db:
            doc = db.table("messages").get(Query().message_id == message_id)
        if doc is None:
            return None
        message = message_from_doc(path, doc)
        message.revocation = self.get_revocation(message_id)
        return message

    def get_messages(self, message_ids: Iterable[str]) -> dict[str, Message]:
        """The messages of these IDs the store holds, each shard read once (and parsed only when its
        bytes may hold one of them); without their revocations (an import's merge needs none)."""
        found: dict[str, Message] = {}
        for shard, ids in group_by(sorted(set(message_ids)), self.shard_of).items():
            path = self._message_path(shard)
            raw = _bytes_of(path)
            wanted = {message_id for message_id in ids if _may_contain(raw, message_id)}
            if not wanted:
                continue
            with self._db(path) as db:
                docs = db.table("messages").all()
            for doc in docs:
                if doc.get("message_id") in wanted:
                    found[doc["message_id"]] = message_from_doc(path, doc)
        return found

    def iter_messages(self) -> Iterator[Message]:
        """Every message, shard by shard, with revocations attached."""
        revocations = self.revocations()
        for path in sorted((self.root / "messages").glob("*.json")):
            with self._db(path) as db:
                docs = db.table("messages").all()
            for doc in docs:
                message = message_from_doc(path, doc)
                message.revocation = revocations.get(message.message_id)
                yield message

    def message_exists(self, message_id: str) -> bool:
        path = self._message_path(self.shard_of(message_id))
        if not _may_hold(path, message_id):
            return False
        with self._db(path) as db:
            return db.table("messages").contains(Query().message_id == message_id)

    def put_messages(self, messages: list[Message], data_keys: dict[str, dict] | None = None, *,
                     index_later: bool = False, with_files: Callable[[], None] | None = None,
                     stored: dict[str, dict] | None = None) -> None:
        """Insert new messages (with their wrapped content keys) and replace existing ones: every
        shard touched lands at once (with any files `with_files` writes), then the trace index
        partitions their summaries are filed under. index_later: leave that to the next change
        that mends the index (the journal names these messages, so searches find them meanwhile):
        mail flow files many messages' summaries in one rewrite of each partition. stored: the
        summaries as the shards hold them now, when the caller read them under this same lock (none
        for a message it found absent), which saves reading the shards again."""
        new = {m.message_id: summary_of(m.to_doc()) for m in messages}
        old = {}
        if self.indexed:
            old = self._current_summaries(new) if stored is None else stored
            touched = {mid: partitions_of(s) | (partitions_of(old[mid]) if mid in old else set())
                       for mid, s in new.items()}
            self.index.begin(touched)
        with all_or_nothing():  # the commit: every shard of the change, or none
            if with_files:
                with_files()  # first: the files land in this order, and these must not trail the message
            if data_keys:
                self.put_data_keys(data_keys)
            for shard, group in group_by(messages, lambda m: self.shard_of(m.message_id)).items():
                self._put_in_shard(shard, group)
            if self.counted:
                self._count_change(old, new)
        if self.indexed and not index_later:
            try:
                self.index.apply(set().union(*touched.values()), set(new), new)
                self.index.finish()
            except StoreError:
                pass  # committed: the journal stays, readers take these messages from the shards,
                # and the next change files them (a full disk fails the index, not the change)

    def _put_in_shard(self, shard: str, group: list[Message]) -> None:
        with self._db(self._message_path(shard)) as db:
            table = db.table("messages")
            existing = {doc["message_id"]: doc.doc_id for doc in table.all()}
            replacements = {m.message_id: m.to_doc() for m in group if m.message_id in existing}
            fresh = [m.to_doc() for m in group if m.message_id not in existing]
            if replacements:
                table.update(lambda doc, new=replacements: doc.update(new[doc["message_id"]]),
                             doc_ids=[existing[mid] for mid in replacements])
            if fresh:
                table.insert_multiple(fresh)

    def _count_change(self, old: dict[str, dict], new: dict[str, dict]) -> None:
        """The report's counts without these messages as they were, with them as they are now (their
        revocation, kept apart, is the same before and after)."""
        revocations = self.revocations() if old else {}

        def counted(summaries: dict[str, dict]) -> list[tuple[Message, dict]]:
            pairs = []
            for message_id, summary in summaries.items():
                message = Message.from_doc(summary)
                message.revocation = revocations.get(message_id)
                pairs.append((message, summary))
            return pairs

        self.counts.change(counted(old), counted(new))

    def recount(self, days: Iterable[str]) -> None:
        """Count these days afresh from their index partitions (after a crash mid-change)."""
        days = set(days)
        if not (self.counted and days):
            return
        tally, revocations = CountsTally(), self.revocations()
        for day in days:
            for message_id, summary in self.index.read(f"{DAYS}/{day}").items():
                message = Message.from_doc(summary)
                message.revocation = revocations.get(message_id)
                tally.add(message, summary)
        self.counts.write_all(tally, days)

    def _current_summaries(self, message_ids) -> dict[str, dict]:
        """Summaries of these messages as the shards hold them now (absent ones left out)."""
        found = {}
        for shard, ids in group_by(list(message_ids), self.shard_of).items():
            wanted, path = set(ids), self._message_path(shard)
            with self._db(path) as db:
                for doc in db.table("messages").all():
                    if doc.get("message_id") in wanted:
                        found[doc["message_id"]] = summary_of(message_from_doc(path, doc).to_doc())
        return found

    def load_new_mail(self, files: Iterable[tuple[str, str, list[bytes]]], counts: CountsTally) -> None:
        """Bulk load into a store that holds no mail yet, one write per file: (kind, key, lines) for
        each message shard and data key shard (JSON documents) and index partition ('"ID":summary'
        entries), as they come; then the report's counts of that mail."""
        self.check_holds_no_mail()
        for kind, key, lines in files:
            self.write_new_file(kind, key, lines)
        self.counts.write_all(counts)

    def check_holds_no_mail(self) -> None:
        if any(next((self.root / sub).glob("*.json"), None) for sub in ("messages", "datakeys")):
            raise StoreError(f"the store at {self.root} already holds mail; a bulk load needs an empty one")

    def write_new_file(self, kind: str, key: str, lines: list[bytes], wait: bool = True) -> Path:
        """One file of a bulk load (load_new_mail): kind is messages, datakeys or index; lines are its
        JSON documents, or its index entries, in UTF-8. Files of one load may be written in parallel.
        wait=False: not synced to disk yet (files.wait_for_disk does it for many at once). Returns its path."""
        if kind == "messages":
            path = self._message_path(key)
            write_atomic(path, tinydb_text("messages", lines), self.packed, wait)
        elif kind == "datakeys":
            path = self._datakey_path(key)
            write_atomic(path, tinydb_text("datakeys", lines), self.packed, wait)
        else:
            path = self.index.write_text(key, lines, wait)
        return path

    # -- searching ---------------------------------------------------------------------

    def search(self, query: TraceQuery) -> Iterator[list[Message]]:
        """Candidate messages for a trace, as summaries (no events, no content), one batch per
        index partition, each message once, newest day first when the search goes by date.
        A store without an index yields every message in one batch."""
        if not self.indexed:
            yield list(self.iter_messages())
            return
        found = PartitionSearch(self, query)
        yield from found.once_each(found.read(key, _as_it_is) for key in found.keys)

    def reindex(self) -> tuple[int, list[str]]:
        """Build the trace index from every shard. Returns how many messages it holds, and what it
        could not file (a message document it cannot read), each named with its shard and why."""
        self.index.create()
        count, skipped = 0, []
        tally, revocations = CountsTally(), self.revocations()

        def summaries():
            nonlocal count
            for path in sorted((self.root / "messages").glob("*.json")):
                with self._db(path) as db:
                    docs = db.table("messages").all()
                for doc in docs:
                    try:
                        message = message_from_doc(path, doc)
                    except StoreDamaged as damaged:
                        skipped.append(f"messages/{path.name}: {damaged.problem}")
                        continue
                    count += 1
                    summary = summary_of(doc)
                    summary["received"] = format_iso(message.received)  # the day it is filed under
                    message.revocation = revocations.get(message.message_id)
                    tally.add(message, summary)
                    yield summary

        self.index.write_all(summaries())
        self.counts.write_all(tally)
        if not (self.indexed and self.counted):
            self.indexed = self.counted = True
            self._write_manifest()
        return count, skipped

    # -- data keys ---------------------------------------------------------------------

    def put_data_keys(self, wrapped: dict[str, dict]) -> None:
        for shard, ids in group_by(list(wrapped), self.shard_of).items():
            with self._db(self._datakey_path(shard)) as db:
                db.table("datakeys").insert_multiple({"message_id": mid, **wrapped[mid]} for mid in ids)

    def get_data_key(self, message_id: str) -> dict | None:
        with self._db(self._datakey_path(self.shard_of(message_id))) as db:
            doc = db.table("datakeys").get(Query().message_id == message_id)
        return dict(doc) if doc else None

    def with_data_keys(self, message_ids: list[str]) -> list[str]:
        """Those of these messages whose wrapped data key is still held, reading each shard once."""
        held = []
        for shard, ids in group_by(message_ids, self.shard_of).items():
            with self._db(self._datakey_path(shard)) as db:
                present = {doc["message_id"] for doc in db.table("datakeys").all()}
            held += [mid for mid in ids if mid in present]
        return held

    def destroy_data_keys(self, message_ids: list[str]) -> int:
        """Remove wrapped data keys: what they sealed can never be opened again."""
        removed = 0
        for shard, ids in group_by(message_ids, self.shard_of).items():
            wanted = set(ids)
            with self._db(self._datakey_path(shard)) as db:
                table = db.table("datakeys")
                doc_ids = [doc.doc_id for doc in table.all() if doc["message_id"] in wanted]
                if doc_ids:
                    table.remove(doc_ids=doc_ids)
                    removed += len(doc_ids)
        return removed

    def datakey_shards(self) -> list[Path]:
        return sorted((self.root / "datakeys").glob("*.json"))

    def read_data_keys(self, path: Path) -> list[dict]:
        with self._db(path) as db:
            return [dict(doc) for doc in db.table("datakeys").all()]

    def update_data_keys(self, path: Path, replacements: dict[str, dict]) -> None:
        """Replace the wrapped keys of some messages in one shard, in one atomic write."""
        with self._db(path) as db:
            table = db.table("datakeys")
            doc_ids = [doc.doc_id for doc in table.all() if doc["message_id"] in replacements]
            table.update(lambda doc: doc.update(replacements[doc["message_id"]]), doc_ids=doc_ids)


class PartitionSearch:
    """A search of an indexed store as its partitions: each read on its own (by any process forked
    while the store is held for reading), then taken in order with each message once (search)."""

    def __init__(self, shards: MessageShards, query: TraceQuery):
        self.index, self.query, self.by_day = shards.index, query, searches_by_day(query)
        self.revocations = shards.revocations()
        self.keys, self.pending, self.fixed = self.index.search_plan(query, shards._current_summaries)

    def read(self, key: str, each: Callable[[Message], _T]) -> list[tuple[str, bool, _T]]:
        """(Message ID, whether a later partition files it again, `each` of the message) for each
        candidate message in this partition, revocation attached."""
        query, found = self.query, []
        for message_id, summary in self.index.entries(key, self.pending, self.fixed).items():
            if query.encrypted_only and summary.get("protection") in _UNENCRYPTED:
                continue  # not in this search, in any partition: no need to remember it
            try:
                message = Message.from_doc(summary)
                again = not self.by_day or _on_other_days(summary)  # by day, only those are filed again
            except DOC_ERRORS as exc:
                raise StoreDamaged(self.index.dir / f"{key}.json",
                                   f"a message summary is malformed ({describe(exc)}); 'omeconsole reindex' "
                                   "rebuilds the index from the messages") from None
            message.revocation = self.revocations.get(message_id)
            found.append((message_id, again, each(message)))
        return found

    @staticmethod
    def once_each(partitions: Iterable[list[tuple[str, bool, _T]]]) -> Iterator[list[_T]]:
        """What read gave for each partition, in the search's order, each message in the first only."""
        seen = set[str]()
        for found in partitions:
            fresh = [(message_id, again, value) for message_id, again, value in found if message_id not in seen]
            seen.update(message_id for message_id, again, _ in fresh if again)
            yield [value for _, _, value in fresh]


def _as_it_is(message: Message) -> Message:
    return message


_UNENCRYPTED = (None, Protection.NONE.value)  # what a summary's protection says when the report skips it


def _on_other_days(summary: dict) -> bool:
    day = summary["received"][:10]
    return any(r.get("received") and r["received"][:10] != day for r in summary["recipients"])


def _bytes_of(path: Path) -> bytes | None:
    """The shard's bytes (unpacked); b"" when it does not exist; None when it cannot be read or
    unpacked (its read says why)."""
    try:
        return read_bytes(path) or b""
    except StoreError:
        return None


def _may_hold(path: Path, message_id: str) -> bool:
    """False only when the shard's bytes cannot hold this Message ID: a byte search is about fifty
    times faster than parsing the shard, and mail flow asks about IDs that are not there yet. (A
    damaged shard is still reported: by the write that follows.)"""
    return _may_contain(_bytes_of(path), message_id)


def _may_contain(raw: bytes | None, message_id: str) -> bool:
    if raw is None:
        return True  # let the real read say what is wrong
    return any(form.encode("utf-8", "surrogatepass") in raw
               for form in {json.dumps(message_id), json.dumps(message_id, ensure_ascii=False)})
