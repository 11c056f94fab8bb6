"""The browser door's refusals in the audit log: the first from a peer at once, the rest of its minute
as one entry with their count (omeconsole.serve.refusal_tally), each also printed on the door's output."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from omeconsole.core.errors import OmeError
from omeconsole.core.front_door import FrontDoorDesk
from omeconsole.core.text.untrusted import shown
from omeconsole.serve.refusal_tally import RefusalTally
from omeconsole.serve.web.door_key import DoorKey

REFUSED_REQUEST = "browser request"
WINDOW = 60.0


def refusal_audit(desk: FrontDoorDesk, key: DoorKey) -> tuple[Callable[[str, str], None],
                                                              Callable[[], Awaitable[None]]]:
    """(refused(peer host, why), close()): what the door calls on each refusal, and when it stops.
    Opens the store's audit log now, so a door that could not record its refusals does not start."""
    desk.check_keyring()

    async def record(peer_host: str, detail: str, count: int) -> None:  # the tally's detail says the count
        await asyncio.to_thread(_record_and_print, desk, peer_host,
                                f"{detail}; this door's token was made at {key.started_iso}")

    tally = RefusalTally(record, window=WINDOW)
    return tally.refused, tally.close


def _record_and_print(desk: FrontDoorDesk, peer_host: str, detail: str) -> None:
    """The entry, then the same line on the door's output. A failure is told, not raised: the request
    it records has already been refused."""
    try:
        entry = desk.record(None, REFUSED_REQUEST, "refused", detail, peer_host)
    except OmeError as error:
        _print(f"omeconsole: {error}", sys.stderr)
        return
    _print(f"{entry.time} {peer_host}: {REFUSED_REQUEST} refused: {entry.detail}", sys.stdout)


def _print(line: str, stream) -> None:
    try:
        print(shown(line), file=stream, flush=True)
    except OSError:
        pass  # nobody reads the door's output any more
