"""The trace index returns exactly what a brute-force scan of every shard returns:
every query type, as every kind of identity, after sends, imports and revokes, and after
a crash in the middle of an index change."""

import csv
import json
import random
import uuid
from datetime import timedelta

import pytest
from support.clock import Clock, utc
from support.decisions import status_word

from omeconsole.core.context import Context
from omeconsole.core.demo.contoso import ADMINS, HELPDESK, LINK_BASED, NATIVE_EXTERNAL, USERS, create_demo
from omeconsole.core.encryption_report.report import get_encryption_report
from omeconsole.core.errors import Refused
from omeconsole.core.mail.model import Protection, TraceStatus
from omeconsole.core.mail.send import send_message
from omeconsole.core.message_trace.importing import TraceImport
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.message_trace.search import get_message_trace
from omeconsole.core.ome.revocation import set_ome_message_revocation
from omeconsole.core.rules import can_read
from omeconsole.core.store.files import read_bytes
from omeconsole.core.store.store import Store
from omeconsole.core.store.trace_index import TraceIndex
from omeconsole.core.text.addresses import AddressPattern

NOW = utc(2026, 11, 20, 12)
ADDRESSES = USERS + LINK_BASED + NATIVE_EXTERNAL + ("nobody@contoso.com",)
DOMAINS = ("contoso.com", "gmail.com", "fabrikam.com", "yahoo.com", "example.org")


def brute_force(console: Context, query: TraceQuery) -> list[dict]:
    """Every shard, every message, the query's own filters: what the index must equal."""
    rows = [(m, r) for m in console.store.iter_messages() if can_read(console.actor, m)
            and query.matches_message(m) for r in m.recipients if query.matches_recipient(r, m)]
    if query.message_id:
        rows = [(m, r) for m, r in rows if m.message_id == query.message_id]
    rows.sort(key=lambda mr: (mr[1].received or mr[0].received, mr[0].message_id, mr[1].address), reverse=True)
    return [trace_record(m, r) for m, r in rows]


def trace_record(message, recipient) -> dict:
    return {"id": message.message_id, "to": recipient.address, "status": recipient.status.value,
            "received": recipient.received or message.received, "subject": message.subject,
            "trace_id": recipient.trace_id or message.trace_id}


def random_pattern(rng: random.Random) -> AddressPattern:
    if rng.random() < 0.3:
        return AddressPattern("*@" + rng.choice(DOMAINS))
    return AddressPattern(rng.choice(ADDRESSES + ADMINS))


def random_query(rng: random.Random, message_ids: list[str], trace_ids: list[str] = ()) -> TraceQuery:
    query = TraceQuery()
    if trace_ids and rng.random() < 0.15:
        query.trace_ids = rng.sample(trace_ids, rng.choice((1, 2)))
    if rng.random() < 0.4:
        query.senders = [random_pattern(rng) for _ in range(rng.choice((1, 1, 2)))]
    if rng.random() < 0.4:
        query.recipients = [random_pattern(rng) for _ in range(rng.choice((1, 1, 2)))]
    if rng.random() < 0.5:
        query.start = NOW - timedelta(days=rng.uniform(0, 95), seconds=rng.randrange(86400))
    if rng.random() < 0.3:
        query.end = NOW - timedelta(days=rng.uniform(0, 60))
    if rng.random() < 0.25:
        query.statuses = rng.sample(list(TraceStatus), rng.choice((1, 2)))
    if message_ids and rng.random() < 0.1:
        query.message_id = rng.choice(message_ids)
    if rng.random() < 0.15:
        query.subject, query.subject_filter = rng.choice(("Invoice", "review", "Q3", "x")), rng.choice(
            ("contains", "startswith", "endswith"))
    query.encrypted_only = rng.random() < 0.2
    return query


