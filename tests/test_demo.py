"""The demo tenant covers every case in domain.md."""

import json
from collections import Counter
from datetime import timedelta

from omeconsole.core.demo import mail
from omeconsole.core.demo.contoso import create_demo
from omeconsole.core.encryption_report.report import get_encryption_report
from omeconsole.core.store.files import read_bytes
from omeconsole.core.store.store import Store
from support.clock import Clock, utc
from test_report_counts import full_count

from omeconsole.core.mail.model import EncryptionMethod, Protection, TraceStatus
from omeconsole.core.context import Context
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE, Experience


def test_the_demo_covers_every_case(demo_store):
    app = Context.open(demo_store)
    messages = list(app.store.iter_messages())
    assert len(messages) == 120
    recipients = [r for m in messages for r in m.recipients]
    assert {r.status for r in recipients} == set(TraceStatus)
    assert {r.experience for r in recipients} >= {Experience.NATIVE, Experience.LINK_BASED}
    assert any(len(m.recipients) > 1 and len({r.experience for r in m.recipients}) == 2 for m in messages)
    assert {m.protection for m in messages} == set(Protection)
    assert {m.method for m in messages if m.is_encrypted} == set(EncryptionMethod)
    templates = Counter(m.template for m in messages if m.is_encrypted)
    assert templates[DEFAULT_TEMPLATE] and len(templates) >= 3
    now = app.clock()
    assert any(m.is_expired(now) for m in messages) and any(m.expires_at and not m.is_expired(now) for m in messages)
    revoked = [m for m in messages if m.revocation]
    assert {m.revocation.as_role for m in revoked} == {"admin", "sender"}
    decisions = Counter(app.decide(m).is_revocable for m in messages)
    assert decisions[True] and decisions[False]
    assert min(m.received for m in messages) > now - timedelta(days=91)


def test_the_same_seed_gives_the_same_messages(tmp_path):
    from omeconsole.core.demo.contoso import create_demo

    ids = []
    for name in ("a", "b"):
        create_demo(tmp_path / name, messages=30, seed=5)
        ids.append(sorted(m.message_id for m in Context.open(tmp_path / name).store.iter_messages()))
    assert ids[0] == ids[1]


def test_a_demo_made_in_many_chunks_and_spilled_is_the_store_a_reindex_makes(tmp_path, monkeypatch):
    """Several chunks in worker processes, spilled to disk, the store files made from the spill in buckets: every message is filed
    where a reindex files it, the report's counts equal a full count, and no spill is left behind."""
    monkeypatch.setattr(mail, "CHUNK", 70)
    monkeypatch.setattr(mail, "BUCKETS", 3)  # several store files to a spill file
    root = tmp_path / "store"
    now = utc(2026, 11, 20, 12)
    create_demo(root, messages=400, seed=9, now=now)
    assert [p.name for p in root.iterdir() if p.name.startswith(".demo")] == []
    context = Context.open(root, clock=Clock(now))
    assert sum(1 for _ in context.store.iter_messages()) == 400
    files = {p.relative_to(root): json.loads(read_bytes(p)) for p in (root / "index").rglob("*.json")}
    Store.open(root).reindex()
    assert {p.relative_to(root): json.loads(read_bytes(p)) for p in (root / "index").rglob("*.json")} == files
    assert get_encryption_report(context).summary == full_count(context, None, None)


def _stored(root):
    """The store's mail files, parsed, without what is random on every run (content keys and ciphertext)."""
    files = {}
    for path in sorted(p for sub in ("messages", "datakeys", "index") for p in (root / sub).rglob("*.json")):
        data = json.loads(read_bytes(path))
        for table in ("messages", "datakeys") if path.parent.name in ("messages", "datakeys") else ():
            for doc in data.get(table, {}).values():
                for secret in ("content", "nonce", "wrapped_key"):
                    doc.pop(secret, None)
        files[path.relative_to(root)] = data
    return files


def test_worker_processes_make_the_store_one_process_makes(tmp_path, monkeypatch):
    """The same chunks made and written in worker processes or here, store file for store file and
    document for document (in the same order, with the same TinyDB IDs)."""
    monkeypatch.setattr(mail, "CHUNK", 90)
    monkeypatch.setattr(mail, "BUCKETS", 4)
    now = utc(2026, 11, 20, 12)
    monkeypatch.setattr(mail, "MAX_WORKERS", 1)
    create_demo(tmp_path / "one", messages=300, seed=3, now=now)
    monkeypatch.setattr(mail, "MAX_WORKERS", 2)
    monkeypatch.setattr(mail.os, "cpu_count", lambda: 2)
    create_demo(tmp_path / "two", messages=300, seed=3, now=now)
    one, two = _stored(tmp_path / "one"), _stored(tmp_path / "two")
    assert len(one) > 20 and one == two
    shards = [path for path in one if path.parent.name == "messages"]
    assert [list(one[path]["messages"].values()) for path in shards] == \
        [list(two[path]["messages"].values()) for path in shards]
