"""The browser door: the real `omeconsole serve web`, reached over HTTP and its WebSocket as a browser would,
and as a page on another site or a stranger without the URL would."""

import asyncio
import re

import aiohttp
import pytest

from support.cli import assert_one_line_error
from support.waiting import within
from support.web import DEADLINE, HELPDESK, free_port


async def screen_text(ws, *words: str) -> bytes:
    """What the console sends a tab, until it holds every word."""
    received = b""

    async def until() -> None:
        nonlocal received
        while not all(word.encode() in received for word in words):
            message = await ws.receive()
            assert message.type == aiohttp.WSMsgType.BINARY, message
            received += message.data

    await within(DEADLINE, until(), lambda: f"{words} from the console; it sent {received[-2000:]!r}")
    return received


async def refused_socket(session, url: str, **headers) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with session.ws_connect(url, headers=headers):
            pass
    return refused.value.status


def test_the_door_checks_its_address_and_its_cap(demo_cli):
    result = demo_cli("serve", "web", "--listen", "0.0.0.0:8000", check=2)
    assert_one_line_error(result, "not a loopback address", "plain HTTP", "--allow-remote")
    assert_one_line_error(demo_cli("serve", "web", "--listen", "localhost", check=2), "is not HOST:PORT")
    assert_one_line_error(demo_cli("serve", "web", "--listen", "127.0.0.1:0", check=2), "fixed port")
    for count in ("0", "101"):
        result = demo_cli("serve", "web", "--max-sessions", count, check=2)
        assert_one_line_error(result, "--max-sessions is from 1 to 100", f"{count} is not")
    assert_one_line_error(demo_cli("serve", "web", "--max-sessions", "four", check=2), "not a whole number")


def test_each_start_makes_a_new_token_of_256_bits():
    from omeconsole.serve.web.door_key import DoorKey

    first, second = DoorKey("127.0.0.1", 8000), DoorKey("127.0.0.1", 8000)
    assert first.token != second.token and len(first.token) >= 43  # 32 bytes, URL-safe base64
    assert first.page_url == f"http://127.0.0.1:8000/?token={first.token}"
    assert DoorKey("::1", 8000).origin == "http://[::1]:8000"


async def test_the_page_and_the_console_open_only_with_the_token_from_the_door_itself(web_door):
    door = web_door()
    assert re.fullmatch(rf"http://127\.0\.0\.1:{door.port}/\?token=[A-Za-z0-9_-]{{43}}", door.url)
    start_up = " ".join(door.said)
    for words in ("Only someone with this URL can open the console", f"as {HELPDESK} (helpdesk)",
                  "other web pages cannot drive it", "at most 4 consoles at once", "anyone who sees the URL",
                  "shell history", "browser history", "Stopping this door revokes it"):
        assert words in start_up, start_up
    wrong = door.token[:-1] + ("A" if door.token[-1] != "A" else "B")
    origin = {"Origin": door.base}
    async with aiohttp.ClientSession() as session:
        for url in (f"{door.base}/", f"{door.base}/?token=", f"{door.base}/?token={wrong}"):
            async with session.get(url) as response:
                assert response.status == 403, url
                assert "opens only with the URL it printed" in await response.text()
        async with session.get(door.url) as page:
            assert page.status == 200 and page.headers["Referrer-Policy"] == "no-referrer"
            assert f'data-session-websocket-url="ws://127.0.0.1:{door.port}/ws/{door.token}"' in await page.text()
        async with session.get(f"{door.base}/static/js/textual.js") as script:
            assert script.status == 200  # the same for everyone: open on purpose
        assert await refused_socket(session, f"{door.base}/ws", **origin) == 403
        assert await refused_socket(session, f"{door.base}/ws/{wrong}", **origin) == 403
        for foreign in ("http://evil.example", f"http://localhost:{door.port}", "null"):
            assert await refused_socket(session, door.console_socket, Origin=foreign) == 403
        assert await refused_socket(session, door.console_socket) == 403  # no Origin at all
        async with session.ws_connect(door.console_socket, headers=origin) as ws:
            await screen_text(ws, "acting as", HELPDESK, "Message Trace")
    output, errors = door.stop()
    assert wrong not in output + errors and "GET " not in output + errors  # no request log
    assert "every browser tab's console has ended" in output


