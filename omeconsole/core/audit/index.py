"""The audit log indexed by target: a message's entries found without reading the whole log.

    audit-index/state.json          how much of the log the index covers, and each bucket file's SHA-256, sealed
    audit-index/XX-<digest>.json    bucket XX (the first byte of the SHA-256 of a target): each target in it ->
                                    "seq:offset seq:offset ...", where its entries' lines begin in audit.jsonl
    audit-index/rX-<digest>.json    recent bucket X (the first hex digit of that SHA-256): the same, for the
                                    entries filed since the XX buckets were last written
    audit-index/lock                held while the index is read, caught up or built

A target's entries are its postings in XX, then in rX: each entry is in one of them, in append order. A
catch-up files new entries in the 16 recent buckets, small files; once they hold RECENT_UP_TO entries they are
merged into the 256 main ones (a rewrite of the whole index, 40 MB at a million entries), so a catch-up rarely
rewrites much. A bucket file is named by its digest and never rewritten in place: a catch-up writes the
buckets it changes as new files, then the state naming them (write_atomic), then removes the files they
replace, so a crash at any point leaves a state whose every bucket file is there.

The index is derived data, never trusted over the log:
- Every entry read through it is parsed again and checked against its hash (its HMAC), and must be the entry
  the index says: its sequence number and its target.
- The entry where the index's cover ends must still be in the log, on the line the index recorded, with the
  hash it recorded: a log truncated or rewritten below that point is found there.
- A read by target checks the entries it returns, and that one; not the links between every entry. Those are
  checked as entries are filed, by the Key manager's check from the cover on, and by `audit verify`, whole.
- The state is sealed with an HMAC under a key derived from the audit chain key, and names each bucket file's
  SHA-256: an index edited to leave an entry out is noticed as an edited log is (before the log is keyed, a
  plain SHA-256, as the log's own chain).
- When the index and the log disagree, the whole log is checked as `audit verify` checks it, while a new index
  is made from it. A problem in the log is raised as StoreDamaged naming the log, and so is a log that no
  longer holds the entry the index covered to (truncated or rewritten): the index never hides what was done
  to the log. Only when the log is whole and still holds that entry is the index at fault; it is replaced by
  the new one, and `note` says so. A damaged index (files that do not parse, or do not match their seal) is
  rebuilt the same way, saying so; a missing one is built. Deleting the index loses only what it recorded
  about entries that are no longer in the log; a signed checkpoint kept elsewhere is what proves truncation.

Catching up: the reader does it, not the appender. An append stays one fsynced line under the log's lock, with
nothing more in an action's path that could fail it or slow it (bench/audit_index.py measures what a catch-up
per append would add). A reader looks through the entries appended since the index's cover ends in memory,
parsing only the lines that can be about its target; once there are PERSIST_AFTER of them, it checks them
all, entry by entry and link by link, and files them, so the next reader starts from there.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import io
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import BinaryIO, TypeVar

from omeconsole.core.audit.log import (
    GENESIS,
    KEYED,
    AuditEntry,
    AuditLog,
    chain_break,
    claimed_sequences,
    pin_problem,
)
from omeconsole.core.dkm.keyring import read_audit_pin
from omeconsole.core.errors import OmeError, StoreDamaged, StoreError
from omeconsole.core.store.files import FILE_MODE, dump_json, read_json, write_atomic
from omeconsole.core.text.times import format_iso, utcnow

INDEX_DIR = "audit-index"
STATE_FILE = "state.json"
LOCK_FILE = "lock"
FORMAT = "omeconsole-audit-index/1"
PERSIST_AFTER = 1000  # entries past the index's cover before a reader files them (see the module's docstring)
RECENT_UP_TO = 50_000  # entries in the recent buckets before they are merged into the main ones
_SEAL_KEY_CONTEXT = b"omeconsole/audit-index/1"
_HEX64 = frozenset("0123456789abcdef")


class IndexUnavailable(Exception):
    """The index cannot be used here: the chain key is not at hand, or the store's directory cannot hold it.
    The caller reads the whole log instead, as before the index."""


class _Damaged(Exception):
    """The index's own files are not what this module writes, or do not match their seal."""


