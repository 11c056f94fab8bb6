"""One browser tab's console: textual-serve's AppService, kept to a real terminal's size.

A tab names its terminal size twice: in the WebSocket's query when it connects, and in every
"resize" message after. Both come from the page, and a page can say anything (65535 x 65535
drives a console to a full core and gigabytes), so both are clamped here: a number of any size
(Infinity and 1e400 included) to the bounds; a resize whose size is not a number (NaN, a list) is
ignored, and a message that is not one at all (not JSON, nested too deep) ends the tab. Never a traceback.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Protocol

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from omeconsole.core.door_pass import DOOR_PASS_ENV
from omeconsole.core.errors import OmeError
from omeconsole.core.text.untrusted import shown
from omeconsole.serve.terminal_size import clamped

QUIT_WAIT = 5.0  # after the console is told to quit, before its process is killed
# What a page could not have sent (not JSON, nested too deep, not a list): the tab ends
MALFORMED = (ValueError, TypeError, LookupError, AttributeError, AssertionError, ArithmeticError, RecursionError)


class DoorServer(Protocol):
    """What a tab's console needs of its door: server.py's GuardedServer, a textual-serve Server."""

    command: str
    download_manager: DownloadManager
    issue_pass: Callable[[str], str]  # the door pass for a console on that peer
    failed: Callable[[str, str], None]  # (peer, why): a console that could not open, audited

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: AppService) -> None: ...


def terminal_size(width: object, height: object) -> tuple[int, int]:
    """A size a real terminal has. Raises ValueError for what is not a number."""
    return clamped(_cells(width), _cells(height))


def _cells(value: object) -> int:
    """A whole number of cells from a number (or, in the query, digits); beyond any bound it is clamped later."""
    if isinstance(value, str):
        return int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"a terminal size is a number, not {type(value).__name__}")
    if isinstance(value, float) and math.isnan(value):
        raise ValueError("a terminal size is a number, not NaN")
    return int(max(min(value, 1e9), -1e9))


class ConsoleService(AppService):
    """A console process whose size stays in bounds, whose end closes its tab, whose stop waits
    until it has ended, and which starts with the door's pass (core/door_pass.py)."""

    door_pass = ""

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        return {**super()._build_environment(width, height), DOOR_PASS_ENV: self.door_pass}

    async def start(self, width: int, height: int) -> None:
        await super().start(*terminal_size(width, height))

    async def set_terminal_size(self, width: int, height: int) -> None:
        try:
            size = terminal_size(width, height)
        except ValueError:
            return  # not a number: the console keeps its size
        await super().set_terminal_size(*size)

    async def run(self) -> None:
        """Until the console's process ends; then its tab closes (and says "Session ended"), so a console
        that crashed does not keep the tab, and its slot, for ever."""
        await super().run()
        await self.remote_close()

    async def stop(self) -> None:
        try:
            async with asyncio.timeout(QUIT_WAIT):
                await super().stop()
                if self._process is not None:
                    await self._process.wait()
        except TimeoutError:
            if self._process is not None and self._process.returncode is None:
                self._process.kill()
                await self._process.wait()


async def run_console(server: DoorServer, request: web.Request) -> web.WebSocketResponse:
    """textual-serve's handle_websocket, with a ConsoleService; a message the page could not have
    sent (not JSON, nested too deep) ends the tab instead of printing a traceback."""
    socket = web.WebSocketResponse(heartbeat=15)
    await socket.prepare(request)
    # textual-serve's own handle_websocket passes close=websocket.close too: its annotation wants a coroutine of
    # None, aiohttp's close is one of bool
    console = ConsoleService(server.command, write_bytes=socket.send_bytes, write_str=socket.send_str,
                             close=socket.close,  # type: ignore[arg-type]
                             download_manager=server.download_manager)
    try:
        console.door_pass = await asyncio.to_thread(server.issue_pass, request.remote or "?")
    except OmeError as error:
        await _cannot_open(server, socket, request.remote or "?", error)
        return socket
    try:
        await console.start(*_asked_size(request))
        await server._process_messages(socket, console)
    except MALFORMED:
        pass
    finally:
        await asyncio.shield(console.stop())
        await socket.close()
    return socket


async def _cannot_open(server: DoorServer, socket: web.WebSocketResponse, peer: str, error: OmeError) -> None:
    """No door pass, no console (the keyring cannot be unlocked): the audit log records why, and the tab
    says it in one line."""
    why = f"cannot open a console: {error}"
    await asyncio.to_thread(server.failed, peer, why)
    try:
        await socket.send_bytes(f"\r\nomeconsole: {shown(why)}\r\n".encode())
    except ConnectionError:
        pass  # the tab has gone
    await socket.close()


def _asked_size(request: web.Request) -> tuple[int, int]:
    try:
        return terminal_size(request.query.get("width", "80"), request.query.get("height", "24"))
    except ValueError:
        return 80, 24