async def test_a_burst_of_refusals_costs_the_audit_log_two_entries_a_peer_not_one_each(web_door, demo_cli):
    door = web_door()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{door.base}/?token=guess-0") as response:
            assert response.status == 403
        first = door.process.stdout.readline()  # the door prints each entry once it is written
        assert "browser request refused: a page request with a wrong token" in first, first
        for guess in range(1, 25):
            async with session.get(f"{door.base}/?token=guess-{guess}") as response:
                assert response.status == 403
    other_peer = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=other_peer) as session:
        for foreign in ("http://evil.example", "null", "http://attacker.test:8080", "https://127.0.0.1"):
            assert await refused_socket(session, door.console_socket, Origin=foreign) == 403
    output, _ = door.stop()  # the rest of each peer's minute is written as the door stops
    entries = [e for e in demo_cli.json("audit") if e["Action"] == "browser request"]
    assert all(e["Outcome"] == "refused" and e["Actor"] == "unknown" for e in entries), entries
    by_peer = {peer: [e["Detail"] for e in entries if e["Origin"].startswith("browser door on ")
                      and f" from {peer};" in e["Origin"]] for peer in ("127.0.0.1", "127.0.0.2")}
    assert len(entries) == 4 and [len(details) for details in by_peer.values()] == [2, 2], entries
    assert by_peer["127.0.0.1"][1].startswith("24 more refusal(s) from 127.0.0.1 within 60 s")
    assert by_peer["127.0.0.2"][0].startswith("a WebSocket from another origin ('http://evil.example'; "
                                              f"the door's own is {door.base})")
    assert by_peer["127.0.0.2"][1].startswith("3 more refusal(s) from 127.0.0.2")
    assert "guess-" not in output + str(entries)  # a wrong token is kept nowhere


async def test_over_the_cap_a_tab_is_told_why_and_gets_no_console(web_door):
    door = web_door("--max-sessions", "1")
    origin = {"Origin": door.base}

    async def turned_away(session) -> bytes:
        async with session.ws_connect(door.console_socket, headers=origin) as second:
            return await screen_text(second, "already has 1 console open, its limit", "--max-sessions 1",
                                     "then reload this page")

    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(door.console_socket, headers=origin) as first:  # it holds the one slot
            told, _ = await asyncio.gather(turned_away(session), screen_text(first, "Message Trace"))
    assert b"Message Trace" not in told


async def test_a_tab_cannot_size_its_console_beyond_a_real_terminal(web_door):
    """Asked for 65535 x 65535, the console draws its footer (right-aligned, on its last row) on row 200,
    ending by column 500."""
    door = web_door()
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"{door.console_socket}?width=100&height=30",
                                      headers={"Origin": door.base}) as ws:
            await screen_text(ws, "Message Trace", "palette")
            await ws.send_json(["resize", {"width": 65535, "height": 65535}])
            received, footer = b"", None

            async def redrawn() -> None:
                nonlocal received, footer
                while footer is None or footer[0] <= 30:  # a frame drawn at the new size
                    received += (data := (await ws.receive()).data)
                    footer = footer_end(received) if b"palette" in data else footer

            await within(DEADLINE, redrawn(), lambda: f"a frame drawn at the new size; the footer ends at {footer}")
    row, column = footer
    assert row == 200 and 490 <= column <= 500, footer


async def pong(ws, said: str) -> None:
    """Until the door answers a ping with SAID: the tab is still served."""
    async def until() -> None:
        while (message := await ws.receive()).type != aiohttp.WSMsgType.TEXT or message.json() != ["pong", said]:
            assert message.type == aiohttp.WSMsgType.BINARY, message

    await within(DEADLINE, until(), f"the door's pong {said!r}")


