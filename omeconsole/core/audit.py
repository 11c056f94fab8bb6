"""The audit log: append-only JSON lines, hash-chained, fsynced before the action goes ahead.

Each entry carries the hash of the one before, so an edited or missing line is detected
on reading. If an entry cannot be written, the caller's action does not happen.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from omeconsole.core.errors import OmeError, StoreDamaged, StoreError
from omeconsole.core.storage import FILE_MODE
from omeconsole.core.timeutil import format_iso, utcnow

AUDIT_FILE = "audit.jsonl"
GENESIS = "0" * 64
_TAIL_CHUNK = 65536


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    time: str
    actor: str
    role: str
    action: str
    target: str
    outcome: str  # success, refused, failed
    detail: str
    origin: str
    prev: str
    hash: str

    def to_record(self) -> dict:
        return {
            "Sequence": self.seq, "Time": self.time, "Actor": self.actor, "Role": self.role,
            "Action": self.action, "Target": self.target, "Outcome": self.outcome,
            "Detail": self.detail, "Origin": self.origin,
        }


def _digest(prev: str, body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev + canonical).encode("utf-8")).hexdigest()


def default_origin(face: str = "cli") -> str:
    """Where the action came from: the face, the host and, over SSH, the client address."""
    ssh = os.environ.get("SSH_CONNECTION", "").split()
    where = f" from {ssh[0]}" if ssh else ""
    return f"{face} on {socket.gethostname()}{where}"


def _storable(text: str) -> str:
    """Text as the log can hold it. Bytes that were not UTF-8 (in an argument, an environment
    variable, a file name) reach Python as lone surrogates, which UTF-8 cannot encode: they are
    kept as backslash escapes, so the entry is written and still says what was given."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _sequences(lines: list[bytes]) -> set[int]:
    """The sequence numbers the given lines claim, read leniently (only to tell a move from a gap)."""
    found = set()
    for line in lines:
        try:
            found.add(int(json.loads(line)["seq"]))
        except (ValueError, KeyError, TypeError, RecursionError):
            continue
    return found


class AuditLog:
    def __init__(self, store_dir: Path):
        self.path = Path(store_dir) / AUDIT_FILE
        self.appended: list[AuditEntry] = []  # by this process, newest last

    def append(self, *, actor: str, role: str, action: str, target: str, outcome: str,
               detail: str = "", origin: str = "cli", at: datetime | None = None) -> AuditEntry:
        """Write one entry durably. The log's own lock keeps the chain whole, so a refusal met
        under a shared store lock is recorded as surely as a change under the exclusive one."""
        actor, role, action, target, detail, origin = map(_storable, (actor, role, action, target, detail, origin))
        with self._locked() as fd:
            last = self._last_entry()
            body = {
                "seq": (last.seq + 1) if last else 1, "time": format_iso(at or utcnow()), "actor": actor,
                "role": role, "action": action, "target": target, "outcome": outcome,
                "detail": " ".join(detail.split()), "origin": origin,
                "prev": last.hash if last else GENESIS,
            }
            entry = AuditEntry(**body, hash=_digest(body["prev"], body))
            line = json.dumps({**body, "hash": entry.hash}, ensure_ascii=False, separators=(",", ":")) + "\n"
            self._write_line(fd, line.encode("utf-8"))
        self.appended.append(entry)
        return entry

    def record_failure(self, since: int, error: Exception) -> None:
        """After a change whose entry (appended after `since`) was written but which then failed:
        say so in the log, as far as the disk allows. The error that stopped it is what the person sees."""
        done = [e for e in self.appended[since:] if e.outcome == "success"]
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

    def _last_entry(self) -> AuditEntry | None:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                if size == 0:
                    return None
                handle.seek(max(0, size - _TAIL_CHUNK))
                tail = handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read the audit log {self.path}: {exc.strerror}") from None
        if not tail.endswith(b"\n"):
            raise StoreDamaged(self.path, "its last entry is incomplete (an interrupted write)")
        last_line = tail[:-1].rsplit(b"\n", 1)[-1]
        return self._parse(last_line, None)

    def entries(self) -> list[AuditEntry]:
        """Every entry, checking the chain; a gap, an edit or a torn line raises StoreDamaged."""
        entries, problem = self.walk()
        if problem:
            raise StoreDamaged(self.path, problem)
        return entries

    def walk(self) -> tuple[list[AuditEntry], str | None]:
        """The entries up to the first problem, and that problem in plain words (None when whole)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return [], None
        except OSError as exc:
            raise StoreError(f"cannot read the audit log {self.path}: {exc.strerror}") from None
        entries, prev = [], GENESIS
        lines = raw.split(b"\n")
        if lines[-1]:
            return entries, f"its last entry (line {len(lines)}) is incomplete (an interrupted write)"
        for number, line in enumerate(lines[:-1], start=1):
            try:
                entry = self._parse(line, number)
            except StoreDamaged as damaged:
                return entries, damaged.problem
            expected = len(entries) + 1
            if entry.seq != expected and expected in _sequences(lines[number:]):
                return entries, (f"entries were reordered: line {number} holds entry {entry.seq} "
                                 f"where entry {expected} belongs")
            if entry.seq > expected:
                return entries, (f"entries {expected} to {entry.seq - 1} were removed "
                                 f"(line {number} holds entry {entry.seq})")
            if entry.seq < expected or entry.prev != prev:
                return entries, (f"entry {entry.seq} at line {number} does not follow entry {expected - 1}: "
                                 "entries were reordered or replaced")
            entries.append(entry)
            prev = entry.hash
        return entries, None

    def _parse(self, line: bytes, number: int | None) -> AuditEntry:
        where = f"line {number}" if number else "the last entry"
        try:
            record = json.loads(line.decode("utf-8"))
            body = {k: record[k] for k in ("seq", "time", "actor", "role", "action", "target",
                                           "outcome", "detail", "origin", "prev")}
            entry = AuditEntry(**body, hash=record["hash"])
        except (ValueError, KeyError, TypeError, RecursionError):
            raise StoreDamaged(self.path, f"{where} is not an audit entry") from None
        if _digest(entry.prev, body) != entry.hash:
            raise StoreDamaged(self.path, f"entry {entry.seq} at {where} was edited: it does not match its hash")
        return entry
