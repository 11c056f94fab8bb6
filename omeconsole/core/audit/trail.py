"""Reading and verifying the audit log, and signed checkpoints of its head that an admin keeps elsewhere.

A message's entries are read through the audit index (index.py), the newest entries from the log's tail, and
neither reads the whole log; `audit verify` is still a full pass of the whole chain.

A checkpoint is the head's sequence number and hash, signed with an Ed25519 key derived
from the master key. Kept outside the store, it makes truncation detectable: a log that
no longer holds that entry, or holds a different one, fails `audit verify --checkpoint`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from omeconsole.core.audit.index import AuditIndex, IndexUnavailable
from omeconsole.core.audit.log import KEYED, AuditEntry
from omeconsole.core.context import ContextService
from omeconsole.core.dkm.keyring import Keyring, b64, unb64
from omeconsole.core.errors import StoreDamaged, UsageError
from omeconsole.core.text.reading import parse_json, read_at_most
from omeconsole.core.text.times import format_iso

CHECKPOINT_FORMAT = "omeconsole-audit-checkpoint/1"
MAX_CHECKPOINT = 65536  # bytes; a real one is about 400
_SIGNED_FIELDS = ("format", "organization", "sequence", "hash", "time", "public_key")
FULL_PASS_UP_TO = 10_000  # entries the Key manager checks in a full pass on each load (under a second)
READ_WHOLE_UP_TO = 128 * 1024  # bytes of log (a few hundred entries) read whole for one target: as fast
# as the index at that size, every entry checked, and a new or small store keeps no index


def _signed_bytes(checkpoint: dict) -> bytes:
    return json.dumps({k: checkpoint[k] for k in _SIGNED_FIELDS}, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Verification:
    entries: int
    head: str | None
    problem: str | None
    checkpoint: str | None = None  # what the checkpoint check found, when one was given
    keyed_from: int | None = None  # the entry where the HMAC chain begins (None: not keyed yet)
    # None: every entry was checked now. Otherwise entries from this one on were checked now, chained onto the
    # one before, which was found where the audit index left it (entries up to it were checked as it filed them)
    checked_from: int | None = None
    full_pass: dict | None = None  # the last full pass the index recorded: {"at": ISO time, "through": entry}
    note: str | None = None  # the audit index was rebuilt during this check, and why

    @property
    def ok(self) -> bool:
        return self.problem is None

    def to_record(self) -> dict:
        return {"Verified": self.ok, "Entries": self.entries, "Head": self.head, "Problem": self.problem,
                "Checkpoint": self.checkpoint, "KeyedFrom": self.keyed_from}


class AuditTrail(ContextService):
    """The audit log as admins and helpdesk read it: its entries, verification, signed checkpoints."""

    note: str | None = None  # set by about() when the audit index was rebuilt to answer, saying why

    def entries(self, target: str | None = None) -> list[AuditEntry]:
        """The whole audit log, every entry checked, or the entries about one target filtered from it."""
        self.context.require_overseer("the audit log")
        with self.store.reading():
            entries = self.store.audit.entries()
        return entries if target is None else [e for e in entries if e.target == target]

    def about(self, target: str) -> list[AuditEntry]:
        """The entries about one target (a Message ID, a request, a key version), oldest first, read through
        the audit index: only their lines are read, each checked against its hash (HMAC). A small log (up to
        READ_WHOLE_UP_TO), or one without the chain key at hand or where the store cannot hold the index, is
        read whole as before."""
        self.context.require_overseer("the audit log")
        if self.store.audit.size() <= READ_WHOLE_UP_TO:
            return self.entries(target)
        index = AuditIndex(self.store.audit, self.context.clock)
        try:
            found = index.about(target)
        except IndexUnavailable:
            return self.entries(target)
        self.note = index.note
        return found

    def last(self, count: int) -> list[AuditEntry]:
        """The newest `count` entries, oldest first, read from the log's tail (nothing before them)."""
        self.context.require_overseer("the audit log")
        return self.store.audit.last(count)

    def check(self) -> Verification:
        """What the Key manager vouches for on each load. A log of up to FULL_PASS_UP_TO entries is verified
        whole. A longer one from where the audit index's cover ends: the entry it covered to must still be
        where the index left it, and every entry since is checked against its HMAC and chained onto it; the
        Verification says so (checked_from), and when the last full pass ran."""
        self.context.require_overseer("the audit log")
        try:
            newest = self.store.audit.last(1)
        except StoreDamaged:
            return self.verify()  # which names the problem as `audit verify` does
        if not newest or newest[0].seq <= FULL_PASS_UP_TO:
            return self.verify()
        index = AuditIndex(self.store.audit, self.context.clock)
        try:
            found = index.check()
        except IndexUnavailable:
            return self.verify()
        except StoreDamaged as damaged:
            return Verification(newest[0].seq, None, damaged.problem)
        return Verification(found.entries, found.head, None, keyed_from=found.keyed_from,
                            checked_from=found.indexed_through + 1, full_pass=found.full_pass, note=index.note)

    def verify(self, checkpoint_path: Path | None = None) -> Verification:
        self.context.require_overseer("the audit log")
        checkpoint = _read_checkpoint(checkpoint_path) if checkpoint_path else None
        key = self.store.audit.chain_key()  # keyed entries are verified against their HMAC, never skipped
        with self.store.reading():
            entries, problem = self.store.audit.walk(key)
            public_key = Keyring.metadata(self.store.root).settings.get("checkpoint_public_key")
        if problem is None:
            self._record_full_pass(entries)
        head = entries[-1].hash if entries else None
        keyed_from = next((e.seq for e in entries if e.chain == KEYED), None)
        if checkpoint is None:
            return Verification(len(entries), head, problem, keyed_from=keyed_from)
        found = _check_checkpoint(checkpoint, entries, public_key)
        return Verification(len(entries), head, problem or found, found or "matches", keyed_from)

    def _record_full_pass(self, entries: list[AuditEntry]) -> None:
        """Tell the audit index, if there is one, that the whole log was just checked: the Key manager says when."""
        try:
            AuditIndex(self.store.audit, self.context.clock).record_full_pass(entries)
        except IndexUnavailable:
            pass  # no index here to tell

    def checkpoint(self) -> dict:
        """Sign the head. The audit entry recording the checkpoint is the head it signs."""
        with self.store.writing():
            self.context.reload_tenant()
            self.context.require_admin("audit checkpoint", "audit log")
            keyring = self.context.keyring()
            entry = self.context.audit("audit checkpoint", "audit log", "success",
                                        "signed head handed to the admin to keep outside the store")
            checkpoint = {"format": CHECKPOINT_FORMAT, "organization": self.tenant.organization,
                          "sequence": entry.seq, "hash": entry.hash, "time": format_iso(self.context.clock()),
                          "public_key": keyring.checkpoint_public_key()}
            checkpoint["signature"] = b64(keyring.checkpoint_signing_key().sign(_signed_bytes(checkpoint)))
        return checkpoint


