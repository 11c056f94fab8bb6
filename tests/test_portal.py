"""The OME portal (`serve portal`) over real HTTP, in-process on an injected clock: bad links, one-time
passcodes and their limits, sessions, the revoked and expired texts, hostile content, the headers
every response carries, the audit log. (`test_portal_browser.py` drives it with a real Chromium.)"""

import base64
import email.policy
import re
from email.message import EmailMessage

import aiohttp
import pytest

from omeconsole.core.mail.transport import MailFlow, SmtpEnvelope
from omeconsole.core.ome.portal import EXPIRED_TEXT, REVOKED_TEXT
from omeconsole.core.store.store import Store
from omeconsole.serve.portal.run import PortalServer, serve_portal
from omeconsole.serve.portal.server import COOKIE

SENDER = "megan.bowen@contoso.com"
BOB = "bob.kelly@gmail.com"
PORTAL = "http://127.0.0.1:8080"
BAD_LINK = "This link does not open a message"


def mime(subject="Salary review", body="The figures are attached.", html=None, encrypt="encrypt-only",
         template="Contoso Secure", to=BOB, attachments=()) -> bytes:
    mail = EmailMessage(policy=email.policy.SMTP)
    mail["From"], mail["To"], mail["Subject"] = SENDER, to, subject
    if encrypt:
        mail["X-OME-Encrypt"] = encrypt
    if template:
        mail["X-OME-Template"] = template
    mail.set_content(body)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    for name, data in attachments:
        mail.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return mail.as_bytes()


class Portal:
    """A store's mail flow and its OME portal, served in-process on one clock, and a browser-less client."""

    def __init__(self, root, clock):
        self.root = root
        self.clock = clock
        self.flow = MailFlow(Store.open(root), portal_url=PORTAL, clock=clock)
        self.server = PortalServer(root, None, clock=clock)
        self.base = ""

    def send(self, data: bytes | None = None, recipients=(BOB,)):
        """The message accepted, and the link token in each link-based recipient's wrapper mail."""
        message = self.flow.accept(SmtpEnvelope(SENDER, tuple(recipients), data or mime(), "127.0.0.1", "127.0.0.1"))
        tokens = {}
        for delivery in self.flow.queue.all():
            if delivery.message_id == message.message_id:
                found = re.search(rb"/m/([A-Za-z0-9_-]+)", self.flow.queue.wire_bytes(delivery))
                if found:
                    tokens[delivery.recipients[0]] = found.group(1).decode()
        return message, tokens

    def passcode_mails(self) -> dict[str, bytes]:
        return {d.id: self.flow.queue.wire_bytes(d) for d in self.flow.queue.all() if d.kind == "passcode"}

    def url(self, token: str, path: str = "") -> str:
        return f"{self.base}/m/{token}{path}"

    async def request_code(self, session, token: str) -> str:
        before = self.passcode_mails()
        response = await session.post(self.url(token, "/passcode"), allow_redirects=False)
        assert response.status == 303, await response.text()
        (new,) = [wire for key, wire in self.passcode_mails().items() if key not in before]
        return re.search(rb"passcode: (\d{8})", new).group(1).decode()

    async def sign_in(self, session, token: str, code: str):
        return await session.post(self.url(token, "/sign-in"), data={"passcode": code}, allow_redirects=False)

    def audit(self, action: str) -> list:
        return [e for e in Store.open(self.root).audit.entries() if e.action == action]


def browserless():
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))  # unsafe: cookies for 127.0.0.1


@pytest.fixture
async def portal(demo_store, clock):
    served = Portal(demo_store, clock)
    port = await served.server.start("127.0.0.1", 0)
    served.base = f"http://127.0.0.1:{port}"
    yield served
    await served.server.stop()


@pytest.fixture
async def session():
    async with browserless() as opened:
        yield opened


async def signed_in(portal, session, token):
    code = await portal.request_code(session, token)
    response = await portal.sign_in(session, token, code)
    assert response.status == 303 and response.headers["Location"].endswith("/message")
    return response


