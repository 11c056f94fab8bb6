"""The audit log: hash chain, tamper cases, signed checkpoints, fail closed, no secrets in it."""

import json
import os

import pytest

from omeconsole.core.audit.log import AuditLog
from omeconsole.core.errors import Refused, StoreDamaged, StoreError
from omeconsole.core.context import Context

from support.audit_forgery import rechained
from support.cli import assert_one_line_error
from omeconsole.core.audit.trail import AuditTrail
from omeconsole.core.mail.send import send_message
from omeconsole.core.ome.revocation import set_ome_message_revocation


def _append(log, n):
    for i in range(n):
        log.append(actor="a@contoso.com", role="global-admin", action="test", target=str(i), outcome="success")


def _lines(log):
    return log.path.read_text().splitlines()


def _write(log, lines):
    log.path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def log(tmp_path):
    log = AuditLog(tmp_path)
    _append(log, 5)
    return log


def test_each_entry_carries_the_hash_of_the_one_before(log):
    entries = log.entries()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert all(later.prev == earlier.hash for earlier, later in zip(entries, entries[1:]))


def test_an_edited_entry_is_named(log):
    lines = _lines(log)
    record = json.loads(lines[2])
    record["outcome"] = "refused"
    lines[2] = json.dumps(record, separators=(",", ":"))
    _write(log, lines)
    assert log.walk(None)[1] == "entry 3 at line 3 was edited: it does not match its hash"


def test_a_removed_entry_is_named(log):
    lines = _lines(log)
    _write(log, lines[:1] + lines[3:])
    assert log.walk(None)[1] == "entries 2 to 3 were removed (line 2 holds entry 4)"


def test_reordered_entries_are_named(log):
    lines = _lines(log)
    lines[1], lines[2] = lines[2], lines[1]
    _write(log, lines)
    assert log.walk(None)[1] == "entries were reordered: line 2 holds entry 3 where entry 2 belongs"


def _drop_audit_pin(store) -> None:
    path = store / "keyring.json"
    keyring = json.loads(path.read_text())
    del keyring["settings"]["1"]["audit_keyed_by"]
    path.write_text(json.dumps(keyring))


def test_a_whole_rewritten_chain_with_recomputed_hashes_is_caught_by_a_checkpoint(demo_cli, demo_store):
    checkpoint = demo_store.parent / "kept-elsewhere.json"
    checkpoint.write_text(demo_cli("audit", "checkpoint").stdout)
    assert "the checkpoint matches" in demo_cli("audit", "verify", "--checkpoint", checkpoint).stdout
    log = AuditLog(demo_store)
    lines = _lines(log)
    _write(log, lines[:-2])  # truncation: the chain that is left is whole
    assert demo_cli("audit", "verify").returncode == 0
    result = demo_cli("audit", "verify", "--checkpoint", checkpoint, check=1)
    assert_one_line_error(result, "NOT verified", "truncated")
    _write(log, rechained(lines))  # the whole log rewritten to the unkeyed form, and the keyring's pin of its
    _drop_audit_pin(demo_store)  # keyed entry removed too (kept, verify alone refuses it): the chain holds...
    assert "NOT keyed yet" in demo_cli("audit", "verify").stdout
    result = demo_cli.json("audit", "verify", "--checkpoint", checkpoint, check=1)  # ...the checkpoint does not
    assert result["Verified"] is False and "rewritten" in result["Problem"]


def test_a_tampered_checkpoint_is_refused(demo_cli, demo_store):
    data = json.loads(demo_cli("audit", "checkpoint").stdout)
    data["sequence"] = 1
    path = demo_store.parent / "cp.json"
    path.write_text(json.dumps(data))
    assert_one_line_error(demo_cli("audit", "verify", "--checkpoint", path, check=1), "signature is not valid")
    path.write_text("not json")
    assert_one_line_error(demo_cli("audit", "verify", "--checkpoint", path, check=2), "not an audit checkpoint")


