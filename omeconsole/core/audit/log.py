"""The audit log: append-only JSON lines, chained, fsynced before the action goes ahead.

Each entry carries the chain value of the one before, so an edited or missing line is
detected on reading. If an entry cannot be written, the caller's action does not happen.

The chain is keyed: from the entry "audit chain keyed" on, each entry's chain value is an
HMAC-SHA256 under a key derived from the master key (dkm/keyring.py), so whoever deletes or
edits an entry cannot recompute the chain without the keyring (and, for a passphrase-protected
keyring, the passphrase). Entries before that one (a store made before keying, and the `init`
entry, written before the keyring exists) keep their plain SHA-256 chain, verified as before.
A process that cannot have the key writes nothing: the action is refused, not left unkeyed.

Stripping the keyed chain (dropping the marks and the "audit chain keyed" entry, recomputing plain
SHA-256 links) would make a keyed log pass for one made before keying. So when keying begins, the
keyring's settings are given a pin, HMAC-sealed under the chain key: the entry the keyed chain had
reached. A log that no longer holds that keyed entry fails verification. A store keyed before pins
existed gets its pin from its next audited write.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import hmac
import json
import os
import pwd
import re
import socket
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Literal

from omeconsole.core.dkm.keyring import read_audit_pin, write_audit_pin
from omeconsole.core.errors import OmeError, StoreDamaged, StoreError
from omeconsole.core.store.files import FILE_MODE
from omeconsole.core.text.times import format_iso, utcnow

AUDIT_FILE = "audit.jsonl"
GENESIS = "0" * 64
_TAIL_CHUNK = 65536
KEYED = "hmac-sha256"  # an entry's "chain" field once the chain is keyed; absent before
KEYED_FROM = "audit chain keyed"  # the action of the entry where the keyed chain begins
_FIELDS = ("seq", "time", "actor", "role", "action", "target", "outcome", "detail", "origin", "prev")


Outcome = Literal["success", "refused", "failed"]


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    time: str
    actor: str
    role: str
    action: str
    target: str
    outcome: Outcome
    detail: str
    origin: str
    prev: str
    hash: str
    chain: str | None = None  # KEYED, or None for an entry of the plain SHA-256 chain before it

    def to_record(self) -> dict:
        return {
            "Sequence": self.seq, "Time": self.time, "Actor": self.actor, "Role": self.role,
            "Action": self.action, "Target": self.target, "Outcome": self.outcome,
            "Detail": self.detail, "Origin": self.origin,
        }


def _digest(prev: str, body: dict, key: bytes | None = None) -> str:
    """The entry's chain value: HMAC-SHA256 under the chain key for a keyed entry, else SHA-256."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    data = (prev + canonical).encode("utf-8")
    if body.get("chain") == KEYED:
        assert key is not None, "a keyed entry is digested with the chain key"
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def _pin_mac(key: bytes, seq: int, chain_value: str) -> str:
    return hmac.new(key, f"omeconsole/audit-keyed-by|{seq}|{chain_value}".encode(), hashlib.sha256).hexdigest()


def chained_entry(last: AuditEntry | None, key: bytes | None, when: str, fields: dict) -> tuple[AuditEntry, bytes]:
    """The entry that follows `last` with these fields (actor, role, action, target, outcome, detail, origin,
    already storable), and its line as the log holds it: keyed (HMAC) when key is given."""
    body = {"seq": (last.seq + 1) if last else 1, "time": when, **fields,
            "detail": " ".join(fields["detail"].split()), "prev": last.hash if last else GENESIS}
    if key is not None:
        body["chain"] = KEYED
    entry = AuditEntry(**body, hash=_digest(body["prev"], body, key))
    line = json.dumps({**body, "hash": entry.hash}, ensure_ascii=False, separators=(",", ":")) + "\n"
    return entry, line.encode("utf-8")


UNKNOWN_ACTOR = "unknown"  # who acted, when a refusal came before anyone was named


def default_origin(face: str = "cli", door: str | None = None) -> str:
    """Where the action came from: the face and host; the door that vouched for the person (its own
    words, from a checked door pass), else the SSH client's address if any; and always the operating
    system account that ran it, the one fact here that nobody asserts for themselves."""
    if door:
        where = f" {door}"
    else:
        ssh = os.environ.get("SSH_CONNECTION", "").split()
        where = f" from {ssh[0]}" if ssh else ""
    return f"{face} on {socket.gethostname()}{where}; {os_account()}"


