"""The browser door as a person meets it: a real headless Chromium (Debian's `chromium`, driven by Playwright)
on the real `omeconsole serve web`. The console draws on a canvas, so what it shows is read from the
WebSocket frames the page receives; the screenshots are what a person would see."""

import asyncio
import csv
import io

import pytest

from support.cli import CLI
from support.browser import chromium
from support.waiting import within
from support.web import DEADLINE, HELPDESK



@pytest.fixture
async def browser():
    async with chromium(viewport={"width": 1200, "height": 760}, accept_downloads=True) as context:
        yield context


class Frames:
    """Everything a page's WebSockets receive: the console's screen, as the page's terminal draws it."""

    def __init__(self, page):
        self.received = bytearray()
        self.changed = asyncio.Event()
        self.sent = asyncio.Event()  # the page has sent on a WebSocket: the door has taken it
        page.on("websocket", self._watch)

    def _watch(self, socket) -> None:
        socket.on("framereceived", self._add)
        socket.on("framesent", lambda _payload: self.sent.set())

    def _add(self, payload: str | bytes) -> None:
        self.received += payload if isinstance(payload, bytes) else payload.encode()
        self.changed.set()

    async def wait_for(self, *words: str, since: int = 0) -> bytes:
        async def until() -> None:
            while not all(word.encode() in self.received[since:] for word in words):
                self.changed.clear()
                await self.changed.wait()

        await within(DEADLINE, until(), lambda: f"{words} in the page's frames; the last received: "
                                                f"{bytes(self.received[-2000:])!r}")
        return bytes(self.received[since:])


async def open_tab(browser, url: str):
    page = await browser.new_page()
    frames = Frames(page)
    response = await page.goto(url)
    return page, frames, response


async def shows_terminal(page) -> bool:
    """The page shows its terminal, not its intro or its "Session ended" dialog."""
    return await page.evaluate("document.body.classList.contains('-first-byte') "
                               "&& !document.body.classList.contains('-closed')")


async def test_the_url_with_its_token_shows_the_console_and_the_plain_url_is_refused(web_door, browser, tmp_path):
    door = web_door("--max-sessions", "1")
    page, frames, response = await open_tab(browser, door.url)
    assert response.status == 200
    await within(DEADLINE, frames.sent.wait(), "the page sending on its WebSocket")  # its console holds the slot
    over, told, _ = await open_tab(browser, door.url)
    plain, _, refused = await open_tab(browser, f"{door.base}/")
    assert refused.status == 403
    assert "opens only with the URL it printed" in await plain.inner_text("body")

    await frames.wait_for("acting as", HELPDESK, "Message Trace")
    await page.wait_for_function("document.body.classList.contains('-first-byte')")
    await page.screenshot(path=tmp_path / "console.png")
    await told.wait_for("already has 1 console open, its limit", "then reload this page")
    assert b"Message Trace" not in told.received and await shows_terminal(over)
    await over.close()

    mark = len(frames.received)
    await page.reload()  # its old console ends as the new page asks for one: the slot is not lost
    await frames.wait_for("Message Trace", since=mark)
    assert await shows_terminal(page)


async def test_export_in_the_browser_downloads_the_csv_and_writes_nothing_on_the_server(web_door, browser,
                                                                                       demo_store):
    door = web_door()
    page, frames, _ = await open_tab(browser, door.url)
    await frames.wait_for("Message Trace", "palette")
    await page.click("#terminal")  # the terminal takes keys once it has the focus
    async with page.expect_download(timeout=DEADLINE * 1000) as started:
        await page.keyboard.press("Control+e")
    download = await started.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO((await download.path()).read_text(encoding="utf-8-sig"))))
    assert rows and rows[0]["SenderAddress"].endswith("@contoso.com") and rows[0]["MessageId"].startswith("<")
    assert not list(demo_store.parent.rglob("*.csv"))  # the door works in the store's parent directory
    [export] = [e for e in CLI(demo_store).json("audit") if e["Action"] == "export"]
    assert "delivered to the browser" in export["Detail"]
    assert " over the browser door from 127.0.0.1, token made " in export["Origin"] and "OS account " in export["Origin"]


async def test_the_door_opened_by_another_of_its_names_shows_the_console(web_door, browser):
    """A door on 127.0.0.1 opened as http://localhost:PORT: its page points its WebSocket at the name the
    browser used, and the door takes that origin as its own."""
    door = web_door()
    page, frames, response = await open_tab(browser, door.url.replace("//127.0.0.1:", "//localhost:"))
    assert response.status == 200 and page.url.startswith(f"http://localhost:{door.port}/")
    await frames.wait_for("acting as", HELPDESK, "Message Trace")
    assert await shows_terminal(page)