def _read_checkpoint(path: Path) -> dict:
    try:
        checkpoint = parse_json(read_at_most(path, MAX_CHECKPOINT, "checkpoint file").decode("utf-8"))
        if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
            raise ValueError("not an omeconsole audit checkpoint")
        _check_fields(checkpoint)
        _signed_bytes(checkpoint), unb64(checkpoint["signature"]), unb64(checkpoint["public_key"])
        return checkpoint
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"{path} is not an audit checkpoint ({exc})") from None


def _check_fields(checkpoint: dict) -> None:
    """Every field of the shape checkpoint() writes: text, and a whole sequence number from 1."""
    for name in (*_SIGNED_FIELDS, "signature"):
        if name not in checkpoint:
            raise KeyError(name)
        value = checkpoint[name]
        if name == "sequence" and not (type(value) is int and value >= 1):
            raise ValueError(f"its {name} is not a whole number from 1")
        if name != "sequence" and type(value) is not str:
            raise ValueError(f"its {name} is not text")


def _check_checkpoint(checkpoint: dict, entries, public_key: str | None) -> str | None:
    """None when the log still holds the signed head; otherwise what is wrong."""
    try:
        key = Ed25519PublicKey.from_public_bytes(unb64(checkpoint["public_key"]))
        key.verify(unb64(checkpoint["signature"]), _signed_bytes(checkpoint))
    except (InvalidSignature, ValueError):
        return "the checkpoint's signature is not valid: the checkpoint was altered"
    if checkpoint["public_key"] != public_key:
        return "the checkpoint was not signed by this store's key"
    sequence = int(checkpoint["sequence"])
    if len(entries) < sequence:
        return (f"the log was truncated: the checkpoint signed entry {sequence}, "
                f"the log now ends at entry {len(entries)}")
    if entries[sequence - 1].hash != checkpoint["hash"]:
        return f"entry {sequence} is not the one the checkpoint signed: the log was rewritten"
    return None
