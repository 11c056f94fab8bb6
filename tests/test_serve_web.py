"""The browser door: the real `omeconsole serve web`, reached over HTTP and its websocket as a browser would."""

import asyncio
import os
import signal
import socket
import subprocess
import sys

import aiohttp

from conftest import OMECONSOLE, ROOT, clean_env
from test_cli_tenant import assert_one_line_error

DEADLINE = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_non_loopback_address_is_refused_unless_asked_for(demo_cli):
    result = demo_cli("serve", "web", "--listen", "0.0.0.0:8000", check=2)
    assert_one_line_error(result, "not a loopback address", "no sign-in of its own", "--allow-remote")
    assert_one_line_error(demo_cli("serve", "web", "--listen", "localhost", check=2), "is not HOST:PORT")
    assert_one_line_error(demo_cli("serve", "web", "--listen", "127.0.0.1:0", check=2), "fixed port")


async def _get_page(url: str) -> str:
    """The page, once the server listens (it says so just before it binds)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + DEADLINE
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as response:
                    assert response.status == 200
                    return await response.text()
            except aiohttp.ClientConnectorError:
                if loop.time() > end:
                    raise
                await asyncio.sleep(0.1)


async def _screen_text(url: str, *words: str) -> bytes:
    """What the console sends a browser tab, until it holds every word."""
    received = b""
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        async with asyncio.timeout(DEADLINE):
            while not all(word.encode() in received for word in words):
                message = await ws.receive()
                assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), message
                received += message.data if isinstance(message.data, bytes) else message.data.encode()
    return received


async def test_the_browser_door_serves_the_console_as_its_one_identity(demo_store):
    port = free_port()
    server = subprocess.Popen([*OMECONSOLE, "--store", str(demo_store), "--as",
                               "lynne.robbins@contoso.com", "serve", "web", "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                              env=clean_env())
    try:
        said = [server.stdout.readline(), server.stdout.readline()]
        assert said[0].startswith(f"omeconsole in a browser: http://127.0.0.1:{port}")
        assert "no sign-in of its own" in said[1] and "lynne.robbins@contoso.com (helpdesk)" in said[1]
        page = await _get_page(f"http://127.0.0.1:{port}/")
        assert "omeconsole" in page and f"ws://127.0.0.1:{port}/ws" in page
        await _screen_text(f"http://127.0.0.1:{port}/ws?width=110&height=30", "lynne.robbins@contoso.com",
                           "Message Trace")
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=DEADLINE)
