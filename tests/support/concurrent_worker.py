"""One of several processes changing one store at once (test_concurrency.py). It waits for `go` on
standard input, then prints `ack KIND DETAIL` for each change acknowledged and `refused KIND DETAIL`
for each one the rules turned down."""

import sys
from pathlib import Path

from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.core.errors import Refused
from omeconsole.core.dkm.key_manager import KeyManager
from omeconsole.core.mail.model import Protection
from omeconsole.core.context import Context
from omeconsole.core.mail.send import send_message
from omeconsole.core.ome.revocation import set_ome_message_revocation


def say(outcome: str, kind: str, detail) -> None:
    print(f"{outcome} {kind} {detail}", flush=True)


def revoker(app: Context, ids: list[str]) -> None:
    for message_id in ids:
        try:
            set_ome_message_revocation(app, message_id)
            say("ack", "revoke", message_id)
        except Refused:
            say("refused", "revoke", message_id)


def sender(app: Context, address: str, count: int) -> None:
    for n in range(count):
        message = send_message(app, sender=address, recipients=["bob.kelly@gmail.com", "ana.lopez@outlook.com"],
                           subject=f"Concurrent {address} {n}", body=f"body {n}",
                           protection=Protection.ENCRYPT_ONLY, template="Contoso Secure")
        say("ack", "send", message.message_id)


def rotator(app: Context, count: int) -> None:
    keys = KeyManager(app)
    for n in range(count):
        say("ack", "rotate", keys.rotate().version)
        if n == count // 2:
            keys.rewrap()
            say("ack", "rewrap", n)


def approver(app: Context, request_id: str) -> None:
    request = ElevatedAccess(app).approve(request_id)
    say("ack", "approve", f"{request.id} {len(request.approvals)}")


def main() -> None:
    store, role, identity, *rest = sys.argv[1:]
    app = Context.open(Path(store), identity)
    assert sys.stdin.readline().strip() == "go"
    if role == "revoke":
        revoker(app, rest)
    elif role == "send":
        sender(app, identity, int(rest[0]))
    elif role == "rotate":
        rotator(app, int(rest[0]))
    else:
        approver(app, rest[0])


if __name__ == "__main__":
    main()
