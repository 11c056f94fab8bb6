"""Several processes revoking, sending, rotating and approving at once on one store, with the console
open in another: no lost update, no duplicated Message ID, the audit chain whole, and the final state
exactly the sum of the acknowledged operations."""

import asyncio
import subprocess
import sys
from collections import Counter

from support.cli import clean_env
from support.paths import SUPPORT
from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.core.audit.trail import AuditTrail
from omeconsole.core.dkm.access_request import parse_duration
from omeconsole.core.context import Context
from support.ssh import LocalConsole
from omeconsole.core.ome.portal import open_in_portal
from omeconsole.core.ome.status import get_ome_message_status

ADMIN, SECOND, THIRD = "admin@contoso.com", "alex.wilber@contoso.com", "isaiah.langer@contoso.com"
SENDS, ROTATIONS = 15, 4


def worker(store, role: str, identity: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(SUPPORT / "concurrent_worker.py"), str(store), role, identity,
                             *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=clean_env())


def acknowledged(outputs: list[str]) -> dict[str, list[str]]:
    done: dict[str, list[str]] = {}
    for line in "".join(outputs).splitlines():
        outcome, kind, detail = line.split(" ", 2)
        done.setdefault(f"{outcome} {kind}", []).append(detail)
    return done


async def test_many_writers_at_once_lose_nothing_and_duplicate_nothing(demo_store):
    app = Context.open(demo_store)
    before = [m.message_id for m in app.store.iter_messages()]
    revocable = [m for m in before if app.decide(app.load(m)).allowed]
    assert len(revocable) >= 6, len(revocable)
    own_a, own_b, contended = revocable[:2], revocable[2:4], revocable[4:6]
    first_version = app.keyring().primary.version
    pending = ElevatedAccess(app).request("Ticket 11: approvals at once", parse_duration("1h"))

    console = LocalConsole(demo_store, "lynne.robbins@contoso.com")
    await console.start()
    await console.shows("Message Trace", " of ")
    procs = [worker(demo_store, "revoke", ADMIN, *own_a, *contended),
             worker(demo_store, "revoke", SECOND, *own_b, *reversed(contended)),
             worker(demo_store, "send", "megan.bowen@contoso.com", str(SENDS)),
             worker(demo_store, "send", "diego.siciliani@contoso.com", str(SENDS)),
             worker(demo_store, "rotate", ADMIN, str(ROTATIONS)),
             worker(demo_store, "rotate", THIRD, str(ROTATIONS)),
             worker(demo_store, "approve", SECOND, pending.id),
             worker(demo_store, "approve", THIRD, pending.id)]
    results = await asyncio.gather(*(asyncio.to_thread(proc.communicate, "go\n", 180) for proc in procs))
    assert [proc.returncode for proc in procs] == [0] * len(procs), [err for _, err in results]
    console.process.write(b"\x0c")  # the console, open all along, still answers: ctrl+l opens the lookup
    await console.shows("Look up")
    console.process.write(b"\x1b\x11")
    assert await asyncio.wait_for(console.process.wait(), 60) == 0

    done = acknowledged([out for out, _ in results])
    print(f"\n{sum(map(len, done.values()))} operations by {len(procs)} processes at once: "
          + ", ".join(f"{len(v)} {k}" for k, v in sorted(done.items())))
    app = Context.open(demo_store)
    after = [m.message_id for m in app.store.iter_messages()]
    assert len(after) == len(set(after)), "a Message ID is duplicated"
    assert set(after) - set(before) == set(done["ack send"]) and len(done["ack send"]) == 2 * SENDS
    assert sorted(done["ack revoke"]) == sorted(own_a + own_b + contended)  # each contended one exactly once
    assert sorted(done["refused revoke"]) == sorted(contended)
    assert all(get_ome_message_status(app, m).decision.revoked for m in own_a + own_b + contended)

    versions = [v.version for v in app.keyring().versions]
    assert len(versions) == len(set(versions)) and max(versions) == first_version + 2 * ROTATIONS
    assert sorted(int(v) for v in done["ack rotate"]) == list(range(first_version + 1, max(versions) + 1))
    request = next(r for r in ElevatedAccess(app).list() if r.id == pending.id)
    assert {a.by for a in request.approvals} == {SECOND, THIRD} and request.granted_at is not None
    assert sorted(d.split()[1] for d in done["ack approve"]) == ["1", "2"]

    recipient = Context.open(demo_store, "bob.kelly@gmail.com")
    for message_id in done["ack send"]:
        assert open_in_portal(recipient, message_id, "bob.kelly@gmail.com").body.startswith("body ")
    assert AuditTrail(app).verify().ok
    entries = [e for e in AuditTrail(app).entries() if e.outcome == "success"]
    revokes = Counter(e.target for e in entries if e.action == "revoke")
    assert all(revokes[m] == 1 for m in own_a + own_b + contended)
    assert {e.target for e in entries if e.action == "send"} >= set(done["ack send"])
    assert len([e for e in entries if e.action == "keys rotate"]) == 2 * ROTATIONS
