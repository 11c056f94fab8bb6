"""`omeconsole serve portal`: the OME portal on this machine, until SIGINT or SIGTERM.

It listens on loopback only for now (plain HTTP: a passcode or session cookie crossing a network
in clear could be read on the way); --public-url is what the links in wrapper mails name, for
example the HTTPS address of a reverse proxy in front of it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from omeconsole.core.dkm.unlocking import env_passphrase, unlock
from omeconsole.core.errors import OmeError, UsageError
from omeconsole.core.ome.portal_sign_in import PortalDesk
from omeconsole.core.store.store import Store
from omeconsole.core.text.times import utcnow
from omeconsole.core.text.untrusted import shown
from omeconsole.serve.listen import is_loopback, names_of
from omeconsole.serve.listen import shown as host_port
from omeconsole.serve.portal.server import HEADERS, PortalApp

MAX_CONNECTIONS = 256
MAX_LINE = 4096  # the request line and each header: a link is about 40 characters
MAX_HEADERS = 64
BUSY = ("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in HEADERS.items())
        + "Content-Security-Policy: default-src 'none'\r\n\r\n").encode()


def portal_origin(host: str, port: int, public_url: str | None) -> tuple[str, bool]:
    """The portal's own origin (what the wrapper mails' links and browsers' Origin headers name), and
    whether it is HTTPS (then its session cookie is Secure)."""
    if public_url is None:
        name = f"[{host}]" if ":" in host else host
        return f"http://{name.lower()}:{port}", False
    try:
        parts = urlsplit(public_url.strip())
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and not (parts.query or parts.fragment)
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        valid = False
    if not valid:
        raise UsageError(f"--public-url {public_url!r} is not an http:// or https:// URL, like "
                         "https://portal.contoso.com")
    return f"{parts.scheme}://{parts.netloc.lower()}", parts.scheme == "https"


class _Busy(asyncio.Protocol):
    """A connection over the cap: told so at once, and closed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(BUSY)
        transport.close()


class PortalServer:
    """The portal's app on a listening socket, with caps on request lines, headers and connections."""

    def __init__(self, store_root: Path, public_url: str | None, clock: Callable[[], datetime] = utcnow,
                 max_connections: int = MAX_CONNECTIONS):
        self.store_root = Path(store_root)
        self.public_url = public_url
        self.clock = clock
        self.max_connections = max_connections
        self.origin = ""
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen (port 0: the system picks one); the port it listens on."""
        store = Store.open(self.store_root)
        keyring = await asyncio.to_thread(unlock, self.store_root, env_passphrase())
        desk = PortalDesk(store, keyring, self.clock)
        self.origin, secure = portal_origin(host, port, self.public_url)
        app = PortalApp(desk, self.origin, names_of(host), secure)
        self._runner = web.AppRunner(app.make(), access_log=None, handle_signals=False, shutdown_timeout=2.0,
                                     max_line_size=MAX_LINE, max_field_size=MAX_LINE, max_headers=MAX_HEADERS,
                                     keepalive_timeout=15)
        await self._runner.setup()
        server = self._runner.server
        assert server is not None

        def connection() -> asyncio.BaseProtocol:
            return server() if len(server.connections) < self.max_connections else _Busy()

        try:
            self._listener = await asyncio.get_running_loop().create_server(connection, host, port, backlog=128)
        except OSError as error:
            await self._runner.cleanup()
            why = os.strerror(error.errno) if error.errno else str(error)
            raise OmeError(f"the OME portal cannot listen on {host_port(host, port)}: {why}") from None
        bound = self._listener.sockets[0].getsockname()[1]
        if self.public_url is None:
            self.origin, _ = portal_origin(host, bound, None)
            app.origin = self.origin
        return bound

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        if self._runner is not None:
            await self._runner.cleanup()


def serve_portal(store_root: Path, host: str, port: int, public_url: str | None, say: Callable[[str], None]) -> int:
    """Serve until SIGINT or SIGTERM; 0 once stopped. Raises OmeError (one line) when it cannot start."""
    if not is_loopback(host):
        raise UsageError(f"{host} is not a loopback address, and the OME portal speaks plain HTTP: passcodes and "
                         "session cookies would cross the network in clear. Listen on 127.0.0.1 (put an HTTPS "
                         "reverse proxy in front, and name it with --public-url)")
    portal_origin(host, port, public_url)  # a bad --public-url is refused before anything starts
    for name in ("aiohttp", "asyncio"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False  # a person reads one line, never a traceback
    asyncio.run(_serve(PortalServer(store_root, public_url), host, port, public_url, say))
    say("OME portal stopped.")
    return 0


async def _serve(server: PortalServer, host: str, port: int, public_url: str | None,
                 say: Callable[[str], None]) -> None:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: say(f"serve portal: {_described(context)}"))
    bound = await server.start(host, port)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    links = public_url.rstrip("/") if public_url else server.origin
    say(shown(f"OME portal listening on {host_port(host, bound)}; recipients' links: {links}/m/...; "
              "stop with ctrl+c"))
    try:
        await stop.wait()
    finally:
        await server.stop()


def _described(context: dict) -> str:
    error = context.get("exception")
    what = " ".join(str(error).split()) if error else ""
    return f"{context.get('message', 'error')}{': ' + what if what else ''}"
