"""Refusals before sign-in, written to the audit log at most twice per peer host and minute.

A door refuses what it must (a wrong key, a connection that never signs in, a page without its
token), and each refusal belongs in the audit log; but a flood of them must not cost the log an
fsynced line each. The first refusal from a host is written at once; the rest within the next
minute are counted and written as one entry when the minute ends (or the door stops), with the
first few reasons word for word.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

Record = Callable[[str, str, int], Coroutine[Any, Any, None]]  # (peer host, detail, how many refusals it stands for)
SAMPLES = 8  # reasons kept word for word in a window's entry; the rest are counted
SAMPLE_CHARACTERS = 300


@dataclass
class _Window:
    timer: asyncio.TimerHandle
    count: int = 0
    samples: list[str] = field(default_factory=list)

    def add(self, detail: str) -> None:
        self.count += 1
        if len(self.samples) < SAMPLES:
            self.samples.append(detail[:SAMPLE_CHARACTERS])

    def describe(self, peer_host: str, seconds: float) -> str:
        more = self.count - len(self.samples)
        return (f"{self.count} more refusal(s) from {peer_host} within {seconds:.0f} s of the one before: "
                + " | ".join(self.samples) + (f" | and {more} more" if more else ""))


class RefusalTally:
    """Refusals before sign-in, written to the audit log at most twice per peer host and minute: the
    first at once, the rest of the minute as one entry with their count."""

    def __init__(self, record: Record, window: float = 60.0):
        self._record = record
        self._window = window
        self._open: dict[str, _Window] = {}
        self._writing: set[asyncio.Task] = set()

    def refused(self, peer_host: str, detail: str) -> None:
        """Call on each refusal, from the event loop."""
        window = self._open.get(peer_host)
        if window is None:
            timer = asyncio.get_running_loop().call_later(self._window, self._close_window, peer_host)
            self._open[peer_host] = _Window(timer)
            self._write(peer_host, detail, 1)
        else:
            window.add(detail)

    def _close_window(self, peer_host: str) -> None:
        window = self._open.pop(peer_host)
        if window.count:
            self._write(peer_host, window.describe(peer_host, self._window), window.count)

    def _write(self, peer_host: str, detail: str, count: int) -> None:
        task = asyncio.get_running_loop().create_task(self._record(peer_host, detail, count))
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)

    async def close(self) -> None:
        """Write what is pending (at shutdown)."""
        for peer_host in list(self._open):
            self._open[peer_host].timer.cancel()
            self._close_window(peer_host)
        await asyncio.gather(*self._writing, return_exceptions=True)
