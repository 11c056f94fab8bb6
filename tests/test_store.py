import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.cli import clean_env

from omeconsole.core.audit.trail import AuditTrail
from omeconsole.core.context import Context
from omeconsole.core.errors import StoreError
from omeconsole.core.mail.send import send_message
from omeconsole.core.ome.revocation import set_ome_message_revocation
from omeconsole.core.ome.status import get_ome_message_status
from omeconsole.core.store import files as storage
from omeconsole.core.store.files import read_bytes


def test_a_lookup_by_message_id_reads_one_shard_not_the_store(demo_store, monkeypatch):
    app = Context.open(demo_store)
    some_id = next(app.store.iter_messages()).message_id
    read = []
    real = storage.read_json
    monkeypatch.setattr(storage, "read_json", lambda path: read.append(Path(path)) or real(path))
    get_ome_message_status(app, some_id)
    message_files = [p for p in read if p.parent.name == "messages"]
    assert message_files == [demo_store / "messages" / f"{app.store.shard_of(some_id)}.json"]
    assert len(list((demo_store / "messages").glob("*.json"))) > 50


def test_changing_data_never_shares_a_file_with_message_data(demo_store):
    app = Context.open(demo_store)
    message = next(m for m in app.store.iter_messages() if app.decide(m).allowed)
    before = {p: p.read_bytes() for p in (demo_store / "messages").glob("*.json")}
    set_ome_message_revocation(app, message.message_id)
    assert before == {p: p.read_bytes() for p in (demo_store / "messages").glob("*.json")}


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "t.json"
    storage.write_atomic(target, b'{"a": 1}')

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(StoreError, match="No space left on device"):
        storage.write_atomic(target, b'{"a": 2}')
    assert target.read_bytes() == b'{"a": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]


def test_store_files_are_private(demo_store):
    for path in demo_store.rglob("*"):
        if path.is_file():
            assert path.stat().st_mode & 0o077 == 0, path


@pytest.mark.parametrize("name,content,problem", [
    ("tenant.json", b'{"settings": {"1": {"organization": "Contoso"', "not valid JSON"),
    ("tenant.json", b"", "the file is empty"),
    ("tenant.json", b'["not", "tables"]', "TinyDB tables"),
    ("tenant.json", b'{"settings": {"1": {"organization": "Contoso"}}}', "missing field"),
    ("revocations.json", b'{"revocations": {"1": {"message_id": "x"}}}', "missing field"),
    ("store.json", b'{"format": "something else"}', "not an omeconsole store"),
])
def test_a_damaged_file_is_named_and_left_untouched(demo_cli, demo_store, name, content, problem):
    (demo_store / name).write_bytes(content)
    result = demo_cli("report", check=1)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert str(demo_store / name) in result.stderr and problem in result.stderr
    assert "Traceback" not in result.stderr
    assert (demo_store / name).read_bytes() == content


def test_a_damaged_message_shard_is_reported_on_lookup(demo_cli, demo_store):
    app = Context.open(demo_store)
    message = next(app.store.iter_messages())
    shard = demo_store / "messages" / f"{app.store.shard_of(message.message_id)}.json"
    shard.write_bytes(read_bytes(shard)[:-40])  # its JSON cut short (written unpacked: a reader takes both)
    result = demo_cli("status", "--message-id", message.message_id, check=1)
    assert f"store file {shard} is damaged: not valid JSON" in result.stderr


def test_a_hand_edited_message_with_a_bad_value_is_reported(demo_cli, demo_store):
    app = Context.open(demo_store)
    message = next(app.store.iter_messages())
    shard = demo_store / "messages" / f"{app.store.shard_of(message.message_id)}.json"
    data = json.loads(read_bytes(shard))
    first = next(iter(data["messages"].values()))
    first["received"] = "yesterday"
    shard.write_text(json.dumps(data))
    result = demo_cli("trace", "--message-id", first["message_id"], check=1)
    assert str(shard) in result.stderr and "malformed" in result.stderr


def test_a_hand_edited_index_partition_is_reported_and_reindex_mends_it(demo_cli, demo_store):
    partition = sorted((demo_store / "index" / "days").glob("*.json"))[-1]
    data = json.loads(read_bytes(partition))
    next(iter(data["entries"].values()))["received"] = "yesterday"
    partition.write_text(json.dumps(data))
    result = demo_cli("trace", check=1)
    assert str(partition) in result.stderr and "malformed" in result.stderr
    assert partition.read_text() == json.dumps(data)  # reported, not rewritten
    partition.write_text("{not json")
    result = demo_cli("trace", check=1)
    assert str(partition) in result.stderr and "not valid JSON" in result.stderr
    assert demo_cli("reindex").stdout.strip() == "The trace index holds 120 messages"
    assert len(demo_cli("trace", "--json").stdout) > 1000