async def test_a_link_opens_the_branded_page_and_a_passcode_opens_the_message(portal, session):
    message, tokens = portal.send()
    landing = await session.get(portal.url(tokens[BOB]))
    page = await landing.text()
    assert landing.status == 200 and "megan.bowen@contoso.com" in page and "one-time passcode" in page
    assert "not offered by this portal" in page and "<script" not in page
    signed = await signed_in(portal, session, tokens[BOB])
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=3600" in cookie
    assert f"Path=/m/{tokens[BOB]}" in cookie and "Secure" not in cookie  # served over plain HTTP
    shown = await session.get(portal.url(tokens[BOB], "/message"))
    text = await shown.text()
    assert shown.status == 200
    for part in ("Salary review", SENDER, BOB, "The figures are attached.", "Date"):
        assert part in text
    link = Store.open(portal.root).get_portal_link(message.recipient(BOB).link_id)
    assert len(link.opened) == 1 and link.opened[0] == portal.clock.now.replace(microsecond=0)
    assert [e.actor for e in portal.audit("portal sign-in")] == [BOB]
    assert [e.actor for e in portal.audit("portal open")][-1] == BOB


async def test_bad_cut_or_altered_links_all_get_the_same_page(portal, session):
    _, tokens = portal.send()
    token = tokens[BOB]
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    bad = [token[:-1], token[:16], altered, token + "x", "x" * 32, "%00" * 10, "é" * 32, "A" * 3000, ".."]
    answers = set()
    for given in bad:
        response = await session.get(f"{portal.base}/m/{given}")
        answers.add((response.status, await response.text()))
        posted = await session.post(f"{portal.base}/m/{given}/passcode")
        answers.add((posted.status, await posted.text()))
    assert len(answers) == 1
    status, text = answers.pop()
    assert status == 404 and BAD_LINK in text and "Contoso" not in text
    assert not portal.passcode_mails()
    assert portal.audit("portal link")  # recorded, a few entries per peer and minute


async def test_at_most_three_passcodes_per_link_in_fifteen_minutes(portal, session):
    _, tokens = portal.send()
    for _ in range(3):
        await portal.request_code(session, tokens[BOB])
    refused = await session.post(portal.url(tokens[BOB], "/passcode"), allow_redirects=False)
    assert refused.status == 403 and "3 passcodes were sent" in await refused.text()
    assert len(portal.passcode_mails()) == 3
    portal.clock.advance(minutes=15)
    assert await portal.request_code(session, tokens[BOB])


async def test_five_wrong_passcodes_lock_the_link_for_fifteen_minutes(portal, session):
    _, tokens = portal.send()
    code = await portal.request_code(session, tokens[BOB])
    wrong = "00000000" if code != "00000000" else "11111111"
    for left in (4, 3, 2, 1):
        answer = await portal.sign_in(session, tokens[BOB], wrong)
        assert answer.status == 403 and f"{left} tr" in await answer.text()
    locked = await portal.sign_in(session, tokens[BOB], wrong)
    assert "locked until" in await locked.text()
    still = await portal.sign_in(session, tokens[BOB], code)  # even the right one, while locked
    assert still.status == 403 and "locked until" in await still.text()
    assert (await session.post(portal.url(tokens[BOB], "/passcode"), allow_redirects=False)).status == 403
    assert len(portal.audit("portal passcode failed")) == 5 and len(portal.audit("portal locked")) == 1
    portal.clock.advance(minutes=15)
    await signed_in(portal, session, tokens[BOB])


async def test_a_passcode_is_spent_once_and_expires_after_fifteen_minutes(portal, session):
    _, tokens = portal.send()
    code = await portal.request_code(session, tokens[BOB])
    await portal.sign_in(session, tokens[BOB], code)
    async with browserless() as other:
        replayed = await portal.sign_in(other, tokens[BOB], code)
        assert replayed.status == 403 and COOKIE not in replayed.cookies
        late = await portal.request_code(other, tokens[BOB])
        portal.clock.advance(minutes=15, seconds=1)
        assert (await portal.sign_in(other, tokens[BOB], late)).status == 403


