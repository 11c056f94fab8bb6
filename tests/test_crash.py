"""SIGKILL at random points during sends, revokes, rotations, rewraps and imports.

After every kill the store opens, every acknowledged change is there, nothing half-written is
visible (a revoked message's content key is gone, and only then; every live message still opens
for its recipient), and `audit verify` passes. OMECONSOLE_CRASH_KILLS sets how many kills
(200 by default, the CI setting; the README quotes a longer local run).
"""

import asyncio
import email
import email.policy
import os
import random
import signal
import smtplib
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from support.cli import OMECONSOLE, clean_env
from support.paths import SUPPORT
from support.waiting import within

from omeconsole.core.audit.trail import AuditTrail
from omeconsole.core.context import Context
from omeconsole.core.dkm.key_manager import KeyManager
from omeconsole.core.ome.portal import open_in_portal
from omeconsole.core.ome.status import get_ome_message_status

KILLS = int(os.environ.get("OMECONSOLE_CRASH_KILLS", "200"))
SMTP_KILLS = max(3, KILLS // 20)  # each starts a server: fewer, and each lands among many sends
RECIPIENT = "bob.kelly@gmail.com"
SENDER = "megan.bowen@contoso.com"
NATIVE = "alex.wilber@contoso.com"


class Acknowledged:
    """Every change a worker printed as done, in all rounds."""

    def __init__(self):
        self.sent: dict[str, int] = {}
        self.revoked: set[str] = set()
        self.imported: set[str] = set()
        self.primary_at_least = 1
        self.rewrapped_to = 0
        self.kinds = Counter()

    def take(self, line: str) -> None:
        _, kind, *detail = line.split()
        self.kinds[kind] += 1
        if kind == "send":
            self.sent[detail[0]] = int(detail[1])
        elif kind == "revoke":
            self.revoked.add(detail[0])
        elif kind == "rotate":
            self.primary_at_least = max(self.primary_at_least, int(detail[0]))
        elif kind == "rewrap":
            self.rewrapped_to = max(self.rewrapped_to, int(detail[0]))
        else:
            self.imported.update(detail)


def kill_at_random(store, acked: Acknowledged, rng: random.Random, round_number: int) -> None:
    env = clean_env()
    worker = subprocess.Popen([sys.executable, str(SUPPORT / "crash_worker.py"), str(store), "0",
                               str(round_number)], stdout=subprocess.PIPE, text=True, env=env)
    for _ in range(rng.randrange(0, 6)):
        line = worker.stdout.readline()
        assert line.startswith("ack "), line
        acked.take(line)
    time.sleep(rng.random() * 0.03)  # lands the kill part-way into the next change, or its start-up
    worker.send_signal(signal.SIGKILL)
    for line in worker.stdout:  # printed before the kill landed: acknowledged too
        acked.take(line)
    worker.wait()
    worker.stdout.close()


def check_everything_acknowledged_is_there(store, acked: Acknowledged) -> None:
    app = Context.open(store)
    stored = {m.message_id: m for m in app.store.iter_messages()}  # one pass, not a lookup per message
    held = set(app.store.with_data_keys(list(acked.sent))) - app.store.keys_awaiting_destruction()
    for message_id in acked.sent:
        revoked = stored[message_id].revocation is not None
        assert (message_id in held) is not revoked, (message_id, revoked)  # key gone exactly when revoked
        if message_id in acked.revoked:
            assert revoked, message_id
    assert acked.imported <= set(stored)
    for message_id in list(acked.sent)[-2:] + list(acked.imported)[-2:]:
        assert get_ome_message_status(app, message_id).message.message_id == message_id  # and through the service
    keyring = app.keyring()
    assert keyring.primary.version >= acked.primary_at_least
    wrapped = KeyManager(app).count_wrapped()
    assert not [v for v in wrapped if v < acked.rewrapped_to], (wrapped, acked.rewrapped_to)
    recipient = Context.open(store, RECIPIENT)
    live = [m for m in acked.sent if m not in acked.revoked][-3:]
    for message_id in live:
        view = open_in_portal(recipient, message_id, RECIPIENT)
        assert view.state == "revoked" or view.body == f"secret body {acked.sent[message_id]}"
    verification = AuditTrail(app).verify()
    assert verification.ok, verification.to_record()


def test_killed_at_random_points_nothing_acknowledged_is_lost(demo_store):
    rng = random.Random(2026)
    acked = Acknowledged()
    for round_number in range(1, KILLS + 1):
        kill_at_random(demo_store, acked, rng, round_number)
        check_everything_acknowledged_is_there(demo_store, acked)
    print(f"\n{KILLS} kills survived; acknowledged: {dict(acked.kinds)}")
    assert set(acked.kinds) == {"send", "revoke", "rotate", "rewrap", "import"} or KILLS < 20


# -- serve mail: SIGKILL while SMTP clients send and the queue delivers into a drop folder --------------

def start_serve_mail(store: Path, drop: Path) -> tuple[subprocess.Popen, int]:
    server = subprocess.Popen([*OMECONSOLE, "--store", str(store), "serve", "mail", "--listen", "127.0.0.1:0",
                               "--drop-dir", str(drop), "--portal-url", "http://127.0.0.1:8080"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
                              env=clean_env())
    for line in server.stdout:
        if line.startswith("Listening on 127.0.0.1:"):
            return server, int(line.split()[2].split(":")[1])
    raise AssertionError("serve mail did not start")


def smtp_mail(message_id: str) -> bytes:
    return (f"From: {SENDER}\r\nTo: {RECIPIENT}, {NATIVE}\r\nSubject: Crash over SMTP\r\n"
            f"X-OME-Encrypt: encrypt-only\r\nMessage-ID: {message_id}\r\n\r\nsecret body {message_id}\r\n").encode()


def send_until_killed(port: int, round_number: int, acked: list[str]) -> None:
    """Sends over one connection until the server is gone; ACKED gains each Message-ID answered 250."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            for n in range(10_000):
                message_id = f"<crash-{round_number}-{n}@megan.contoso.com>"
                client.sendmail(SENDER, [RECIPIENT, NATIVE], smtp_mail(message_id))
                acked.append(message_id)
    except (OSError, smtplib.SMTPException):
        pass  # killed: what was not answered 250 may or may not be there


def check_acknowledged_mail_is_kept(store: Path, acked: list[str]) -> None:
    app = Context.open(store)
    queued = {(doc["message_id"], r) for _, doc in app.store.queued()[0] for r in doc["recipients"]}
    for message_id in acked:
        message = app.store.get_message(message_id)
        assert message is not None, message_id
        for row in message.recipients:  # delivered, or still queued for delivery
            assert row.status.value == "Delivered" or (message_id, row.address) in queued, (message_id, row)


async def queue_emptied(store: Path) -> None:
    while Context.open(store).store.queued()[0]:
        await asyncio.sleep(0.05)


def test_a_killed_serve_mail_loses_no_acknowledged_message(demo_store, tmp_path):
    rng = random.Random(2027)
    drop, acked = tmp_path / "drop", []
    for round_number in range(SMTP_KILLS):
        server, port = start_serve_mail(demo_store, drop)
        threading.Timer(rng.random() * 0.6, server.kill).start()  # lands among sends, accepts and deliveries
        send_until_killed(port, round_number, acked)
        server.wait()
        server.stdout.close()
        check_acknowledged_mail_is_kept(demo_store, acked)
    server, port = start_serve_mail(demo_store, drop)  # a restart resumes the queue: each delivered once
    try:
        asyncio.run(within(60, queue_emptied(demo_store), "the restarted serve mail delivering its whole queue"))
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    dropped = Counter(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Message-ID"]
                      for p in drop.glob("*.eml"))
    assert all(dropped[message_id] == 2 for message_id in acked), dropped  # native copy and wrapper, once each
    assert all(count == 2 for count in dropped.values())
    recipient = Context.open(demo_store, RECIPIENT)
    view = open_in_portal(recipient, acked[-1], RECIPIENT)
    assert view.content["body"].strip() == f"secret body {acked[-1]}"
    assert AuditTrail(Context.open(demo_store)).verify().ok
    print(f"\n{SMTP_KILLS} kills of serve mail survived; {len(acked)} SMTP sends acknowledged")
