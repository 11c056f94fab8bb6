"""`omeconsole serve web`: the console in a browser (textual-serve), for demos on this machine.

The browser door has no sign-in of its own: whoever reaches the page acts as the one identity it
was started with. So it listens on loopback unless told, in so many words, to do otherwise.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from omeconsole.core.errors import UsageError
from omeconsole.serve.listen import is_loopback, parse_listen, shown


def web_command(store: Path, identity: str) -> str:
    """The command textual-serve runs (through a shell) for each browser tab."""
    return shlex.join([sys.executable, "-P", "-m", "omeconsole", "--store", str(store), "--as", identity])


def check_web_listen(listen: str, allow_remote: bool) -> tuple[str, int]:
    host, port = parse_listen(listen)
    if port == 0:
        raise UsageError("serve web needs a fixed port (the page links back to it), like 127.0.0.1:8000")
    if not is_loopback(host) and not allow_remote:
        raise UsageError(f"{host} is not a loopback address and the browser door has no sign-in of its own; "
                         "anyone who reaches it would act as the console's identity. Listen on 127.0.0.1, "
                         "or add --allow-remote if that is really meant")
    return host, port


def serve_web(store: Path, identity: str, label: str, host: str, port: int, say: Callable[[str], None]) -> int:
    """Serve until stopped. The address was checked with check_web_listen."""
    from textual_serve.server import Server

    server = Server(web_command(store, identity), host=host, port=port, title="omeconsole")
    say(f"omeconsole in a browser: http://{shown(host, port)}  (store {store})")
    say(f"This door has no sign-in of its own: whoever opens the page acts as {label}. Stop with ctrl+c.")
    server.serve()
    return 0
