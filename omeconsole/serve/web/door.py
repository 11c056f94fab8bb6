"""`omeconsole serve web`: the console in a browser (textual-serve), for demos on this machine.

Whoever opens the page acts as the one identity the door was started with, so the page and its
WebSocket open only with the token in the URL printed at start (omeconsole.serve.web.door_key), at
most --max-sessions consoles run at once, and the door listens on loopback unless told, in so
many words, to do otherwise.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from omeconsole.core.errors import UsageError
from omeconsole.core.front_door import FrontDoorDesk
from omeconsole.core.text.untrusted import shown
from omeconsole.serve.listen import is_loopback, parse_listen
from omeconsole.serve.web.door_key import DoorKey

MAX_SESSIONS_CEILING = 100


def web_command(store: Path, identity: str) -> str:
    """The command textual-serve runs (through a shell) for each browser tab; `exec`, so the process
    the door stops (or kills, if it will not quit) is the console itself."""
    return "exec " + shlex.join([sys.executable, "-P", "-m", "omeconsole", "--store", str(store), "--as", identity])


def check_web_listen(listen: str, allow_remote: bool) -> tuple[str, int]:
    host, port = parse_listen(listen)
    if port == 0:
        raise UsageError("serve web needs a fixed port (the page links back to it), like 127.0.0.1:8000")
    if not is_loopback(host) and not allow_remote:
        raise UsageError(f"{host} is not a loopback address, and the browser door speaks plain HTTP: anyone who "
                         "can watch the network could read its URL, token and all, and act as the console's "
                         "identity. Listen on 127.0.0.1, or add --allow-remote if that is really meant")
    return host, port


def check_web_sessions(count: int) -> int:
    if not 1 <= count <= MAX_SESSIONS_CEILING:
        raise UsageError(f"--max-sessions is from 1 to {MAX_SESSIONS_CEILING}; {count} is not")
    return count


def start_up_text(key: DoorKey, store: Path, label: str, max_sessions: int) -> list[str]:
    """What the door says when it starts: its URL, and what the token in it does and does not protect."""
    return [
        f"omeconsole in a browser: {key.page_url}  (store {store})",
        f"Only someone with this URL can open the console, as {label}, and other web pages cannot drive it; "
        f"at most {max_sessions} console{'' if max_sessions == 1 else 's'} at once.",
        "It does not stop anyone who sees the URL (shell history, a shared screen, browser history): they act "
        f"as {label} too. Stopping this door revokes it; the next start makes a new one. Stop with ctrl+c.",
    ]


def serve_web(store: Path, identity: str, label: str, host: str, port: int, max_sessions: int,
              say: Callable[[str], None]) -> int:
    """Serve until stopped. The address and the cap were checked with check_web_listen and check_web_sessions."""
    from omeconsole.serve.web.audit import console_failure_audit, refusal_audit
    from omeconsole.serve.web.server import GuardedServer

    key = DoorKey(host, port)
    desk = FrontDoorDesk(store, door="browser")
    refused, close = refusal_audit(desk, key)
    server = GuardedServer(web_command(store, identity), key, host, port, max_sessions, refused)
    server.issue_pass = lambda peer: desk.door_pass(identity, f"token made {key.started_iso}", peer)
    server.failed = console_failure_audit(desk, identity, key)
    server.on_stop.append(close)

    def listening() -> None:
        for line in start_up_text(key, store, label, max_sessions):
            say(shown(line))

    asyncio.run(server.run(listening))
    say("Stopped; every browser tab's console has ended.")
    return 0
