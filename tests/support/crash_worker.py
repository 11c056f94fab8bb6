"""A process that changes the store in a loop, printing each change once it is acknowledged.

Used by test_crash.py, which kills it with SIGKILL at random points. Each line is
`ack KIND DETAIL`; a change not yet printed may or may not have happened, one printed must have.
"""

import random
import sys
from pathlib import Path

from omeconsole.core.message_trace.importing import TraceImport
from omeconsole.core.dkm.key_manager import KeyManager
from omeconsole.core.mail.model import Protection
from omeconsole.core.context import Context
from omeconsole.core.mail.send import send_message
from omeconsole.core.ome.revocation import set_ome_message_revocation

ROW = ('"outlook.office365.com","6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b","False","contoso.onmicrosoft.com",'
       '"{mid}","11/20/2026 3:04:05 PM","megan.bowen@contoso.com","{to}","Imported {n}","Delivered","203.0.113.7",'
       '"192.0.2.10","2345","","11/13/2026 12:00:00 AM","11/22/2026 12:00:00 AM","0"')
HEADER = ('"PSComputerName","RunspaceId","PSShowComputerName","Organization","MessageId","Received","SenderAddress",'
          '"RecipientAddress","Subject","Status","ToIP","FromIP","Size","MessageTraceId","StartDate","EndDate","Index"')


def ack(kind: str, detail) -> None:
    print(f"ack {kind} {detail}", flush=True)


def main(store: Path, worker: int, seed: int) -> None:
    rng = random.Random(seed)
    app = Context.open(store)
    keys = KeyManager(app)
    mine: list[str] = []
    for n in range(seed * 1000, seed * 1000 + 1000):
        kind = rng.choices(["send", "revoke", "rotate", "rewrap", "import"], [5, 3, 1, 1, 2])[0]
        if kind == "send" or (kind == "revoke" and not mine):
            message = send_message(app, sender="megan.bowen@contoso.com", recipients=["bob.kelly@gmail.com"],
                               subject=f"Crash {worker}-{n}", body=f"secret body {n}",
                               protection=Protection.DO_NOT_FORWARD, template="Contoso Secure")
            mine.append(message.message_id)
            ack("send", f"{message.message_id} {n}")
        elif kind == "revoke":
            message_id = mine.pop(rng.randrange(len(mine)))
            set_ome_message_revocation(app, message_id)
            ack("revoke", message_id)
        elif kind == "rotate":
            ack("rotate", keys.rotate().version)
        elif kind == "rewrap":
            keys.rewrap()
            ack("rewrap", Context.open(store).keyring().primary.version)
        else:
            ids = [f"<CRASH{seed}X{n}Y{i}@crash.example>" for i in range(2)]
            path = store.parent / f"import-{seed}-{n}.csv"
            path.write_text(HEADER + "\n" + "\n".join(ROW.format(mid=m, to="ana.lopez@outlook.com", n=n) for m in ids))
            TraceImport(app).import_file(path)
            ack("import", " ".join(ids))


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