async def ended(ws) -> None:
    """Until the door closes the tab's WebSocket."""
    async def until() -> None:
        async for _message in ws:
            pass

    await within(DEADLINE, until(), "the door closing the tab")


async def test_a_malformed_resize_is_clamped_or_ignored_and_never_a_traceback(web_door):
    door = web_door()
    huge = "9" * 4000
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(door.console_socket, headers={"Origin": door.base}) as ws:
            await screen_text(ws, "Message Trace")
            for width, height in (("Infinity", "-Infinity"), ("1e400", huge), ("-1e400", f"-{huge}"),  # clamped
                                  ("NaN", "24"), ('{"cells":[80]}', "[[24]]"), ("true", "null")):  # ignored
                await ws.send_str(f'["resize",{{"width":{width},"height":{height}}}]')
            await ws.send_str('["ping","after the sizes"]')
            await pong(ws, "after the sizes")  # the tab is still served
            await ws.send_str('["resize",' + "[" * 100_000 + "]" * 100_000 + "]")  # not a message at all
            await ended(ws)
    output, errors = door.stop()
    assert errors == "" and "Traceback" not in output, (output, errors)


async def test_a_console_that_cannot_get_its_door_pass_is_audited_and_its_tab_told_why(web_door, demo_store,
                                                                                        demo_cli):
    door = web_door()
    key_file = demo_store / "master.key"
    key_file.rename(demo_store / "master.key.away")  # the keyring cannot be unlocked now: no pass is signed
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(door.console_socket, headers={"Origin": door.base}) as ws:
            told = await screen_text(ws, "omeconsole: cannot open a console: the master key file", "is missing")
            await ended(ws)
    (demo_store / "master.key.away").rename(key_file)
    output, errors = door.stop()
    assert told.strip().count(b"\n") == 0 and errors == "", (told, errors)
    [failed] = [e for e in demo_cli.json("audit") if e["Action"] == "browser console"]
    assert (failed["Actor"], failed["Outcome"]) == (HELPDESK, "failed"), failed
    assert "master key file" in failed["Detail"] and " from 127.0.0.1;" in failed["Origin"]
    assert "browser console failed: cannot open a console" in output


async def test_a_door_on_every_address_takes_the_origins_of_its_own_names_and_no_other(web_door):
    port = free_port()
    door = web_door("--listen", f"0.0.0.0:{port}", "--allow-remote")
    assert door.url == f"http://0.0.0.0:{port}/?token={door.token}"
    async with aiohttp.ClientSession() as session:
        for used in (f"127.0.0.1:{port}", f"localhost:{port}"):  # an address it listens on, and a name of one
            async with session.get(f"http://{used}/?token={door.token}") as page:
                assert f'data-session-websocket-url="ws://{used}/ws/{door.token}"' in await page.text()
        socket_url = f"http://127.0.0.1:{port}/ws/{door.token}"
        async with session.ws_connect(socket_url, headers={"Origin": f"http://127.0.0.1:{port}"}) as ws:
            await screen_text(ws, "Message Trace")
        for foreign in ("http://evil.example", f"http://evil.example:{port}", f"http://127.0.0.1:{port + 1}"):
            assert await refused_socket(session, socket_url, Origin=foreign) == 403
        # a site whose name an attacker pointed at this machine names itself in Host too (DNS rebinding)
        rebound = f"evil.example:{port}"
        assert await refused_socket(session, socket_url, Origin=f"http://{rebound}", Host=rebound) == 403


def footer_end(output: bytes) -> tuple[int, int] | None:
    """Where the last "palette" drawn ends: the row and column of the cursor move before it, plus
    the characters drawn after that move (escape sequences draw nothing)."""
    end = output.rfind(b"palette") + len(b"palette")
    moves = list(re.finditer(rb"\x1b\[(\d+);(\d+)H", output[:end]))
    if not moves:
        return None
    drawn = re.sub(rb"\x1b\[[0-9;]*m", b"", output[moves[-1].end():end]).decode()
    return int(moves[-1][1]), int(moves[-1][2]) - 1 + len(drawn)