async def test_forged_other_and_expired_session_cookies_are_refused(portal, session):
    _, tokens = portal.send(recipients=(BOB, "eve@yahoo.com"))
    bob, eve = tokens[BOB], tokens["eve@yahoo.com"]
    cookie = (await signed_in(portal, session, bob)).cookies[COOKIE].value
    stamp, mac = cookie.split(".")
    forged = [f"{int(stamp) + 86400}.{mac}", f"{stamp}.{mac[:-1]}{'1' if mac[-1] == '0' else '0'}", f"{stamp}.", "", "9" * 40 + "." + mac, "x.y"]
    async with browserless() as other:
        for value in forged:
            response = await other.get(portal.url(bob, "/message"), headers={"Cookie": f"{COOKIE}={value}"},
                                       allow_redirects=False)
            assert response.status == 303 and response.headers["Location"] == f"/m/{bob}", value
        theirs = await other.get(portal.url(eve, "/message"), headers={"Cookie": f"{COOKIE}={cookie}"},
                                 allow_redirects=False)
        assert theirs.status == 303  # Bob's session does not open Eve's link
    assert (await session.get(portal.url(bob, "/message"), allow_redirects=False)).status == 200
    portal.clock.advance(hours=1)
    assert (await session.get(portal.url(bob, "/message"), allow_redirects=False)).status == 303


async def test_a_template_with_passcodes_off_refuses_them_and_says_so(portal, session, demo_cli):
    demo_cli("template", "set", "Contoso Secure", "--otp-enabled", "false")
    _, tokens = portal.send()
    page = await (await session.get(portal.url(tokens[BOB]))).text()
    assert "does not allow one-time passcodes" in page and "not offered by this portal" in page
    assert 'action="/m/' not in page
    refused = await session.post(portal.url(tokens[BOB], "/passcode"))
    assert refused.status == 403 and not portal.passcode_mails()
    assert (await portal.sign_in(session, tokens[BOB], "12345678")).status == 403
    assert [e.outcome for e in portal.audit("portal passcode")] == ["refused"]


async def test_a_revoke_reaches_the_signed_in_page_on_its_next_load(portal, session, demo_cli):
    message, tokens = portal.send()
    await signed_in(portal, session, tokens[BOB])
    demo_cli("revoke", "--message-id", message.message_id)
    reloaded = await session.get(portal.url(tokens[BOB], "/message"))
    text = await reloaded.text()
    assert reloaded.status == 410 and REVOKED_TEXT in text and "The figures are attached." not in text
    landing = await session.get(portal.url(tokens[BOB]))
    assert REVOKED_TEXT in await landing.text()
    assert (await session.post(portal.url(tokens[BOB], "/passcode"))).status == 403
    form = await session.get(portal.url(tokens[BOB], "/sign-in"), allow_redirects=False)
    assert form.status == 303 and form.headers["Location"] == f"/m/{tokens[BOB]}"


async def test_an_expiring_templates_message_expires(portal, session):
    _, tokens = portal.send(mime(template="Contoso Finance"))  # expires after 7 days
    await signed_in(portal, session, tokens[BOB])
    portal.clock.advance(days=7)
    reloaded = await session.get(portal.url(tokens[BOB], "/message"))  # the session is over too: the landing
    text = await reloaded.text()
    assert EXPIRED_TEXT in text and "The figures are attached." not in text
    assert (await session.post(portal.url(tokens[BOB], "/passcode"))).status == 403


async def test_do_not_forward_offers_no_download_and_encrypt_only_does(portal, session):
    files = [("figures.xlsx", b"PK\x03\x04 spreadsheet")]
    _, dnf = portal.send(mime(encrypt="do-not-forward", attachments=files))
    await signed_in(portal, session, dnf[BOB])
    page = await (await session.get(portal.url(dnf[BOB], "/message"))).text()
    assert "Do Not Forward" in page and "figures.xlsx" in page and "/attachments/" not in page
    assert (await session.get(portal.url(dnf[BOB], "/attachments/0"))).status == 404
    files.append(('notes"<b>é.txt', b"hello"))
    _, plain = portal.send(mime(attachments=files))
    await signed_in(portal, session, plain[BOB])
    page = await (await session.get(portal.url(plain[BOB], "/message"))).text()
    assert f'href="/m/{plain[BOB]}/attachments/0"' in page and "Do Not Forward" not in page
    download = await session.get(portal.url(plain[BOB], "/attachments/0"))
    assert await download.read() == files[0][1]
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="figures.xlsx"')
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert [e.actor for e in portal.audit("portal download")] == [BOB]
    assert "notes&quot;&lt;b&gt;é.txt" in page
    odd = await session.get(portal.url(plain[BOB], "/attachments/1"))
    assert await odd.read() == b"hello"
    assert odd.headers["Content-Disposition"] == ('attachment; filename="notes<b>?.txt"; '
                                                  "filename*=UTF-8''notes%3Cb%3E%C3%A9.txt")
    async with browserless() as other:  # not signed in
        assert (await other.get(portal.url(plain[BOB], "/attachments/0"))).status == 404