def test_audit_verify_names_the_first_bad_entry_through_the_cli(demo_cli, demo_store):
    assert demo_cli("audit", "verify").stdout.startswith("Audit log verified:")
    log = AuditLog(demo_store)
    lines = _lines(log)
    _write(log, lines[:1] + lines[2:])
    assert_one_line_error(demo_cli("audit", "verify", check=1), "entries 2 to 2 were removed")
    assert_one_line_error(demo_cli("audit", check=1), str(log.path), "were removed")


def test_who_may_verify_and_checkpoint(demo_cli):
    assert demo_cli("audit", "verify", "--as", "lynne.robbins@contoso.com").returncode == 0
    assert_one_line_error(demo_cli("audit", "verify", "--as", "megan.bowen@contoso.com", check=1), "audit log")
    assert_one_line_error(demo_cli("audit", "checkpoint", "--as", "lynne.robbins@contoso.com", check=1),
                          "Global Administrator")


def test_a_torn_last_entry_stops_further_changes(log):
    with open(log.path, "ab") as handle:
        handle.write(b'{"seq":6,"ti')
    with pytest.raises(StoreDamaged, match="incomplete"):
        _append(log, 1)


@pytest.mark.parametrize("action", ["revoke", "send", "rotate", "request"])
def test_when_the_audit_log_cannot_be_written_nothing_happens(demo_store, monkeypatch, action):
    from omeconsole.core.dkm.elevated_access import ElevatedAccess
    from omeconsole.core.dkm.access_request import parse_duration
    from omeconsole.core.dkm.key_manager import KeyManager
    from omeconsole.core.mail.model import Protection

    app = Context.open(demo_store)
    message = next(m for m in app.store.iter_messages() if app.decide(m).allowed)
    run = {
        "revoke": lambda: set_ome_message_revocation(app, message.message_id),
        "send": lambda: send_message(app, sender="megan.bowen@contoso.com", recipients=["bob.kelly@gmail.com"], subject="s",
                                 body="b", protection=Protection.ENCRYPT_ONLY, template="Contoso Secure"),
        "rotate": lambda: KeyManager(app).rotate(),
        "request": lambda: ElevatedAccess(app).request("Ticket 1: failing closed", parse_duration("1h")),
    }[action]
    before = {p: p.read_bytes() for p in demo_store.rglob("*") if p.is_file() and p.name != "store.lock"}
    real_write = os.write

    def full_disk(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith("audit.jsonl"):
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(StoreError, match="cannot write the audit log .*No space left on device"):
        run()
    monkeypatch.undo()
    after = {p: p.read_bytes() for p in demo_store.rglob("*") if p.is_file() and p.name != "store.lock"}
    assert after == before


def test_refused_revokes_are_audited_with_their_reasons(demo_store):
    app = Context.open(demo_store, "lynne.robbins@contoso.com")
    message = next(m for m in app.store.iter_messages() if app.decide(m).is_revocable)
    with pytest.raises(Refused):
        set_ome_message_revocation(app, message.message_id)
    last = AuditTrail(Context.open(demo_store)).entries()[-1]
    assert (last.actor, last.action, last.outcome) == ("lynne.robbins@contoso.com", "revoke", "refused")
    assert "helpdesk" in last.detail and last.target == message.message_id


def test_a_disk_that_takes_half_a_line_leaves_the_log_as_it_was(log, monkeypatch):
    """A full disk can take part of an entry; the log is cut back, so later changes are not blocked."""
    before = log.path.read_bytes()
    real_write = os.write

    def half(fd, data):
        return real_write(fd, data[: len(data) // 2])

    monkeypatch.setattr(os, "write", half)
    with pytest.raises(StoreError, match="cannot write the audit log"):
        _append(log, 1)
    monkeypatch.undo()
    assert log.path.read_bytes() == before
    _append(log, 1)
    assert log.entries()[-1].seq == len(log.entries())
