"""One browser tab's console: textual-serve's AppService, kept to a real terminal's size.

A tab names its terminal size twice: in the WebSocket's query when it connects, and in every
"resize" message after. Both come from the page, and a page can say anything (65535 x 65535
drives a console to a full core and gigabytes), so both are clamped here.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from omeconsole.core.door_pass import DOOR_PASS_ENV
from omeconsole.serve.terminal_size import clamped

QUIT_WAIT = 5.0  # after the console is told to quit, before its process is killed


def terminal_size(width: object, height: object) -> tuple[int, int]:
    """A size a real terminal has. Raises ValueError or TypeError for what is not a number."""
    return clamped(int(width), int(height))  # type: ignore[call-overload]


class ConsoleService(AppService):
    """A console process whose size stays in bounds, whose end closes its tab, whose stop waits
    until it has ended, and which starts with the door's pass (core/door_pass.py)."""

    door_pass = ""

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        return {**super()._build_environment(width, height), DOOR_PASS_ENV: self.door_pass}

    async def start(self, width: int, height: int) -> None:
        await super().start(*terminal_size(width, height))

    async def set_terminal_size(self, width: int, height: int) -> None:
        await super().set_terminal_size(*terminal_size(width, height))

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


async def run_console(server: Server, request: web.Request) -> web.WebSocketResponse:
    """textual-serve's handle_websocket, with a ConsoleService; a message the page could not have
    sent (not JSON, a size that is not a number) ends the tab instead of printing a traceback."""
    socket = web.WebSocketResponse(heartbeat=15)
    await socket.prepare(request)
    console = ConsoleService(server.command, write_bytes=socket.send_bytes, write_str=socket.send_str,
                             close=socket.close, download_manager=server.download_manager)
    console.door_pass = await asyncio.to_thread(server.issue_pass, request.remote or "?")
    try:
        await console.start(*_asked_size(request))
        await server._process_messages(socket, console)
    except (ValueError, TypeError, LookupError, AttributeError, AssertionError):
        pass
    finally:
        await asyncio.shield(console.stop())
        await socket.close()
    return socket


def _asked_size(request: web.Request) -> tuple[int, int]:
    try:
        return terminal_size(request.query.get("width", "80"), request.query.get("height", "24"))
    except ValueError:
        return 80, 24