HOSTILE_HTML = ('<p style="color:red" onclick="steal()">Quarterly <b>numbers</b></p><script>alert(1)</script>'
                '<img src="http://203.0.113.9/pixel.png" onerror="alert(2)"><a href="javascript:alert(3)">x</a>'
                '<iframe src="http://203.0.113.9/"></iframe><style>body{display:none}</style>'
                '<svg onload="alert(4)"><image href="http://203.0.113.9/i.png"/></svg>')


async def test_hostile_content_is_sanitised_or_escaped(portal, session, demo_cli):
    demo_cli("template", "set", "Contoso Secure", "--portal-text", '<script>alert("portal")</script> Welcome')
    subject = '<img src=x onerror=alert(5)> "Q3" & more'
    _, tokens = portal.send(mime(subject=subject, html=HOSTILE_HTML))
    landing = await (await session.get(portal.url(tokens[BOB]))).text()
    assert "&lt;script&gt;alert(&quot;portal&quot;)&lt;/script&gt; Welcome" in landing
    await signed_in(portal, session, tokens[BOB])
    page = await (await session.get(portal.url(tokens[BOB], "/message"))).text()
    assert "Quarterly <b>numbers</b>" in page
    escaped = "&lt;img src=x onerror=alert(5)&gt; &quot;Q3&quot; &amp; more"
    assert escaped in page
    after_style = page.split("</style>", 1)[1].replace(escaped, "")
    for sign in ("<script", "onclick", "onerror", "onload", "<img", "203.0.113.9", "javascript:", "<iframe",
                 "style=", "<svg", "display:none"):
        assert sign not in after_style, sign