class _Disagreement(Exception):
    """The index and the log disagree; checking the whole log tells which is at fault."""


@dataclass
class IndexState:
    """What state.json says: the index covers the log's first `length` bytes, whose last entry is `seq`
    (0: none) with chain value `hash`, its line beginning at `offset`."""

    length: int = 0
    seq: int = 0
    hash: str = GENESIS
    offset: int = 0
    keyed_from: int | None = None
    full_pass: dict | None = None  # {"at": ISO time, "through": seq}: the last check of the whole log
    buckets: dict[str, str] = field(default_factory=dict)  # bucket -> SHA-256 of its file
    recent: int = 0  # entries filed in the recent buckets

    def body(self) -> dict:
        return {"format": FORMAT, "covers": {"bytes": self.length, "entry": self.seq, "hash": self.hash,
                                             "line_at": self.offset},
                "keyed_from": self.keyed_from, "full_pass": self.full_pass, "buckets": self.buckets,
                "recent": self.recent}


@dataclass(frozen=True)
class ChainCheck:
    """What check() found: the log's head, and what was checked to vouch for it."""

    entries: int  # the head's sequence number
    head: str | None
    keyed_from: int | None
    indexed_through: int  # entries 1 to this were checked one by one as they were indexed
    full_pass: dict | None  # when the whole log was last checked in one pass, and through which entry


def bucket_of(target: str) -> str:
    """The bucket a target is filed in: the first byte of its SHA-256, as two hex digits."""
    return hashlib.sha256(target.encode("utf-8", "surrogatepass")).hexdigest()[:2]


def recent_bucket_of(target: str) -> str:
    """The recent bucket a target is filed in until the next merge: "r" and the first hex digit of its SHA-256."""
    return "r" + bucket_of(target)[0]


def _is_bucket_name(name: object) -> bool:
    """XX (a main bucket) or rX (a recent one)."""
    return isinstance(name, str) and len(name) == 2 and (set(name) <= _HEX64 or (name[0] == "r" and name[1] in _HEX64))


@dataclass
class _Built:
    """A new index made from a full check of the log, and the entry asked to be remembered (see _settle)."""

    state: IndexState
    buckets: dict[str, dict[str, str]]
    remembered: AuditEntry | None = None


Answer = TypeVar("Answer")


