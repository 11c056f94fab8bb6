import json
import os

import pytest

from omeconsole.core.audit import AuditLog
from omeconsole.core.errors import Refused, StoreDamaged, StoreError
from omeconsole.core.keys import ContentKeys
from omeconsole.core.services import Console


@pytest.fixture
def keys(tmp_path):
    k = ContentKeys(tmp_path)
    k.create()
    return k


def test_content_round_trips_and_each_message_has_its_own_data_key(keys):
    sealed_a, wrapped_a = keys.seal("<a@x.com>", b"hello")
    sealed_b, wrapped_b = keys.seal("<b@x.com>", b"hello")
    assert keys.open("<a@x.com>", sealed_a, wrapped_a) == b"hello"
    assert wrapped_a["wrapped_key"] != wrapped_b["wrapped_key"]
    assert sealed_a["ciphertext"] != sealed_b["ciphertext"]
    assert sealed_a["key_version"] == wrapped_a["key_version"] == 1


def test_the_message_id_is_bound_as_associated_data(keys):
    sealed, wrapped = keys.seal("<a@x.com>", b"hello")
    with pytest.raises(StoreError, match="does not open"):
        keys.open("<b@x.com>", sealed, wrapped)


def test_tampered_ciphertext_does_not_open(keys):
    sealed, wrapped = keys.seal("<a@x.com>", b"hello")
    sealed["ciphertext"] = sealed["ciphertext"][:-4] + ("AAAA" if not sealed["ciphertext"].endswith("AAAA") else "BBBB")
    with pytest.raises(StoreError):
        keys.open("<a@x.com>", sealed, wrapped)


def test_the_master_key_file_is_private_and_checked(keys):
    assert oct(keys.path.stat().st_mode & 0o777) == "0o600"
    sealed, wrapped = keys.seal("<a@x.com>", b"hello")
    os.chmod(keys.path, 0o644)
    with pytest.raises(StoreError, match="readable by others"):
        ContentKeys(keys.path.parent).open("<a@x.com>", sealed, wrapped)
    os.chmod(keys.path, 0o600)
    keys.path.write_bytes(b"short")
    with pytest.raises(StoreError, match="altered"):
        ContentKeys(keys.path.parent).open("<a@x.com>", sealed, wrapped)
    keys.path.unlink()
    with pytest.raises(StoreError, match="missing"):
        ContentKeys(keys.path.parent).open("<a@x.com>", sealed, wrapped)


def _append(log, n):
    for i in range(n):
        log.append(actor="a@contoso.com", role="global-admin", action="test", target=str(i), outcome="success")


def test_the_audit_log_is_hash_chained(tmp_path):
    log = AuditLog(tmp_path)
    _append(log, 3)
    entries = log.entries()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[1].prev == entries[0].hash and entries[2].prev == entries[1].hash


def test_an_edited_entry_is_detected(tmp_path):
    log = AuditLog(tmp_path)
    _append(log, 3)
    lines = log.path.read_text().splitlines()
    record = json.loads(lines[1])
    record["outcome"] = "refused"
    lines[1] = json.dumps(record, separators=(",", ":"))
    log.path.write_text("\n".join(lines) + "\n")
    with pytest.raises(StoreDamaged, match="line 2 does not match its hash"):
        log.entries()


def test_a_removed_entry_is_detected(tmp_path):
    log = AuditLog(tmp_path)
    _append(log, 3)
    lines = log.path.read_text().splitlines()
    log.path.write_text(lines[0] + "\n" + lines[2] + "\n")
    with pytest.raises(StoreDamaged, match="breaks the hash chain"):
        log.entries()


def test_a_torn_last_entry_stops_further_changes(tmp_path):
    log = AuditLog(tmp_path)
    _append(log, 1)
    with open(log.path, "ab") as handle:
        handle.write(b'{"seq":2,"ti')
    with pytest.raises(StoreDamaged, match="incomplete"):
        _append(log, 1)


def test_when_the_audit_log_cannot_be_written_the_revoke_does_not_happen(demo_store, monkeypatch):
    app = Console.open(demo_store)
    message = next(m for m in app.store.iter_messages() if app.decide(m).allowed)
    audit_before = (demo_store / "audit.jsonl").read_bytes()
    real_write = os.write

    def full_disk(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith("audit.jsonl"):
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(StoreError, match="cannot write the audit log .*No space left on device"):
        app.revoke(message.message_id)
    monkeypatch.undo()
    assert not app.status(message.message_id).decision.revoked
    assert (demo_store / "audit.jsonl").read_bytes() == audit_before


def test_refused_revokes_are_audited_with_their_reasons(demo_store):
    app = Console.open(demo_store, "lynne.robbins@contoso.com")
    message = next(m for m in app.store.iter_messages() if app.decide(m).is_revocable)
    with pytest.raises(Refused):
        app.revoke(message.message_id)
    last = Console.open(demo_store).audit_entries()[-1]
    assert (last.actor, last.action, last.outcome) == ("lynne.robbins@contoso.com", "revoke", "refused")
    assert "helpdesk" in last.detail and last.target == message.message_id