async def test_every_response_forbids_scripts_and_remote_content(portal, session):
    _, tokens = portal.send(mime(attachments=[("a.txt", b"a")]))
    token = tokens[BOB]
    code = await portal.request_code(session, token)
    responses = [
        await session.get(portal.url(token)), await session.get(portal.url(token, "/sign-in")),
        await portal.sign_in(session, token, "99999999" if code != "99999999" else "88888888"),
        await portal.sign_in(session, token, code), await session.get(portal.url(token, "/message")),
        await session.get(portal.url(token, "/attachments/0")), await session.get(f"{portal.base}/m/nope"),
        await session.get(f"{portal.base}/"), await session.put(portal.url(token)),
        await session.post(portal.url(token, "/sign-in"), data={"passcode": "1" * 40000}),
        await session.post(portal.url(token, "/passcode"), headers={"Origin": "https://evil.example"}),
    ]
    assert [r.status for r in responses] == [200, 200, 403, 303, 200, 200, 404, 404, 404, 413, 403]
    for response in responses:
        policy = response.headers["Content-Security-Policy"]
        for directive in ("default-src 'none'", "img-src 'none'", "form-action 'self'", "frame-ancestors 'none'",
                          "base-uri 'none'"):
            assert directive in policy, (response.url, policy)
        assert "script-src" not in policy and "unsafe" not in policy
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("headers, allowed", [
    ({"Origin": "http://127.0.0.1:1"}, False),
    ({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, False),
    ({"Origin": "null"}, False),  # a sandboxed frame elsewhere
    ({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, False),
    ({"Sec-Fetch-Site": "same-site"}, False),
    ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, True),  # the portal's own page, under no-referrer
    ({"Origin": "OWN"}, True),
    ({}, True),
])
async def test_a_form_from_another_site_is_refused(portal, session, headers, allowed):
    _, tokens = portal.send()
    headers = {k: portal.base if v == "OWN" else v for k, v in headers.items()}
    answer = await session.post(portal.url(tokens[BOB], "/passcode"), headers=headers, allow_redirects=False)
    assert (answer.status, len(portal.passcode_mails())) == ((303, 1) if allowed else (403, 0))


async def test_oversized_headers_and_too_many_connections_are_turned_away(demo_store, clock, session):
    import asyncio

    capped = PortalServer(demo_store, None, clock=clock, max_connections=2)
    port = await capped.start("127.0.0.1", 0)
    try:
        huge = await session.get(f"http://127.0.0.1:{port}/m/x", headers={"X-Big": "x" * 10000})
        assert huge.status in (400, 431)
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answer = await reader.read()
        assert answer.startswith(b"HTTP/1.1 503") and b"Content-Security-Policy" in answer
        for _, held_writer in [*held, (reader, writer)]:
            held_writer.close()
    finally:
        await capped.stop()


def test_the_portal_listens_on_loopback_only(demo_store):
    from omeconsole.core.errors import UsageError

    with pytest.raises(UsageError, match="not a loopback address"):
        serve_portal(demo_store, "0.0.0.0", 8080, None, print)
    with pytest.raises(UsageError, match="--public-url"):
        serve_portal(demo_store, "127.0.0.1", 8080, "ftp://portal", print)


async def test_a_passcode_is_kept_only_as_a_keyed_hash(portal, session):
    _, tokens = portal.send()
    code = await portal.request_code(session, tokens[BOB])
    stored = b"".join(p.read_bytes() for p in portal.root.rglob("*") if p.is_file())
    assert code.encode() not in stored and base64.b64encode(code.encode()) not in stored


async def test_behind_an_https_public_url_the_session_cookie_is_secure(demo_store, clock, session):
    served = Portal(demo_store, clock)
    served.server = PortalServer(demo_store, "https://portal.contoso.com/", clock=clock)
    served.base = f"http://127.0.0.1:{await served.server.start('127.0.0.1', 0)}"
    try:
        _, tokens = served.send()
        own = {"Origin": "https://portal.contoso.com"}
        asked = await session.post(served.url(tokens[BOB], "/passcode"), headers=own, allow_redirects=False)
        assert asked.status == 303
        (wire,) = served.passcode_mails().values()
        code = re.search(rb"passcode: (\d{8})", wire).group(1).decode()
        signed = await session.post(served.url(tokens[BOB], "/sign-in"), data={"passcode": code}, headers=own,
                                    allow_redirects=False)
        assert signed.status == 303 and "Secure" in signed.headers["Set-Cookie"]
        plain = await session.post(served.url(tokens[BOB], "/passcode"), headers={"Origin": served.base})
        assert plain.status == 403  # its own origin is the public one now
    finally:
        await served.server.stop()


def test_serve_portal_says_where_it_listens_and_stops_cleanly(demo_store):
    import signal
    import subprocess
    import urllib.error
    import urllib.request

    from support.cli import OMECONSOLE, clean_env
    from support.web import free_port

    port = free_port()
    process = subprocess.Popen([*OMECONSOLE, "--store", str(demo_store), "serve", "portal", "--listen",
                                f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True, env=clean_env())
    try:
        said = process.stdout.readline()
        assert said.startswith(f"OME portal listening on 127.0.0.1:{port}"), said + process.stderr.read()
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/m/{'x' * 32}", timeout=30)
        assert bad.value.code == 404 and "Content-Security-Policy" in bad.value.headers
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert (process.returncode, out, err) == (0, "OME portal stopped.\n", "")


def test_every_token_costs_one_hash_and_one_shard_read(demo_store, clock, monkeypatch):
    from omeconsole.core.dkm.unlocking import unlock
    from omeconsole.core.ome.portal_sign_in import PortalDesk

    desk = PortalDesk(Store.open(demo_store), unlock(demo_store, None), clock)
    read, shards = desk.store.get_portal_link, []
    monkeypatch.setattr(desk.store, "get_portal_link",
                        lambda wanted: shards.append(desk.store._portal_path(wanted).name) or read(wanted))
    tokens = ["", "x", "A" * 32, "A" * 31 + "=", "é" * 32, "\udcff" * 8, "../../keyring", "A" * 5000]
    assert [desk.resolve(token) for token in tokens] == [None] * len(tokens)
    assert len(shards) == len(tokens) and all(re.fullmatch(r"[0-9a-f]{2}\.json", name) for name in shards)
