"""`omeconsole serve ssh`: check everything it needs, say what it serves, then serve until stopped."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from omeconsole.core.errors import UsageError
from omeconsole.core.front_door import FrontDoorDesk
from omeconsole.core.text.times import human_span, parse_span
from omeconsole.serve.listen import parse_listen, shown
from omeconsole.serve.ssh.authorized_keys import AuthorizedKeys
from omeconsole.serve.ssh.door import MAX_KEYS_PER_CONNECTION, MAX_UNAUTHENTICATED, DoorSettings, SshDoor
from omeconsole.serve.ssh.host_key import load_or_create_host_key
from omeconsole.serve.ssh.session import sessions

MAX_SESSIONS_CEILING = 1000
IDLE_RANGE = (timedelta(seconds=1), timedelta(hours=24))


def idle_timeout(text: str) -> timedelta:
    span = parse_span(text, "idle timeout")
    if not IDLE_RANGE[0] <= span <= IDLE_RANGE[1]:
        raise UsageError(f"the idle timeout is from 1s to 24h; {text!r} is {human_span(span)}")
    return span


def max_sessions(count: int) -> int:
    if not 1 <= count <= MAX_SESSIONS_CEILING:
        raise UsageError(f"--max-sessions is from 1 to {MAX_SESSIONS_CEILING}; {count} is not")
    return count


def serve_ssh(store: Path, listen: str, host_key_path: Path, keys_path: Path, sessions: int, idle: str,
              say: Callable[[str], None]) -> int:
    host, port = parse_listen(listen)
    limit, timeout = max_sessions(sessions), idle_timeout(idle)
    desk = FrontDoorDesk(store, door="ssh")
    organization = desk.organization()
    desk.check_keyring()
    keys = _keys_summary(desk, keys_path)  # every check before the first change (a new host key)
    host_key, created = load_or_create_host_key(host_key_path)
    door = SshDoor(DoorSettings(store, host, port, host_key, keys_path, limit, timeout), desk)
    say(f"omeconsole SSH door for {organization}, store {store}")
    say(f"Host key {host_key_path}{' (created now)' if created else ''}: {host_key.get_fingerprint()}")
    say(keys)
    return asyncio.run(_serve(door, say))


def _keys_summary(desk: FrontDoorDesk, keys_path: Path) -> str:
    keys = AuthorizedKeys(keys_path).load()
    barred = [f"line {key.line} ({why})" for key in keys.values() if (why := desk.refusal(key.identity))]
    summary = f"Authorized keys {keys_path}: {len(keys)} key(s)"
    return summary + (f"; refused at sign-in: {'; '.join(barred)}" if barred else "")


async def _serve(door: SshDoor, say: Callable[[str], None]) -> int:
    acceptor = await door.start()
    settings = door.settings
    say(f"Listening on {shown(settings.host, acceptor.get_port())}: at most {sessions(settings.max_sessions)}, "
        f"idle timeout {human_span(settings.idle_timeout)}. Stop with ctrl+c.")
    say(f"Connect with: ssh -p {acceptor.get_port()} {settings.host}")
    say(f"Before sign-in: at most {MAX_KEYS_PER_CONNECTION} keys per connection and {MAX_UNAUTHENTICATED} "
        "connections waiting at once; refusals are audited at most twice a minute per host, with a count.")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    acceptor.close()  # no new connection, then every open one ends and is counted
    await door.close_sessions()
    await acceptor.wait_closed()
    say("Stopped; every session's console has ended.")
    return 0
