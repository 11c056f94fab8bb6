"""A process that sends and revokes in a loop, printing each acknowledged change.

Used by test_store.py, which kills it with SIGKILL at random points.
"""

import sys
from pathlib import Path

from omeconsole.core.errors import OmeError
from omeconsole.core.model import Protection
from omeconsole.core.services import Console

store, start = Path(sys.argv[1]), int(sys.argv[2])
app = Console.open(store)
for n in range(start, start + 100_000):
    message = app.send(sender="megan.bowen@contoso.com", recipients=["bob.kelly@gmail.com"], subject=f"Kill test {n}",
                       body=f"secret body {n}", protection=Protection.DO_NOT_FORWARD, template="Contoso Secure")
    print(f"sent {message.message_id}", flush=True)
    if n % 3 == 0:
        try:
            app.revoke(message.message_id)
        except OmeError as error:
            print(f"error {error}", flush=True)
            raise
        print(f"revoked {message.message_id}", flush=True)