class AuditIndex:
    """The audit log's index on disk, read and caught up under its own lock (never the log's, so an append
    never waits for a reader)."""

    def __init__(self, log: AuditLog, clock: Callable[[], datetime] = utcnow, persist_after: int = PERSIST_AFTER):
        self.log = log
        self.dir = log.path.parent / INDEX_DIR
        self.clock = clock
        self.persist_after = persist_after
        self.note: str | None = None  # why the index was rebuilt during the last call, if it was
        self._unsaved: tuple[IndexState, Mapping[str, dict[str, str] | None]] | None = None  # not writable here

    # -- what it answers ------------------------------------------------------------------

    def about(self, target: str) -> list[AuditEntry]:
        """The entries about one target, oldest first: the lines the index points at and the target's
        entries appended since its cover ends, each parsed and checked against its hash (HMAC)."""
        return self._answer(partial(self._about, target))

    def check(self) -> ChainCheck:
        """The chain from the index's cover on: the entry it covered to still in place, and every entry
        appended since checked against its hash (HMAC) and linked to the one before it."""
        return self._answer(self._check)

    def rebuild(self) -> int:
        """A new index from a full check of the log, whatever the old one held; how many entries it covers."""
        key = self._key()
        with self._locked():
            built = self._build(key)
            self._save(built.state, built.buckets, key, sweep=True)
            return built.state.seq

    def record_full_pass(self, entries: list[AuditEntry]) -> None:
        """Note that the whole log, these entries, was just checked in one pass (`audit verify`), if the index
        agrees with it: the Key manager says when that was. No index is built for it."""
        if not (self.dir / STATE_FILE).exists():
            return
        key = self._key()
        with self._locked():
            try:
                state = self._load(key)
            except _Damaged:
                return
            if state is None or state.seq > len(entries) or (state.seq and entries[state.seq - 1].hash != state.hash):
                return
            state.full_pass = {"at": format_iso(self.clock()), "through": len(entries)}
            self._save(state, {}, key)

    def _answer(self, ask: Callable[[IndexState, AuditEntry | None, bytes | None], Answer]) -> Answer:
        """ask(state, anchor, key) on the index as it stands: built if missing, rebuilt first if damaged;
        a disagreement with the log is settled by a full check of the log, then asked once more."""
        key = self._key()
        with self._locked():
            for attempt in (1, 2):
                try:
                    return ask(*self._current(key), key)
                except _Damaged as damage:
                    if attempt == 2:
                        raise StoreDamaged(self.dir / STATE_FILE, str(damage)) from None
                    self._rebuild_damaged(str(damage), key)
                except _Disagreement as why:
                    if attempt == 2:
                        raise StoreDamaged(self.log.path, str(why)) from None
                    self._settle(str(why), key)
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _about(self, target: str, state: IndexState, anchor: AuditEntry | None,
               key: bytes | None) -> list[AuditEntry]:
        postings = [place for name in (bucket_of(target), recent_bucket_of(target))
                    for place in _postings(self._bucket(state, name).get(target, ""))]
        with self._open_log() as handle:
            found = [self._entry_at(handle, state, seq, offset, target, key) for seq, offset in postings]
            found += self._unfiled_about(handle, state, target, key)
        return found

    def _check(self, state: IndexState, anchor: AuditEntry | None, key: bytes | None) -> ChainCheck:
        last, keyed_from = anchor, state.keyed_from
        with self._open_log() as handle:
            for entry, _, _ in self._checked_lines(handle, state.length, anchor, key):
                last = entry
                keyed_from = keyed_from or (entry.seq if entry.chain == KEYED else None)
        return ChainCheck(last.seq if last else 0, last.hash if last else None, keyed_from, state.seq,
                          state.full_pass)

    # -- the index as it stands --------------------------------------------------------------

    def _current(self, key: bytes | None) -> tuple[IndexState, AuditEntry | None]:
        """The index (built if there is none) and the entry it covers to, checked where the index says it is;
        caught up first when PERSIST_AFTER or more entries were appended since."""
        state = self._load(key)
        if state is None:
            built = self._build(key)
            self._save(built.state, built.buckets, key, sweep=True)
            state = built.state
        anchor = self._anchor(state, key)
        if self._appended_since(state) >= self.persist_after:
            state, anchor = self._catch_up(state, anchor, key)
        return state, anchor

    def _load(self, key: bytes | None) -> IndexState | None:
        if self._unsaved is not None:
            return self._unsaved[0]
        try:
            data = read_json(self.dir / STATE_FILE)
        except StoreDamaged as damaged:
            raise _Damaged(f"{STATE_FILE}: {damaged.problem}") from None
        return None if data is None else _state_from(data, key)

    def _bucket(self, state: IndexState, name: str) -> dict[str, str]:
        """One bucket's targets and postings, checked against the digest the sealed state names."""
        if self._unsaved is not None and name in self._unsaved[1]:
            return self._unsaved[1][name] or {}
        digest = state.buckets.get(name)
        if digest is None:
            return {}
        file = _bucket_file(name, digest)
        try:
            raw = (self.dir / file).read_bytes()
        except FileNotFoundError:
            raise _Damaged(f"bucket file {file} is missing") from None
        except OSError as exc:
            raise StoreError(f"cannot read the audit index {self.dir / file}: {exc.strerror}") from None
        if hashlib.sha256(raw).hexdigest() != digest:
            raise _Damaged(f"bucket file {file} does not match the digest its state names")
        try:
            bucket = json.loads(raw)
        except (ValueError, RecursionError):
            bucket = None
        if not isinstance(bucket, dict) or not all(isinstance(v, str) for v in bucket.values()):
            raise _Damaged(f"bucket file {file} is not a bucket of the audit index")
        return bucket

    def _anchor(self, state: IndexState, key: bytes | None) -> AuditEntry | None:
        """The entry the index covers to, read again where the index says its line is, and checked: the log
        must still hold it there, with the chain value the index recorded."""
        if state.seq == 0:
            return None
        with self._open_log() as handle:
            handle.seek(state.offset)
            line = handle.readline()
        where = f"byte {state.offset}"
        covered = f"the audit index covered the log to entry {state.seq}, at {where}"
        if not line.endswith(b"\n") or state.offset + len(line) != state.length:
            raise _Disagreement(f"{covered}; the log no longer has that line there")
        try:
            entry = self.log.parse(line[:-1], where, key)
        except StoreDamaged as damaged:
            raise _Disagreement(f"{covered}: {damaged.problem}") from None
        if entry.seq != state.seq:
            raise _Disagreement(f"{covered}, where the log now holds entry {entry.seq}")
        if entry.hash != state.hash:
            raise _Disagreement(f"{covered}; the log's entry {entry.seq} there has another chain value")
        return entry

    def _entry_at(self, handle: BinaryIO, state: IndexState, seq: int, offset: int, target: str,
                  key: bytes | None) -> AuditEntry:
        """The entry the index says begins at `offset`: it must be entry `seq`, about `target`, and match its
        hash (an edited one is StoreDamaged naming the log: reported, never shown)."""
        handle.seek(offset)
        line = handle.readline()
        if not line.endswith(b"\n") or offset + len(line) > state.length:
            raise _Disagreement(f"the audit index places entry {seq} at byte {offset}, past the lines it covers")
        claimed = _claimed_seq(line)
        if claimed != seq:
            held = "no entry" if claimed is None else f"entry {claimed}"
            raise _Disagreement(f"the audit index places entry {seq} at byte {offset}, where the log holds {held}")
        entry = self.log.parse(line[:-1], f"byte {offset}", key)
        if entry.target != target:
            raise _Disagreement(f"the audit index files entry {seq} under a target that is not its own")
        return entry

    def _unfiled_about(self, handle: BinaryIO, state: IndexState, target: str,
                      key: bytes | None) -> list[AuditEntry]:
        """The target's entries among those appended since the index's cover ends. Only lines that can be
        about it are parsed: a line whose target is this one holds the target's JSON as the log writes it
        or, written some other way, a backslash escape; a line with neither is about something else."""
        needle = json.dumps(target, ensure_ascii=False).encode("utf-8", "surrogatepass")
        found = []
        for number, (line, offset) in enumerate(_lines_from(handle, state.length), start=state.seq + 1):
            if needle not in line and b"\\" not in line:
                continue
            entry = self.log.parse(line[:-1], f"line {number}", key)
            if entry.seq != number:
                raise _Disagreement(f"the log holds entry {entry.seq} at byte {offset}, where entry {number} "
                                    f"follows entry {state.seq}, the last the audit index covers")
            if entry.target == target:
                found.append(entry)
        return found

    def _appended_since(self, state: IndexState) -> int:
        """How many whole lines the log holds past the index's cover."""
        with self._open_log() as handle:
            handle.seek(state.length)
            return sum(chunk.count(b"\n") for chunk in iter(partial(handle.read, 1 << 20), b""))

    # -- building and catching up ----------------------------------------------------------

    def _build(self, key: bytes | None, remember: int = 0) -> _Built:
        """A new index of the whole log, every entry checked as `audit verify` checks it (a problem is
        StoreDamaged naming the log, in the same words), the keyring's pin too. remember: a sequence number
        whose entry is handed back (see _settle)."""
        pin = read_audit_pin(self.log.path.parent)  # before the log: a pin is written after its entry
        pinned_seq = pin.get("entry") if isinstance(pin, dict) else None
        pinned = remembered = None
        postings: dict[str, dict[str, list[str]]] = {}
        state = IndexState()
        with self._open_log() as handle:
            for entry, offset, end in self._checked_lines(handle, 0, None, key):
                _file(postings, entry, offset)
                pinned = entry if entry.seq == pinned_seq else pinned
                remembered = entry if entry.seq == remember else remembered
                state.keyed_from = state.keyed_from or (entry.seq if entry.chain == KEYED else None)
                state.seq, state.hash, state.offset, state.length = entry.seq, entry.hash, offset, end
        problem = pin_problem(pin, lambda seq: pinned if pinned is not None and pinned.seq == seq else None, key)
        if problem:
            raise StoreDamaged(self.log.path, problem)
        state.full_pass = {"at": format_iso(self.clock()), "through": state.seq}
        return _Built(state, {name: _joined(targets) for name, targets in postings.items()}, remembered)

    def _catch_up(self, state: IndexState, anchor: AuditEntry | None,
                  key: bytes | None) -> tuple[IndexState, AuditEntry | None]:
        """File the entries appended since the cover ends, each checked and linked to the one before, in the
        recent buckets; merged into the main ones once those hold RECENT_UP_TO entries."""
        postings: dict[str, dict[str, list[str]]] = {}
        new = replace(state, buckets=dict(state.buckets))
        with self._open_log() as handle:
            for entry, offset, end in self._checked_lines(handle, state.length, anchor, key):
                _file(postings, entry, offset, recent_bucket_of)
                new.seq, new.hash, new.offset, new.length = entry.seq, entry.hash, offset, end
                new.keyed_from = new.keyed_from or (entry.seq if entry.chain == KEYED else None)
                new.recent += 1
                anchor = entry
        changed: dict[str, dict[str, str] | None] = {
            name: _added(self._bucket(state, name), targets) for name, targets in postings.items()}
        if new.recent >= RECENT_UP_TO:
            changed = self._merged(state, changed)
            new.recent = 0
        self._save(new, changed, key)
        return new, anchor

    def _merged(self, state: IndexState, recent: dict[str, dict[str, str] | None]) -> dict[str, dict[str, str] | None]:
        """The main buckets with every recent posting added (after their own: recent entries are newer), and
        the recent buckets gone."""
        names = {name for name in state.buckets if name.startswith("r")} | set(recent)
        moving: dict[str, dict[str, list[str]]] = {}
        for name in names:
            bucket = recent[name] if name in recent else self._bucket(state, name)
            for target, places in (bucket or {}).items():
                moving.setdefault(bucket_of(target), {})[target] = [places]
        merged: dict[str, dict[str, str] | None] = {
            name: _added(self._bucket(state, name), targets) for name, targets in moving.items()}
        return {**merged, **dict.fromkeys(names)}

    def _checked_lines(self, handle: BinaryIO, start: int, last: AuditEntry | None,
                       key: bytes | None) -> Iterator[tuple[AuditEntry, int, int]]:
        """The entries from byte `start` (where the line after `last` begins) to the last whole line, each
        parsed, checked against its hash (HMAC) and linked to the one before; with where its line begins and
        ends. A line not yet ended is left for later: an append may be writing it."""
        first = (last.seq if last else 0) + 1
        for number, (line, offset) in enumerate(_lines_from(handle, start), start=first):
            entry = self.log.parse(line[:-1], f"line {number}", key)
            problem = chain_break(entry, last, f"line {number}", partial(self._claimed_after, offset + len(line)))
            if problem:
                raise StoreDamaged(self.log.path, problem)
            yield entry, offset, offset + len(line)
            last = entry

    def _claimed_after(self, offset: int) -> set[int]:
        with self._open_log() as handle:
            handle.seek(offset)
            return claimed_sequences(handle.read().split(b"\n"))

    def _settle(self, why: str, key: bytes | None) -> None:
        """The index and the log disagree: check the whole log while making a new index of it. A log with a
        problem, or one that no longer holds the entry the index covered to, is StoreDamaged naming the log;
        a whole log that still holds that entry means the index was wrong, and the new one replaces it."""
        try:
            old = self._load(key)
        except _Damaged:
            old = None
        covered = old.seq if old else 0
        built = self._build(key, remember=covered)
        if old is not None and covered:
            if built.remembered is None:
                raise StoreDamaged(self.log.path, f"it ends at entry {built.state.seq}, but the audit index had "
                                                  f"covered it to entry {covered}: entries were removed from its "
                                                  f"end ({why})")
            if built.remembered.hash != old.hash:
                raise StoreDamaged(self.log.path, f"entry {covered} is not the one the audit index covered it to: "
                                                  f"the log was rewritten ({why})")
        self._save(built.state, built.buckets, key, sweep=True)
        self.note = f"the audit index disagreed with the log ({why}); the log checked whole, so the index was rebuilt"

    def _rebuild_damaged(self, damage: str, key: bytes | None) -> None:
        built = self._build(key)
        self._save(built.state, built.buckets, key, sweep=True)
        self.note = f"the audit index was damaged ({damage}); it was rebuilt from the log, which checked whole"

    # -- files ------------------------------------------------------------------------------

    def _save(self, state: IndexState, changed: Mapping[str, dict[str, str] | None], key: bytes | None,
              sweep: bool = False) -> None:
        """Write the changed buckets as new files (None: the bucket is gone), then the state naming them, then
        remove what they replace (sweep: every file the state does not name). Where the store cannot be
        written (read-only, full), the index is kept in memory for this call: the reader still gets its answer,
        and the next one tries again."""
        replaced = []
        try:
            for name, bucket in sorted(changed.items()):
                old = state.buckets.pop(name, None)
                digest = None if bucket is None else self._write_bucket(name, bucket)
                if old is not None and old != digest:
                    replaced.append(_bucket_file(name, old))
                if digest is not None:
                    state.buckets[name] = digest
            write_atomic(self.dir / STATE_FILE, dump_json(_sealed(state, key)))
        except StoreError:
            self._unsaved = (state, changed if self._unsaved is None else {**self._unsaved[1], **changed})
            return
        self._unsaved = None
        keep = {STATE_FILE, LOCK_FILE, *(_bucket_file(n, d) for n, d in state.buckets.items())}
        gone = [p.name for p in self.dir.iterdir() if p.name not in keep] if sweep else replaced
        for name in gone:
            try:
                os.unlink(self.dir / name)
            except OSError:
                pass  # a file left over is never read: the state names the ones that count

    def _write_bucket(self, name: str, bucket: dict[str, str]) -> str:
        data = dump_json(bucket)
        digest = hashlib.sha256(data).hexdigest()
        write_atomic(self.dir / _bucket_file(name, digest), data)
        return digest

    def _key(self) -> bytes | None:
        """The audit chain key (None before the store is keyed): entries are checked with it, and the state is
        sealed with a key derived from it."""
        try:
            return self.log.chain_key()
        except OmeError:
            raise IndexUnavailable("the audit chain key is not at hand") from None

    @contextmanager
    def _locked(self):
        """The index's own lock: exclusive, for reads too (they may catch it up). Opened read-only where
        the store is (the answer is then kept in memory)."""
        try:
            self.dir.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(self.dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        except OSError:
            try:
                fd = os.open(self.dir / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                raise IndexUnavailable(f"the audit index cannot be kept in {self.dir}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _open_log(self) -> BinaryIO:
        try:
            return open(self.log.path, "rb")  # noqa: SIM115 - each caller closes it with `with`
        except FileNotFoundError:
            return io.BytesIO()
        except OSError as exc:
            raise StoreError(f"cannot read the audit log {self.log.path}: {exc.strerror}") from None


def _lines_from(handle: BinaryIO, start: int) -> Iterator[tuple[bytes, int]]:
    """The whole lines from byte `start`, each with its newline and where it begins."""
    handle.seek(start)
    offset = start
    for line in handle:
        if not line.endswith(b"\n"):
            return
        yield line, offset
        offset += len(line)


def _file(postings: dict[str, dict[str, list[str]]], entry: AuditEntry, offset: int,
          bucket: Callable[[str], str] = bucket_of) -> None:
    postings.setdefault(bucket(entry.target), {}).setdefault(entry.target, []).append(f"{entry.seq}:{offset}")


def _added(bucket: dict[str, str], targets: dict[str, list[str]]) -> dict[str, str]:
    """The bucket with more postings after each target's own (they are newer)."""
    more = dict(bucket)
    for target, places in targets.items():
        more[target] = " ".join([more[target], *places] if target in more else places)
    return more


def _joined(targets: dict[str, list[str]]) -> dict[str, str]:
    return {target: " ".join(places) for target, places in targets.items()}


def _postings(text: str) -> list[tuple[int, int]]:
    """"seq:offset seq:offset ..." as pairs, in the order filed (append order)."""
    try:
        pairs = [tuple(map(int, posting.split(":"))) for posting in text.split()]
    except ValueError:
        raise _Damaged("a bucket holds a posting that is not 'entry:byte'") from None
    if any(len(pair) != 2 or min(pair) < 0 for pair in pairs):
        raise _Damaged("a bucket holds a posting that is not 'entry:byte'")
    return [(pair[0], pair[1]) for pair in pairs]


def _claimed_seq(line: bytes) -> int | None:
    """The sequence number a line claims, read leniently (only to tell whether the index points at it)."""
    try:
        seq = json.loads(line)["seq"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    return seq if type(seq) is int else None


def _bucket_file(name: str, digest: str) -> str:
    return f"{name}-{digest[:16]}.json"


def _seal(body: dict, chain_key: bytes | None) -> str:
    """HMAC-SHA256 of the state under a key derived from the chain key (its own key: a seal is never an entry's
    chain value); plain SHA-256 before the log is keyed."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if chain_key is None:
        return "sha256:" + hashlib.sha256(canonical).hexdigest()
    key = hmac.new(chain_key, _SEAL_KEY_CONTEXT, hashlib.sha256).digest()
    return "hmac-sha256:" + hmac.new(key, canonical, hashlib.sha256).hexdigest()


def _sealed(state: IndexState, key: bytes | None) -> dict:
    body = state.body()
    return {**body, "seal": _seal(body, key)}


def _state_from(data: object, key: bytes | None) -> IndexState:
    """The state as written, or _Damaged: not the shape _sealed writes, or a seal that does not match (an
    edit, or one sealed without the chain key the log is now keyed with)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _Damaged(f"{STATE_FILE} is not the state of an audit index")
    body = {name: value for name, value in data.items() if name != "seal"}
    if not hmac.compare_digest(str(data.get("seal")).encode("utf-8", "replace"), _seal(body, key).encode()):
        raise _Damaged(f"{STATE_FILE} does not match its seal: it was edited, or sealed without the chain key")
    try:
        covers, full_pass, buckets = data["covers"], data["full_pass"], data["buckets"]
        state = IndexState(covers["bytes"], covers["entry"], covers["hash"], covers["line_at"], data["keyed_from"],
                           full_pass, dict(buckets), data["recent"])
    except (KeyError, TypeError, ValueError):
        raise _Damaged(f"{STATE_FILE} is not the state of an audit index") from None
    numbers = (state.length, state.seq, state.offset, state.recent)
    if not (all(type(n) is int and n >= 0 for n in numbers) and _is_hex64(state.hash)
            and (state.keyed_from is None or type(state.keyed_from) is int)
            and (full_pass is None or isinstance(full_pass, dict))
            and all(_is_bucket_name(n) and _is_hex64(d) for n, d in state.buckets.items())):
        raise _Damaged(f"{STATE_FILE} is not the state of an audit index")
    return state


def _is_hex64(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX64
