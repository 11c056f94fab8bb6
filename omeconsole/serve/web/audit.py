"""The browser door's refusals in the audit log: the first from a peer at once, the rest of its minute
as one entry with their count (omeconsole.serve.refusal_tally), each also printed on the door's output;
and a console it could not open (no door pass could be signed), as one `failed` entry each."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from omeconsole.core.audit.log import Outcome
from omeconsole.core.errors import OmeError
from omeconsole.core.front_door import FrontDoorDesk
from omeconsole.core.text.untrusted import shown
from omeconsole.serve.refusal_tally import RefusalTally
from omeconsole.serve.web.door_key import DoorKey

REFUSED_REQUEST = "browser request"
CONSOLE = "browser console"
WINDOW = 60.0


def refusal_audit(desk: FrontDoorDesk, key: DoorKey) -> tuple[Callable[[str, str], None],
                                                              Callable[[], Awaitable[None]]]:
    """(refused(peer host, why), close()): what the door calls on each refusal, and when it stops.
    Opens the store's audit log now, so a door that could not record its refusals does not start."""
    desk.check_keyring()

    async def record(peer_host: str, detail: str, count: int) -> None:  # the tally's detail says the count
        await asyncio.to_thread(_record_and_print, desk, None, REFUSED_REQUEST, "refused",
                                f"{detail}; this door's token was made at {key.started_iso}", peer_host)

    tally = RefusalTally(record, window=WINDOW)
    return tally.refused, tally.close


def console_failure_audit(desk: FrontDoorDesk, identity: str, key: DoorKey) -> Callable[[str, str], None]:
    """failed(peer host, why), from a worker thread: a console the door could not open, recorded as the
    identity it would have acted as."""

    def failed(peer_host: str, why: str) -> None:
        _record_and_print(desk, identity, CONSOLE, "failed", f"{why}; this door's token was made at {key.started_iso}",
                          peer_host)

    return failed


def _record_and_print(desk: FrontDoorDesk, actor: str | None, action: str, outcome: Outcome, detail: str,
                      peer_host: str) -> None:
    """The entry, then the same line on the door's output. A failure is told, not raised: what it
    records has already happened."""
    try:
        entry = desk.record(actor, action, outcome, detail, peer_host)
    except OmeError as error:
        _print(f"omeconsole: {error}", sys.stderr)
        return
    _print(f"{entry.time} {peer_host}: {action} {outcome}: {entry.detail}", sys.stdout)


def _print(line: str, stream) -> None:
    try:
        print(shown(line), file=stream, flush=True)
    except OSError:
        pass  # nobody reads the door's output any more