def write_import(path, rng: random.Random, rows: range, senders: dict) -> None:
    """An Export-Csv file: messages the store never saw, and more recipients for imported messages,
    of this file and of an earlier one (an import never adds recipients to a message of the store's
    own mail flow). Odd rows add to an earlier even row's message, one in two of them as a bifurcated copy
    (another MessageTraceId, its own Received time); senders: message -> its sender."""
    names = ["Received", "SenderAddress", "RecipientAddress", "Subject", "Status", "ToIP", "FromIP", "Size",
             "MessageId", "MessageTraceId"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, names, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        for n in rows:
            first = rng.randrange(n // 2 + 1) * 2 if n % 2 else n
            senders.setdefault(first, rng.choice(USERS))
            when = NOW - timedelta(days=rng.randrange(90), seconds=rng.randrange(86400))
            writer.writerow({
                "Received": when.strftime("%m/%d/%Y %I:%M:%S %p"), "SenderAddress": senders[first],
                "RecipientAddress": f"new{n}@{rng.choice(DOMAINS)}", "Subject": f"Imported {first}",
                "Status": rng.choice(["Delivered", "Failed", "Pending"]), "ToIP": "", "FromIP": "192.0.2.9",
                "Size": "1234", "MessageId": f"<IMPORT{first}@example.org>",
                "MessageTraceId": str(uuid.UUID(int=rng.getrandbits(128))) if n % 4 == 3 else "",
            })


@pytest.fixture(scope="module")
def busy_store(tmp_path_factory):
    """A demo store after random sends (on every day of 90), an import and revokes."""
    root = tmp_path_factory.mktemp("busy") / "store"
    create_demo(root, messages=200, seed=5, now=NOW)
    rng = random.Random(99)
    admin = Context.open(root, ADMINS[0], clock=Clock(NOW))
    for n in range(60):
        sender = rng.choice(USERS)
        protection = rng.choice(list(Protection))
        send_message(admin, sender=sender, recipients=rng.sample(ADDRESSES, rng.choice((1, 2, 3))), subject=f"Random {n} review",
                   body="b", protection=protection, template="Contoso Secure" if protection is not Protection.NONE
                   else None, received=NOW - timedelta(days=rng.randrange(92), seconds=rng.randrange(86400)))
    senders = {}
    for number, rows in enumerate((range(20), range(20, 40))):
        write_import(root.parent / f"export{number}.csv", rng, rows, senders)
        result = TraceImport(admin).import_file(root.parent / f"export{number}.csv")
        assert result.rows_added == 20 and result.messages_added == 10 and not result.rows_rejected
    revocable = [m.message_id for m in admin.store.iter_messages() if admin.decide(m).allowed]
    for message_id in rng.sample(revocable, 8):
        set_ome_message_revocation(admin, message_id)
    return root


@pytest.mark.parametrize("identity", [ADMINS[0], HELPDESK[0], USERS[0], USERS[3], "stranger@gmail.com"])
def test_every_query_equals_a_full_scan(busy_store, identity):
    console = Context.open(busy_store, identity, clock=Clock(NOW))
    messages = list(console.store.iter_messages())
    message_ids = [m.message_id for m in messages]
    copies = [r.trace_id for m in messages for r in m.recipients if r.trace_id]
    assert copies  # the imports made bifurcated copies
    trace_ids = [m.trace_id for m in messages] + copies * 10
    rng = random.Random(identity)
    for _ in range(60):
        query = random_query(rng, message_ids, trace_ids)
        expected = brute_force(console, query)
        if console.actor.role is None:
            with pytest.raises(Refused):
                get_message_trace(console, query)
            continue
        got = [trace_record(r.message, r.recipient) for r in get_message_trace(console, query).rows]
        assert got == expected, query


def test_a_limited_trace_is_the_newest_rows_of_the_full_one(busy_store):
    console = Context.open(busy_store, clock=Clock(NOW))
    rng = random.Random(3)
    for _ in range(30):
        query = random_query(rng, [])
        limit = rng.choice((1, 5, 40, 200))
        full = brute_force(console, query)
        result = get_message_trace(console, query, limit=limit)
        assert [trace_record(r.message, r.recipient) for r in result.rows] == full[:limit]
        assert result.truncated == (len(full) > limit)


def test_the_report_equals_a_full_scan(busy_store):
    console = Context.open(busy_store, USERS[1], clock=Clock(NOW))
    for start in (None, NOW - timedelta(days=7), NOW - timedelta(days=45)):
        expected = sorted(((m.message_id, r.address, status_word(console.decide(m)))
                           for m in console.store.iter_messages() if m.is_encrypted and can_read(console.actor, m)
                           and (start is None or m.received >= start) for r in m.recipients), reverse=True)
        got = sorted(((row.message.message_id, row.recipient.address, row.revocation_status)
                      for row in get_encryption_report(console, start=start).rows), reverse=True)
        assert got == expected and got


def test_a_limited_report_keeps_the_newest_rows_and_counts_them_all(busy_store):
    console = Context.open(busy_store, clock=Clock(NOW))
    full = get_encryption_report(console)
    for limit in (1, 7, 50, len(full.rows), len(full.rows) + 1):
        limited = get_encryption_report(console, limit=limit)
        assert [(r.message.message_id, r.recipient.address) for r in limited.rows] == [
            (r.message.message_id, r.recipient.address) for r in full.rows[:limit]]
        assert limited.summary == full.summary
        assert limited.truncated == (len(full.rows) > limit)


def test_a_partition_of_the_one_line_layout_is_rewritten_entry_by_entry_into_the_line_layout(demo_store):
    """Stores written before the line layout hold each partition on one line: a change reads it item by item
    and writes it one entry per line, and searches answer as before, before and after."""
    index = TraceIndex(demo_store)
    days = sorted((demo_store / "index" / "days").glob("*.json"))
    for path in days:
        path.write_text(json.dumps({"entries": index.read(f"days/{path.stem}")}))  # the old layout
    console = Context.open(demo_store, ADMINS[0], clock=Clock(NOW))
    query = TraceQuery(start=NOW - timedelta(days=100))
    before = [trace_record(r.message, r.recipient) for r in get_message_trace(console, query).rows]
    assert before == brute_force(console, query)
    # the newest day with two entries or more: taking one away must leave a partition (the demo is made
    # at the real time, so just after midnight UTC today's partition may hold one message)
    newest = next(path for path in reversed(days) if len(index.read(f"days/{path.stem}")) >= 2)
    old_entries = index.read(f"days/{newest.stem}")
    victim = next(iter(old_entries))
    index.rewrite(f"days/{newest.stem}", {victim}, {})
    assert newest.read_bytes().startswith(b'{"entries":{\n') and newest.read_bytes().count(b"\n") == len(old_entries) + 1
    assert index.read(f"days/{newest.stem}") == {k: v for k, v in old_entries.items() if k != victim}
    index.rewrite(f"days/{newest.stem}", set(), {victim: old_entries[victim]})
    assert index.read(f"days/{newest.stem}") == old_entries
    assert [trace_record(r.message, r.recipient) for r in get_message_trace(console, query).rows] == before


def test_a_crash_inside_an_index_change_hides_nothing_and_the_next_change_mends_it(demo_store, monkeypatch):
    console = Context.open(demo_store, ADMINS[0], clock=Clock(NOW))
    calls = []

    def crash_after_one(self, keys, message_ids, current):
        calls.append(keys)
        raise KeyboardInterrupt  # stands in for SIGKILL after pending.json and the shards were written

    monkeypatch.setattr(TraceIndex, "apply", crash_after_one)
    with pytest.raises(KeyboardInterrupt):
        send_message(console, sender=USERS[0], recipients=["fresh.face@example.org"], subject="Sent before the crash",
                     body="b", received=NOW - timedelta(days=3))
    monkeypatch.undo()
    assert (demo_store / "index" / "pending.json").exists()

    reader = Context.open(demo_store, ADMINS[0], clock=Clock(NOW))
    for query in (TraceQuery(), TraceQuery(recipients=[AddressPattern("fresh.face@example.org")]),
                  TraceQuery(senders=[AddressPattern(USERS[0])])):
        got = [trace_record(r.message, r.recipient) for r in get_message_trace(reader, query).rows]
        assert got == brute_force(reader, query)
    assert any(row.message.subject == "Sent before the crash" for row in get_message_trace(reader, TraceQuery()).rows)

    send_message(reader, sender=USERS[1], recipients=[LINK_BASED[0]], subject="After", body="b")
    assert not (demo_store / "index" / "pending.json").exists()
    before = {p.relative_to(demo_store): json.loads(read_bytes(p)) for p in (demo_store / "index").rglob("*.json")}
    Store.open(demo_store).reindex()
    after = {p.relative_to(demo_store): json.loads(read_bytes(p)) for p in (demo_store / "index").rglob("*.json")}
    assert before == after