def os_account() -> str:
    uid = os.getuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid with no name (a container's)
        name = "(no name)"
    return f"OS account {name} (uid {uid})"


def _storable(text: str) -> str:
    """Text as the log can hold it. Bytes that were not UTF-8 (in an argument, an environment
    variable, a file name) reach Python as lone surrogates, which UTF-8 cannot encode: they are
    kept as backslash escapes, so the entry is written and still says what was given."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def claimed_sequences(lines: list[bytes]) -> set[int]:
    """The sequence numbers the given lines claim, read leniently (only to tell a move from a gap)."""
    found = set()
    for line in lines:
        try:
            found.add(int(json.loads(line)["seq"]))
        except (ValueError, KeyError, TypeError, RecursionError):
            continue
    return found


KeySource = Callable[[], "bytes | None"]


class AuditLog:
    def __init__(self, store_dir: Path, key_source: KeySource | None = None):
        self.path = Path(store_dir) / AUDIT_FILE
        self.appended: list[AuditEntry] = []  # by this process, newest last
        # The chain key, or None while the store has no keyring yet (during init). It raises
        # StoreError when the keyring exists but its key is not at hand (no passphrase).
        self.key_source: KeySource = key_source or (lambda: None)
        self._key: bytes | None = None
        self._pinned = False  # the keyring holds the pin (read or written by this process)

    def chain_key(self) -> bytes | None:
        if self._key is None:
            self._key = self.key_source()
        return self._key

    def key_at_hand(self) -> bytes | None:
        """The chain key if it can be had without asking anyone; None otherwise (links are still checked)."""
        try:
            return self.chain_key()
        except OmeError:
            return None

    def append(self, *, actor: str, role: str, action: str, target: str, outcome: Outcome,
               detail: str = "", origin: str = "cli", at: datetime | None = None) -> AuditEntry:
        """Write one entry durably. The log's own lock keeps the chain whole, so a refusal met
        under a shared store lock is recorded as surely as a change under the exclusive one.
        The first entry written with the chain key is preceded by the entry where keying begins."""
        key = self.chain_key()  # before the lock: a passphrase takes a moment to stretch
        fields = dict(actor=actor, role=role, action=action, target=target, outcome=outcome, detail=detail,
                      origin=origin)
        fields = {name: _storable(value) for name, value in fields.items()}
        when = format_iso(at or utcnow())
        with self._locked() as fd:
            last = self._keyed_tail(fd, key, when, fields["origin"])
            entry = self._write(fd, last, key, when, fields)
        return entry

    def begin_keyed_chain(self, origin: str) -> None:
        """Key the chain now, if it is not yet (init does, once its keyring exists)."""
        key = self.chain_key()
        with self._locked() as fd:
            self._keyed_tail(fd, key, format_iso(utcnow()), _storable(origin))

    def _keyed_tail(self, fd: int, key: bytes | None, when: str, origin: str) -> AuditEntry | None:
        """The last entry, after writing the one where keying begins if the key is new to this log."""
        last = self._last_entry(key)
        if last and last.chain == KEYED and key is None:
            raise StoreError(f"the audit log {self.path} is keyed by the keyring, which is missing; "
                             "the action was not carried out")
        if key is not None and (last is None or last.chain != KEYED):
            last = self._write(fd, last, key, when, self._keying_begins(last, origin))
        if key is not None and last is not None and not self._pinned:
            self._pin(last, key)
        return last

    def _pin(self, keyed: AuditEntry, key: bytes) -> None:
        """Pin this keyed entry in the keyring, unless an earlier one is pinned (a pin never moves)."""
        root = self.path.parent
        if read_audit_pin(root) is None:
            write_audit_pin(root, {"entry": keyed.seq, "hash": keyed.hash, "mac": _pin_mac(key, keyed.seq, keyed.hash)})
        self._pinned = True

    @staticmethod
    def _keying_begins(last: AuditEntry | None, origin: str) -> dict:
        before = f"; entries 1 to {last.seq} keep their SHA-256 chain" if last else ""
        return dict(actor="omeconsole", role="system", action=KEYED_FROM, target="audit log", outcome="success",
                    detail="from this entry on, each entry is chained with HMAC-SHA256 under a key derived from "
                           f"the master key{before}", origin=origin)

    def _write(self, fd: int, last: AuditEntry | None, key: bytes | None, when: str, fields: dict) -> AuditEntry:
        entry, line = chained_entry(last, key, when, fields)
        self._write_line(fd, line)
        self.appended.append(entry)
        return entry

    def record_failure(self, since: int, error: Exception) -> None:
        """After a change whose entry (appended after `since`) was written but which then failed:
        say so in the log, as far as the disk allows. The error that stopped it is what the person sees."""
        done = [e for e in self.appended[since:] if e.outcome == "success" and e.action != KEYED_FROM]
        if not done:
            return
        last = done[-1]
        try:
            self.append(actor=last.actor, role=last.role, action=last.action, target=last.target, outcome="failed",
                        detail=f"not carried out (entry {last.seq}): {error}", origin=last.origin)
        except OmeError:
            pass

    @contextmanager
    def _locked(self):
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        except OSError as exc:
            raise self._unwritable(exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # releases the lock

    def _write_line(self, fd: int, data: bytes) -> None:
        """Append one line whole, or leave the log as it was: a full disk can take part of a line,
        and a torn last line would stop every later change."""
        size = os.fstat(fd).st_size
        try:
            if os.write(fd, data) != len(data):
                raise OSError(errno.ENOSPC, "short write to the audit log")
            os.fsync(fd)
        except OSError as exc:
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass
            raise self._unwritable(exc) from None

    def _unwritable(self, exc: OSError) -> StoreError:
        return StoreError(f"cannot write the audit log {self.path}: {exc.strerror or exc}; "
                          "the action was not carried out")

    def _last_entry(self, key: bytes | None) -> AuditEntry | None:
        """The last entry, checked against its hash, however long its line (an entry of more than one read
        of the tail must not stop every later change)."""
        lines, _ = self._tail_lines(1)
        return self._parse(lines[-1], None, key) if lines else None

    def size(self) -> int:
        """The log's length in bytes (0 when there is none yet)."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise StoreError(f"cannot read the audit log {self.path}: {exc.strerror}") from None

    def entries(self) -> list[AuditEntry]:
        """Every entry, checking the chain; a gap, an edit or a torn line raises StoreDamaged.
        Keyed entries are checked against their HMAC when the key is at hand, else by their links."""
        entries, problem = self.walk(self.key_at_hand())
        if problem:
            raise StoreDamaged(self.path, problem)
        return entries

    def last(self, count: int) -> list[AuditEntry]:
        """The last `count` entries, read backwards from the end of the log and nothing before them (the log
        is append-only, so its tail is its newest entries). Each is checked against its hash (its HMAC when
        the key is at hand) and chained to the one before it, the oldest of them to the entry before it; a
        problem raises StoreDamaged. Entries further back are not read: `audit verify` checks them."""
        if count <= 0:
            return []
        key = self.key_at_hand()
        lines, whole = self._tail_lines(count + 1)
        entries = [self.parse(line, _from_end(len(lines) - number), key) for number, line in enumerate(lines)]
        start = 0 if whole else 1  # without the whole log, the oldest line read only anchors the next one
        for number in range(start, len(entries)):
            before = entries[number - 1] if number else None
            problem = chain_break(entries[number], before, _from_end(len(lines) - number),
                                  partial(_sequences_after, entries, number))
            if problem:
                raise StoreDamaged(self.path, problem)
        return entries[-count:]

    def _tail_lines(self, count: int) -> tuple[list[bytes], bool]:
        """The last `count` lines (fewer when the log holds fewer), read backwards a chunk at a time, and
        whether they are the whole log. A last line without its newline raises StoreDamaged, as on append."""
        try:
            with open(self.path, "rb") as handle:
                end = handle.seek(0, os.SEEK_END)
                tail, start = b"", end
                while start > 0 and tail.count(b"\n") <= count:
                    step = min(start, max(_TAIL_CHUNK, len(tail)))  # doubling: a few reads for any count
                    start -= step
                    handle.seek(start)
                    tail = handle.read(step) + tail
        except FileNotFoundError:
            return [], True
        except OSError as exc:
            raise StoreError(f"cannot read the audit log {self.path}: {exc.strerror}") from None
        if not tail:
            return [], True
        if not tail.endswith(b"\n"):
            raise StoreDamaged(self.path, "its last entry is incomplete (an interrupted write)")
        lines = tail[:-1].split(b"\n")
        if start > 0:
            lines = lines[1:]  # the first piece may be the end of a longer line
        return lines[-count:], start == 0 and len(lines) <= count

    def walk(self, key: bytes | None) -> tuple[list[AuditEntry], str | None]:
        """The entries up to the first problem, and that problem in plain words (None when whole).
        With key None, keyed entries are checked by their links only (their HMAC needs the key)."""
        pin = read_audit_pin(self.path.parent)  # before the log: a pin is written after its entry
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return [], None
        except OSError as exc:
            raise StoreError(f"cannot read the audit log {self.path}: {exc.strerror}") from None
        entries = list[AuditEntry]()
        lines = raw.split(b"\n")
        if lines[-1]:
            return entries, f"its last entry (line {len(lines)}) is incomplete (an interrupted write)"
        for number, line in enumerate(lines[:-1], start=1):
            try:
                entry = self._parse(line, number, key)
            except StoreDamaged as damaged:
                return entries, damaged.problem
            problem = _out_of_place(entry, entries, number, lines)
            if problem:
                return entries, problem
            entries.append(entry)
        return entries, _pin_problem(pin, entries, key)

    def _parse(self, line: bytes, number: int | None, key: bytes | None) -> AuditEntry:
        return self.parse(line, f"line {number}" if number else "the last entry", key)

    def parse(self, line: bytes, where: str, key: bytes | None) -> AuditEntry:
        """One line as an entry, checked against its hash (its HMAC, for a keyed entry when key is given);
        StoreDamaged naming `where` (line 12, byte 4096, ...) when it is not an entry or was edited."""
        try:
            record = json.loads(line.decode("utf-8"))
            body = {k: record[k] for k in _FIELDS}
            if "chain" in record:
                if record["chain"] != KEYED:
                    raise ValueError("unknown chain")
                body["chain"] = KEYED
            entry = AuditEntry(**body, hash=record["hash"])
        except (ValueError, KeyError, TypeError, RecursionError):
            raise StoreDamaged(self.path, f"{where} is not an audit entry") from None
        if (entry.chain is None or key is not None) and _digest(entry.prev, body, key) != entry.hash:
            raise StoreDamaged(self.path, f"entry {entry.seq} at {where} was edited: it does not match its "
                                          + ("HMAC (the chain key)" if entry.chain else "hash"))
        return entry


def _out_of_place(entry: AuditEntry, before: list[AuditEntry], number: int, lines: list[bytes]) -> str | None:
    """Why this entry cannot follow the ones before it (None when it can)."""
    return chain_break(entry, before[-1] if before else None, f"line {number}",
                       lambda: claimed_sequences(lines[number:]))


def chain_break(entry: AuditEntry, last: AuditEntry | None, where: str,
                later: Callable[[], set[int]]) -> str | None:
    """Why this entry, found at `where`, cannot follow `last` (None when it can). `later` gives the sequence
    numbers the lines after it claim; it is asked only to tell a move from a gap."""
    expected = last.seq + 1 if last else 1
    prev = last.hash if last else GENESIS
    if entry.seq != expected and expected in later():
        return f"entries were reordered: {where} holds entry {entry.seq} where entry {expected} belongs"
    if entry.seq > expected:
        return f"entries {expected} to {entry.seq - 1} were removed ({where} holds entry {entry.seq})"
    if entry.seq < expected or entry.prev != prev:
        return (f"entry {entry.seq} at {where} does not follow entry {expected - 1}: "
                "entries were reordered or replaced")
    keyed_before = last is not None and last.chain == KEYED
    if keyed_before and entry.chain != KEYED:
        return (f"entry {entry.seq} at {where} is not keyed, though the keyed chain began before it: "
                "it was written or rewritten without the chain key")
    if entry.chain == KEYED and not keyed_before and entry.action != KEYED_FROM:
        return f"entry {entry.seq} at {where} is keyed, but the entry where keying begins is missing"
    return None


def _pin_problem(pin: object, entries: list[AuditEntry], key: bytes | None) -> str | None:
    """Why the log does not hold the keyed entry the keyring pinned (None when it does, or nothing is pinned)."""
    return pin_problem(pin, lambda seq: entries[seq - 1] if 0 < seq <= len(entries) else None, key)


def pin_problem(pin: object, entry_at: Callable[[int], AuditEntry | None], key: bytes | None) -> str | None:
    """Why the log does not hold the keyed entry the keyring pinned (None when it does, or nothing is pinned).
    entry_at(seq) is the log's entry with that sequence number, None when the log ends before it."""
    if pin is None:
        return None
    if not (isinstance(pin, dict) and type(pin.get("entry")) is int
            and all(isinstance(pin.get(name), str) and re.fullmatch("[0-9a-f]{64}", pin[name])
                    for name in ("hash", "mac"))):
        return "the keyring's record of where the audit chain became keyed is malformed"
    seq, chain_value = pin["entry"], pin["hash"]
    if key is not None and not hmac.compare_digest(pin["mac"], _pin_mac(key, seq, chain_value)):
        return "the keyring's record of where the audit chain became keyed was altered: it does not match its HMAC"
    found = entry_at(seq)
    if found is None or found.chain != KEYED or found.hash != chain_value:
        found_there = ("ends before it" if found is None else
                       "holds an unkeyed entry there" if found.chain != KEYED else "holds another entry there")
        return (f"the keyed chain was stripped: the keyring records entry {seq} as keyed, but the log {found_there}; "
                "it was rewritten without the chain key")
    return None


def _sequences_after(entries: list[AuditEntry], number: int) -> set[int]:
    return {entry.seq for entry in entries[number + 1:]}


def _from_end(place: int) -> str:
    """Where a line read from the tail is, without counting the lines before it: 'the last line', 'line 3 from
    the end'."""
    return "the last line" if place == 1 else f"line {place} from the end"
