"""textual-serve's server behind the browser door's key, with a cap on the consoles open at once.

What is overridden, and why:
- the routes (`_make_app`): the console's WebSocket is /ws/TOKEN (textual-serve's page adds its
  own query to the URL it is given, so the token rides in the path); /ws alone is refused.
- the page (`handle_index`): refused without the token; it points at /ws/TOKEN and asks the
  browser not to send its URL on as a Referer.
- the console's WebSocket (`handle_console`): refused without the token or from another origin;
  over the cap, the tab is told why in its terminal; else a console whose size is kept in bounds
  (omeconsole.serve.web.console).
- serving (`run`): it says what it serves once it listens, keeps no request log (that would print
  every URL, token and all), and on stopping ends every console before it returns.

Left open, on purpose: /static (textual-serve's own script, stylesheet and fonts, the same for
everyone) and /download/KEY (a file the console hands the browser: KEY is a one-time random value
sent only over the token's WebSocket, and the page's script builds the download URL without the
token, so asking for it there would break downloads without protecting anything more).
"""

from __future__ import annotations

import asyncio
import ipaddress
import signal
from collections.abc import Awaitable, Callable

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, web
from textual_serve.server import Server, to_int

from omeconsole.core.errors import OmeError
from omeconsole.serve.listen import shown as host_port
from omeconsole.serve.web.console import run_console
from omeconsole.serve.web.door_key import DoorKey, Refusal

SLOT_WAIT = 3.0  # a reloaded tab's old console is still closing when the new page asks for one
REFUSED_HOLD = 60.0  # how long a tab turned away keeps showing why, before its page says "Session ended"
NO_REFERRER = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def consoles(count: int) -> str:
    return f"{count} console{'' if count == 1 else 's'}"


class GuardedServer(Server):
    """One browser door: its key, its console slots, and where refusals are reported."""

    def __init__(self, command: str, key: DoorKey, host: str, port: int, max_sessions: int,
                 refused: Callable[[str, str], None]):
        super().__init__(command, host=host, port=port, title="omeconsole", public_url=key.origin)
        self.key = key
        self.max_sessions = max_sessions
        self.slots = asyncio.Semaphore(max_sessions)
        self.refused = refused  # (peer host, why): audited, a few lines per peer and minute
        self.on_stop: list[Callable[[], Awaitable[None]]] = []
        self.tabs: set[asyncio.Task] = set()  # the WebSocket handlers running now, consoles and refused tabs
        self.issue_pass: Callable[[str], str] = lambda peer: ""  # the door pass for a console on that peer
        self.failed: Callable[[str, str], None] = lambda peer, why: None  # a console that could not open: audited

    async def _make_app(self) -> web.Application:
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws", self.handle_console),
            web.get("/ws/{token}", self.handle_console, name="websocket"),
            web.get("/download/{key}", self.handle_download, name="download"),
            web.static("/static", self.statics_path, name="static"),
        ])
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def run(self, listening: Callable[[], None]) -> None:
        """Listen, call `listening`, and serve until SIGINT, SIGTERM or SIGHUP."""
        runner = web.AppRunner(await self._make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await self._listen(runner)
            listening()
            stop = asyncio.Event()
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                asyncio.get_running_loop().add_signal_handler(signum, stop.set)
            await stop.wait()
        finally:
            await runner.cleanup()

    async def _listen(self, runner: web.AppRunner) -> None:
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as error:
            raise OmeError(f"the browser door cannot listen on {host_port(self.host, self.port)}: "
                           f"{error.strerror or error}") from None

    async def on_shutdown(self, app: web.Application) -> None:
        """Every tab's WebSocket closes and its console ends (run_console does both when cancelled);
        then whatever else stops with the door."""
        for task in self.tabs:
            task.cancel()
        await asyncio.gather(*self.tabs, return_exceptions=True)
        for stop in self.on_stop:
            await stop()

    def _refuse(self, request: web.Request, refusal: Refusal) -> web.HTTPForbidden:
        self.refused(request.remote or "?", refusal.why)
        return web.HTTPForbidden(text=refusal.told, headers=NO_REFERRER)

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """textual-serve's page, for the token only."""
        if refusal := self.key.page_refusal(request.query.get("token")):
            raise self._refuse(request, refusal)
        origin = self.key.used_origin(request.headers.get("Host"), local_address(request)) or self.key.origin
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": self.key.socket_url(origin),
            "config": {"static": {"url": f"{origin}/static/"}},
            "application": {"name": self.title},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers.update(NO_REFERRER)
        return response

    async def handle_console(self, request: web.Request) -> web.StreamResponse:
        """A console for the token from the door's own page, while a slot is free."""
        if refusal := self.key.socket_refusal(request.match_info.get("token"), request.headers.get("Origin"),
                                              request.headers.get("Host"), local_address(request)):
            raise self._refuse(request, refusal)
        task = asyncio.current_task()
        assert task is not None  # aiohttp runs each handler in a task
        self.tabs.add(task)
        try:
            if not await self._take_slot():
                return await self._turn_away(request)
            try:
                return await run_console(self, request)
            finally:
                self.slots.release()
        finally:
            self.tabs.discard(task)

    async def _take_slot(self) -> bool:
        try:
            async with asyncio.timeout(SLOT_WAIT):
                await self.slots.acquire()
        except TimeoutError:
            return False
        return True

    def full(self) -> list[str]:
        """Why a tab gets no console, in lines short enough for any terminal."""
        return [f"omeconsole: this browser door already has {consoles(self.max_sessions)} open, its limit",
                f"(--max-sessions {self.max_sessions}).", "",
                "Close one (ctrl+q in it, or close its tab), then reload this page."]

    async def _turn_away(self, request: web.Request) -> web.WebSocketResponse:
        """Over the cap: the tab's terminal says why, for a while, and no console starts."""
        self.refused(request.remote or "?", f"a console over the cap of {self.max_sessions}")
        socket = web.WebSocketResponse(heartbeat=15)
        await socket.prepare(request)
        await socket.send_bytes(("\x1b[2J\x1b[H\r\n" + "".join(f"  {line}\r\n" for line in self.full())).encode())
        try:
            async with asyncio.timeout(REFUSED_HOLD):
                async for _message in socket:
                    pass  # the page's pings and keys: nothing runs them
        except TimeoutError:
            pass
        await socket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"all of this door's consoles are in use")
        return socket


def local_address(request: web.Request) -> str | None:
    """The address of this machine the request's connection reached (an IPv4 one as such, not IPv6-mapped)."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        return None
    try:
        address = ipaddress.ip_address(sockname[0])
    except (TypeError, IndexError, ValueError):
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)
