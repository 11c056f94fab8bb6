"""The trace index: message summaries filed three ways, so a search reads a few small files.

A summary is a message's stored document without its trace events and sealed content:
enough for the Message Trace, the Encryption Report and the revocation rules.

    index/days/YYYY-MM-DD.json     the messages received that UTC day
    index/senders/XX.json          by a hash of the sender address
    index/recipients/XX.json       by a hash of each recipient address
    index/pending.json             Message IDs whose summaries are being changed

The message shards stay the truth. A change writes pending.json (the IDs, and every
partition their old and new summaries touch) before the shards, then the partitions,
then removes it. A crash in between leaves pending.json behind: readers take those
messages from the shards, and the next change repairs the partitions it names.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import ijson

from omeconsole.core.errors import StoreDamaged, StoreError
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.store.files import BrokenPacking, dump_json, open_unpacked, read_json, write_atomic
from omeconsole.core.text.addresses import AddressPattern
from omeconsole.core.text.times import day_key

ADDRESS_PARTITIONS = 256
DAYS, SENDERS, RECIPIENTS = "days", "senders", "recipients"
Summary = dict  # a Message document without events and content


def summary_of(doc: dict) -> Summary:
    """A message document as the index keeps it."""
    summary = {k: v for k, v in doc.items() if k != "content"}
    summary["recipients"] = [{k: v for k, v in r.items() if k != "events"} for r in doc["recipients"]]
    return summary


@lru_cache(maxsize=2**16)  # a tenant's mail goes among far fewer addresses than messages
def address_bucket(address: str) -> str:
    return f"{hashlib.sha256(address.encode('utf-8')).digest()[0] % ADDRESS_PARTITIONS:02x}"


def partitions_of(summary: Summary) -> set[str]:
    """Every partition a summary is filed under."""
    keys = {f"{DAYS}/{summary['received'][:10]}", f"{SENDERS}/{address_bucket(summary['sender'])}"}
    keys.update(f"{DAYS}/{r['received'][:10]}" for r in summary["recipients"] if r.get("received"))  # copies
    keys.update(f"{RECIPIENTS}/{address_bucket(r['address'])}" for r in summary["recipients"])
    return keys


class TraceIndex:
    def __init__(self, root: Path, pack: bool = False):
        self.dir = Path(root) / "index"
        self.pending_path = self.dir / "pending.json"
        self.pack = pack  # partitions written packed (a store of format 2)

    # -- files --------------------------------------------------------------------------

    def create(self) -> None:
        for sub in (DAYS, SENDERS, RECIPIENTS):
            (self.dir / sub).mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, key: str) -> Path:
        return self.dir / f"{key}.json"

    def read(self, key: str) -> dict[str, Summary]:
        path = self._path(key)
        try:
            data = read_json(path)
        except StoreDamaged as damaged:
            raise StoreDamaged(path, f"{damaged.problem}; 'omeconsole reindex' rebuilds the index from the "
                                     "messages") from None
        if data is None:
            return {}
        entries = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(entries, dict) or not all(isinstance(s, dict) for s in entries.values()):
            raise StoreDamaged(path, "it is not a trace index partition; 'omeconsole reindex' rebuilds the "
                                     "index from the messages")
        return entries

    def write(self, key: str, entries: dict[str, Summary]) -> None:
        if entries:
            write_atomic(self._path(key), _layout(index_entry(mid, s) for mid, s in entries.items()), self.pack)
        else:
            self._remove(key)

    def write_text(self, key: str, entries: list[bytes], wait: bool = True) -> Path:
        """A new partition from entries already in JSON ('"Message ID":summary', UTF-8), for bulk loads
        (wait: as write_atomic's). Returns its path."""
        path = self._path(key)
        text = _HEAD + b"\n,".join(entries) + b"\n}}\n" if entries else b"".join(_layout(entries))  # as _layout
        write_atomic(path, text, self.pack, wait)
        return path

    def _remove(self, key: str) -> None:
        path = self._path(key)
        if path.exists():
            try:
                os.unlink(path)
            except OSError as exc:
                raise StoreError(f"cannot remove the empty index partition {path}: {exc.strerror}") from None

    def rewrite(self, key: str, dropped: set[str], filed: dict[str, Summary]) -> None:
        """The partition without the dropped messages, with these summaries filed: streamed entry by
        entry, so a day of many thousand messages is never held whole (an older one-line partition is
        read item by item, and written in the line layout)."""
        path = self._path(key)
        kept = 0

        def entries():
            nonlocal kept
            for message_id, raw in self._entry_lines(key):
                if message_id not in dropped and message_id not in filed:
                    kept += 1
                    yield raw
            for message_id, summary in filed.items():
                kept += 1
                yield index_entry(message_id, summary)

        write_atomic(path, _layout(entries()), self.pack)
        if not kept:
            self._remove(key)

    def _entry_lines(self, key: str):
        """(Message ID, its entry as JSON bytes) of a partition, line by line."""
        path = self._path(key)
        try:
            handle = open_unpacked(path)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"cannot read store file {path}: {exc.strerror}") from None
        with handle:
            try:
                yield from _lines_of(path, handle)
            except BrokenPacking as exc:
                raise StoreDamaged(path, f"it is packed, but the packing is broken ({exc}); 'omeconsole reindex' "
                                         "rebuilds the index from the messages") from None

    # -- the pending journal ------------------------------------------------------------

    def pending(self) -> dict[str, list[str]]:
        """Message ID -> the partitions its summaries touch, for a change that did not finish."""
        data = read_json(self.pending_path)
        if data is None:
            return {}
        if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
            raise StoreDamaged(self.pending_path, "it is not the trace index's pending journal")
        return data

    def begin(self, touched: dict[str, set[str]]) -> None:
        merged = self.pending()
        for message_id, keys in touched.items():
            merged[message_id] = sorted(set(merged.get(message_id, [])) | keys)
        write_atomic(self.pending_path, dump_json(merged))

    def finish(self) -> None:
        try:
            os.unlink(self.pending_path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StoreError(f"cannot remove {self.pending_path}: {exc.strerror}") from None

    # -- changing -----------------------------------------------------------------------

    def apply(self, keys: Iterable[str], message_ids: set[str], current: dict[str, Summary]) -> None:
        """Rewrite each partition: drop these messages, then file their current summaries."""
        filed: dict[str, list[str]] = defaultdict(list)
        for message_id, summary in current.items():
            for key in partitions_of(summary):
                filed[key].append(message_id)
        for key in sorted(set(keys)):
            self.rewrite(key, message_ids, {message_id: current[message_id] for message_id in filed.get(key, ())})

    def repair(self, truth: Callable[[Iterable[str]], dict[str, Summary]]) -> set[str]:
        """Finish a change a crash interrupted (or that mail flow left to the next writer), from the
        shards' truth. Returns the days whose partitions it rewrote."""
        pending = self.pending()
        if not pending:
            return set()
        keys = {key for touched in pending.values() for key in touched}
        self.apply(keys, set(pending), truth(pending))
        self.finish()
        return {key.removeprefix(f"{DAYS}/") for key in keys if key.startswith(f"{DAYS}/")}

    def write_all(self, summaries: Iterable[Summary]) -> None:
        """Replace the whole index with these summaries (reindex, and the demo's bulk load)."""
        partitions: dict[str, dict[str, Summary]] = defaultdict(dict)
        for summary in summaries:
            for key in partitions_of(summary):
                partitions[key][summary["message_id"]] = summary
        for sub in (DAYS, SENDERS, RECIPIENTS):
            for old in (self.dir / sub).glob("*.json"):
                if f"{sub}/{old.stem}" not in partitions:
                    self.write(f"{sub}/{old.stem}", {})
        for key, entries in partitions.items():
            self.write(key, entries)
        self.finish()

    # -- searching ----------------------------------------------------------------------

    def plan(self, query: TraceQuery, also_days: Iterable[str] = ()) -> list[str]:
        """The fewest partitions that hold every message the query can match, newest day first.
        also_days: days that may hold messages although their partition file does not exist yet."""
        if senders := _exact_addresses(query.senders):
            return sorted({f"{SENDERS}/{address_bucket(address)}" for address in senders})
        if recipients := _exact_addresses(query.recipients):
            return sorted({f"{RECIPIENTS}/{address_bucket(address)}" for address in recipients})
        return [f"{DAYS}/{day}" for day in self.days(query.start, query.end, also_days)]

    def days(self, start: datetime | None, end: datetime | None, also: Iterable[str] = ()) -> list[str]:
        first = day_key(start) if start else ""
        last = day_key(end) if end else "9999"
        stems = {p.stem for p in (self.dir / DAYS).glob("*.json")} | set(also)
        return sorted((stem for stem in stems if first <= stem <= last), reverse=True)

    def search(self, query: TraceQuery, truth: Callable[[Iterable[str]], dict[str, Summary]]):
        """(key, summaries) per partition the query needs, in order. Summaries of messages a crash
        left pending come from the shards, filed where they belong now (on a day that may have no
        partition file yet)."""
        keys, pending, fixed = self.search_plan(query, truth)
        for key in keys:
            yield key, self.entries(key, pending, fixed)

    def search_plan(self, query: TraceQuery, truth: Callable[[Iterable[str]], dict[str, Summary]]
                    ) -> tuple[list[str], dict[str, list[str]], dict[str, Summary]]:
        """search's partitions, and the pending messages with their summaries from the shards: what
        `entries` needs to read each partition on its own."""
        pending = self.pending()
        fixed = truth(pending) if pending else {}
        return self.plan(query, also_days={s["received"][:10] for s in fixed.values()}), pending, fixed

    def entries(self, key: str, pending: dict[str, list[str]], fixed: dict[str, Summary]) -> dict[str, Summary]:
        """A partition's summaries as search gives them: pending messages as the shards hold them."""
        entries = self.read(key)
        for message_id in pending:
            entries.pop(message_id, None)
        entries.update({mid: s for mid, s in fixed.items() if key in partitions_of(s)})
        return entries


# A partition is one JSON object with one entry per line ('{"entries":{' / '"ID":{...}' / ',"ID":{...}' /
# '}}'), so a change streams it line by line; a reader still reads it as one JSON document.
_HEAD = b'{"entries":{\n'
_DECODER = json.JSONDecoder()


def _layout(entries: Iterable[bytes]) -> Iterable[bytes]:
    yield _HEAD
    first = True
    for entry in entries:
        yield entry + b"\n" if first else b"," + entry + b"\n"
        first = False
    yield b"}}\n"


def _lines_of(path: Path, handle):
    if handle.readline() != _HEAD:
        handle.seek(0)
        yield from _one_line_entries(path, handle)
        return
    for line in handle:
        entry = line.rstrip(b"\n").removeprefix(b",")
        if entry == b"}}":
            return
        yield _entry_id(path, entry), entry
    raise StoreDamaged(path, "it ends before its last entry; 'omeconsole reindex' rebuilds the index "
                             "from the messages")


def _one_line_entries(path: Path, handle):
    """A partition in the one-line layout of earlier versions, entry by entry (ijson), never whole."""
    try:
        for message_id, summary in ijson.kvitems(handle, "entries", use_float=True):
            if not isinstance(summary, dict):
                raise StoreDamaged(path, "a summary is not an object; 'omeconsole reindex' rebuilds the index")
            yield message_id, index_entry(message_id, summary)
    except ijson.JSONError:
        raise StoreDamaged(path, "it is not a trace index partition; 'omeconsole reindex' rebuilds the index "
                                 "from the messages") from None


def index_entry(message_id: str, summary: Summary) -> bytes:
    """A partition's line for the message: its ID, a colon, its summary."""
    return dump_json(message_id) + b":" + dump_json(summary)


def _entry_id(path: Path, entry: bytes) -> str:
    text = entry[:4096].decode("utf-8", "ignore")  # the ID is at the start, and far shorter
    try:
        message_id, end = _DECODER.raw_decode(text)
    except ValueError:
        message_id, end = None, 0
    if not isinstance(message_id, str) or text[end:end + 1] != ":":
        raise StoreDamaged(path, "an entry is not '\"Message ID\":summary'; 'omeconsole reindex' rebuilds the "
                                 "index from the messages")
    return message_id


def _exact_addresses(patterns: list[AddressPattern]) -> list[str]:
    """Every pattern's address when each is one exact address; none when any is *@domain, or there are none."""
    addresses = [p.address for p in patterns if p.address]
    return addresses if len(addresses) == len(patterns) else []


def searches_by_day(query: TraceQuery) -> bool:
    """Whether a search reads day partitions, newest first (so it may stop at a row limit)."""
    return not (_exact_addresses(query.senders) or _exact_addresses(query.recipients))