def test_reindex_mends_a_damaged_partition_that_a_crash_left_pending(demo_cli, demo_store):
    partition = sorted((demo_store / "index" / "days").glob("*.json"))[-1]
    message_id = next(iter(json.loads(read_bytes(partition))["entries"]))
    partition.write_text("{not json")
    (demo_store / "index" / "pending.json").write_text(json.dumps({message_id: [f"days/{partition.stem}"]}))
    result = demo_cli("send", "--from", "megan.bowen@contoso.com", "--to", "bob.kelly@gmail.com",
                      "--subject", "s", "--body", "b", check=1)
    assert str(partition) in result.stderr and len(result.stderr.splitlines()) == 1
    assert demo_cli("reindex").stdout.strip() == "The trace index holds 120 messages"
    assert not (demo_store / "index" / "pending.json").exists()
    assert message_id in demo_cli("trace", "--json").stdout


def test_a_missing_store_says_how_to_make_one(cli):
    result = cli("trace", check=1)
    assert "no omeconsole store" in result.stderr and "omeconsole demo" in result.stderr


def test_the_store_lock_serialises_writers(demo_store):
    """Two processes that each send 15 messages: all 30 land, each with its own audit entry."""
    code = ("import sys; from omeconsole.core.context import Context; from omeconsole.core.mail.send import send_message; app = Context.open(sys.argv[1]);\n"
            "[send_message(app, sender='lee.gu@contoso.com', recipients=['bob.kelly@gmail.com'], subject=f'p{i}', body='b')"
            " for i in range(15)]")
    procs = [subprocess.Popen([sys.executable, "-P", "-c", code, str(demo_store)], env=clean_env())
             for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    app = Context.open(demo_store)
    assert sum(1 for m in app.store.iter_messages() if m.sender == "lee.gu@contoso.com" and m.subject[1:].isdigit()
               and m.subject.startswith("p")) == 30
    assert sum(1 for e in AuditTrail(app).entries() if e.action == "send" and e.actor == "admin@contoso.com") >= 30


def test_a_revocation_cut_short_is_finished_by_the_next_change(demo_store, monkeypatch):
    """A crash between recording a revocation and destroying its content key: no reader sees the key
    as held, and the next writer destroys it."""
    from omeconsole.core.store.store import Store

    app = Context.open(demo_store)
    message = next(m for m in app.store.iter_messages() if app.decide(m).allowed)

    def crash(self, message_ids):
        raise KeyboardInterrupt  # as if killed here: the revocation is recorded, the key not yet destroyed

    monkeypatch.setattr(Store, "destroy_data_keys", crash)
    with pytest.raises(KeyboardInterrupt):
        set_ome_message_revocation(app, message.message_id)
    monkeypatch.undo()
    reader = Context.open(demo_store)
    assert reader.store.get_data_key(message.message_id) is not None  # still on disk...
    status = get_ome_message_status(reader, message.message_id)
    assert status.decision.revoked and status.content_key == "destroyed"  # ...but never shown or used as held
    send_message(reader, sender="megan.bowen@contoso.com", recipients=["bob.kelly@gmail.com"], subject="next", body="b")
    assert reader.store.get_data_key(message.message_id) is None
    assert not reader.store.revoking_path.exists()


def test_the_stores_json_is_the_standard_encoders():
    """dump_json (orjson) writes what json.dumps(ensure_ascii=False, compact) writes, text of every kind
    included; what orjson does not take (an integer beyond 64 bits, a key not a string) as json does."""
    doc = {"text": 'quote " backslash \\ nl \n tab \t nul \x00 \x1f del \x7f é \u2028 \U0001f600', "n": -2**63,
           "nested": [{"a": None, "b": True, "c": False, "d": []}, {}], "ascii": "plain"}
    for value in (doc, "x", 0, None, 2**64, {1: "one"}, [1.5, 0.1, -0.0]):
        assert storage.dump_json(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("value", [datetime(2026, 11, 20, tzinfo=UTC), {"at": datetime(2026, 11, 20)}])
def test_what_json_refuses_the_store_refuses(value):
    """A datetime in a document is a bug (the store writes times by format_iso): it fails as json.dumps
    fails, rather than being written in orjson's own shape."""
    with pytest.raises(TypeError):
        storage.dump_json(value)
