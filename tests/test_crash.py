"""SIGKILL at random points during sends, revokes, rotations, rewraps and imports.

After every kill the store opens, every acknowledged change is there, nothing half-written is
visible (a revoked message's content key is gone, and only then; every live message still opens
for its recipient), and `audit verify` passes. OMECONSOLE_CRASH_KILLS sets how many kills
(200 by default, the CI setting; the README quotes a longer local run).
"""

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

from support.cli import clean_env
from support.paths import SUPPORT
from omeconsole.core.audit.trail import AuditTrail
from omeconsole.core.dkm.key_manager import KeyManager
from omeconsole.core.context import Context
from omeconsole.core.ome.portal import open_in_portal
from omeconsole.core.ome.status import get_ome_message_status

KILLS = int(os.environ.get("OMECONSOLE_CRASH_KILLS", "200"))
RECIPIENT = "bob.kelly@gmail.com"


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
