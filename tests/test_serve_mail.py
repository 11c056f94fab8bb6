"""`omeconsole serve mail` for real: Python's smtplib sends into the server (a subprocess), an aiosmtpd
sink plays the recipients' mail servers, and the Message Trace, the drop folder and the audit log say
what happened. (`test_mail_flow.py` covers the same decisions in-process.)"""

import asyncio
import base64
import email
import email.policy
import re
import signal
import smtplib
import socket
import subprocess
from pathlib import Path

import pytest
from support.cli import CLI, OMECONSOLE, assert_one_line_error, clean_env
from support.smtp_sink import SmtpSink
from support.waiting import within

from omeconsole.core.store.store import Store

SENDER = "megan.bowen@contoso.com"
NATIVE = "alex.wilber@contoso.com"
OUTSIDER = "bob.kelly@gmail.com"
PORTAL = "http://127.0.0.1:8080"
SECRET = "The figures for the salary review are in the attachment."
ATTACHMENT = b"salary,figures\r\nmegan,123456\r\n"
WAIT = 20


class MailServer:
    """`omeconsole serve mail` on 127.0.0.1, a port the system chose."""

    def __init__(self, store: Path, *options: str):
        self.process = subprocess.Popen(
            [*OMECONSOLE, "--store", str(store), "serve", "mail", "--listen", "127.0.0.1:0",
             "--portal-url", PORTAL, *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=clean_env())
        self.said: list[str] = []
        for line in self.process.stdout:  # it says where it listens once it does
            self.said.append(line)
            if line.startswith("Listening on 127.0.0.1:"):
                self.port = int(line.split()[2].split(":")[1])
                return
        raise AssertionError(f"serve mail did not start: {self.said} {self.process.stderr.read()}")

    def client(self) -> smtplib.SMTP:
        return smtplib.SMTP("127.0.0.1", self.port, timeout=WAIT)

    def send(self, data: bytes, recipients=(OUTSIDER, NATIVE), sender=SENDER) -> tuple[int, str]:
        """The DATA answer (code, text) for one message."""
        with self.client() as client:
            client.ehlo()
            assert client.mail(sender)[0] == 250
            for recipient in recipients:
                assert client.rcpt(recipient)[0] == 250
            code, text = client.data(data)
            return code, text.decode()

    def stop(self) -> tuple[str, str]:
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=WAIT)
        assert self.process.returncode == 0, (out, err)
        return "".join(self.said) + out, err


@pytest.fixture
def servers(demo_store):
    started: list[MailServer] = []

    def start(*options: str) -> MailServer:
        started.append(MailServer(demo_store, *options))
        return started[-1]
    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate()


@pytest.fixture
def sink():
    with SmtpSink() as running:
        yield running


def mime(subject="Salary review", body=SECRET, headers=(), message_id=None, to=f"{OUTSIDER}, {NATIVE}",
         attachment=False) -> bytes:
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"], message["To"], message["Subject"] = SENDER, to, subject
    for header in headers:
        name, value = header.split(": ", 1)
        message[name] = value
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body)
    if attachment:
        message.add_attachment(ATTACHMENT, maintype="text", subtype="csv", filename="figures.csv")
    return message.as_bytes()


def parsed(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def text_parts(mail) -> str:
    return "".join(p.get_content() for p in mail.walk() if p.get_content_maintype() == "text")


def message_of(store: Path, message_id: str):
    return Store.open(store).get_message(message_id)


async def until(condition, what: str, seconds: float = WAIT) -> None:
    """Wait for CONDITION (read from the store, so it is looked at often)."""
    async def check():
        while not condition():
            await asyncio.sleep(0.02)
    await within(seconds, check(), what)


async def settled(store: Path, message_id: str, *statuses: str) -> None:
    def done():
        message = message_of(store, message_id)
        return message is not None and all(r.status.value in statuses for r in message.recipients)
    await until(done, f"every recipient of {message_id} {' or '.join(statuses)}")


def events(cli: CLI, message_id: str, recipient: str) -> list[dict]:
    return cli.json("trace-detail", "--message-id", message_id, "--recipient", recipient)


def trace(cli: CLI, message_id: str) -> dict[str, dict]:
    return {row["RecipientAddress"]: row for row in cli.json("trace", "--message-id", message_id)}


async def test_encrypted_mail_reaches_each_recipient_as_ome_gives_it(demo_store, demo_cli, servers, sink):
    server = servers("--relay", sink.address)
    data = mime(headers=["X-OME-Encrypt: encrypt-only"], message_id="<review-1@megan.contoso.com>", attachment=True)
    assert server.send(data) == (250, "2.6.0 <review-1@megan.contoso.com> Queued mail for delivery")
    await sink.wait_for(2)
    (native,), (wrapper,) = sink.to(NATIVE), sink.to(OUTSIDER)
    assert native.rcpt_tos == (NATIVE,) and native.mail_from == SENDER
    copy = parsed(native.data)
    assert SECRET in text_parts(copy) and next(copy.iter_attachments()).get_content() == ATTACHMENT.decode()
    assert not [h for h in copy if h.lower().startswith("x-ome-")]
    assert wrapper.rcpt_tos == (OUTSIDER,)
    outer = parsed(wrapper.data)
    assert outer["Subject"] == "Salary review" and b"X-OME" not in wrapper.data
    links = set(re.findall(rf"{re.escape(PORTAL)}/m/[A-Za-z0-9_-]+", text_parts(outer)))
    assert len(links) == 1 and len(links.pop().rsplit("/", 1)[1]) >= 22  # 128 bits or more
    assert SECRET not in text_parts(outer) and not list(outer.iter_attachments())
    for hidden in (SECRET.encode(), ATTACHMENT, base64.b64encode(ATTACHMENT)):
        assert hidden not in wrapper.data
    await settled(demo_store, "<review-1@megan.contoso.com>", "Delivered")
    rows = trace(demo_cli, "<review-1@megan.contoso.com>")
    assert {r["Status"] for r in rows.values()} == {"Delivered"} and set(rows) == {OUTSIDER, NATIVE}
    assert {(r["Size"], r["FromIP"], r["ToIP"]) for r in rows.values()} == {(len(data), "127.0.0.1", "127.0.0.1")}
    sent = events(demo_cli, "<review-1@megan.contoso.com>", OUTSIDER)
    assert [e["Event"] for e in sent] == ["Receive", "Send"] and "(X-OME-Encrypt)" in sent[0]["Detail"]
    assert sent[1]["Detail"].startswith("250 ") and sink.address in sent[1]["Detail"]
    server.stop()


async def test_unencrypted_mail_is_relayed_as_is_and_a_missing_message_id_is_made(demo_store, demo_cli, servers, sink):
    server = servers("--relay", sink.address)
    data = mime(subject="Lunch?", body="Noon at the usual place?")
    code, text = server.send(data)
    message_id = text.split()[1]
    assert code == 250 and re.fullmatch(r"<[A-Z0-9]+@[a-z0-9]+\.namprd\d\d\.prod\.outlook\.com>", message_id)
    (relayed,) = await sink.wait_for(1)
    assert relayed.rcpt_tos == (OUTSIDER, NATIVE)
    assert relayed.data.endswith(data) and parsed(relayed.data)["Message-ID"] == message_id
    await settled(demo_store, message_id, "Delivered")
    assert [e["Event"] for e in events(demo_cli, message_id, NATIVE)] == ["Receive", "Send"]
    utf8 = (f"From: {SENDER}\r\nTo: {OUTSIDER}\r\nSubject: Café à midi ?\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "On se retrouve où ?\r\n").encode()
    with server.client() as client:
        client.sendmail(SENDER, [OUTSIDER], utf8, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    (_, relayed_utf8) = await sink.wait_for(2)
    assert "Subject: Café à midi ?".encode() in relayed_utf8.data  # 8-bit headers travel as they came
    server.stop()


async def test_the_drop_folder_gets_one_eml_per_message_and_a_rule_encrypts_by_policy(demo_store, demo_cli,
                                                                                        servers, tmp_path):
    demo_cli("rule", "add", "Salary", "--subject-contains", "salary", "--encrypt", "do-not-forward")
    drop = tmp_path / "drop"
    server = servers("--drop-dir", str(drop))
    assert server.send(mime(message_id="<policy@megan.contoso.com>"))[0] == 250
    assert server.send(mime(subject="Lunch?", message_id="<lunch@megan.contoso.com>"))[0] == 250
    await settled(demo_store, "<policy@megan.contoso.com>", "Delivered")
    await settled(demo_store, "<lunch@megan.contoso.com>", "Delivered")
    files = sorted(drop.iterdir())
    assert len(files) == 3 and all(f.suffix == ".eml" for f in files)  # native copy, wrapper, the lunch mail
    mails = [parsed(f.read_bytes()) for f in files]
    by_policy = [m for m in mails if m["Subject"] == "Salary review"]
    assert sorted(m.get_all("X-Receiver")[0] for m in by_policy) == [NATIVE, OUTSIDER]
    wrapper = next(m for m in by_policy if m["X-Receiver"] == OUTSIDER)
    assert SECRET not in text_parts(wrapper) and f"{PORTAL}/m/" in text_parts(wrapper)
    received = events(demo_cli, "<policy@megan.contoso.com>", OUTSIDER)[0]
    assert received["Event"] == "Receive" and 'Do Not Forward by the mail flow rule "Salary"' in received["Detail"]
    assert [e["Event"] for e in events(demo_cli, "<lunch@megan.contoso.com>", OUTSIDER)] == ["Receive", "Deliver"]
    assert not [p for p in drop.iterdir() if p.name.startswith(".")]  # no temporary file left behind
    queue_a_passcode_as_the_portal_does(demo_store)
    await until(lambda: len(list(drop.glob("*.eml"))) == 4, "the portal's passcode mail in the drop folder")
    (passcode,) = [parsed(f.read_bytes()) for f in drop.glob("*.eml") if f not in files]
    assert passcode["X-Receiver"] == OUTSIDER and "12345678" in text_parts(passcode)
    server.stop()


def queue_a_passcode_as_the_portal_does(store: Path) -> None:
    """Another process queues a passcode mail: serve mail finds it on its own, within half a second."""
    from omeconsole.core.dkm.unlocking import unlock
    from omeconsole.core.mail.outbound import queue_passcode_mail
    from omeconsole.core.tenant.model import DEFAULT_TEMPLATE
    from omeconsole.core.text.times import utcnow

    opened = Store.open(store)
    with opened.writing():
        tenant = opened.load_tenant()
        queue_passcode_mail(opened, unlock(store, None), utcnow, recipient=OUTSIDER, code="12345678",
                            organization=tenant.organization, template=tenant.template(DEFAULT_TEMPLATE))


async def test_a_relay_down_then_back_delivers_each_acknowledged_message_exactly_once(demo_store, demo_cli,
                                                                                      servers, sink):
    server = servers("--relay", sink.address)
    sink.stop()
    ids = [f"<down-{n}@megan.contoso.com>" for n in range(3)]
    for message_id in ids:
        assert server.send(mime(subject="Lunch?", message_id=message_id), recipients=(OUTSIDER,))[0] == 250
    for message_id in ids:
        await until(lambda m=message_id: "Defer" in [e.event for e in message_of(demo_store, m).recipients[0].events],
                    f"a Defer event for {message_id}")
    assert {r["Status"] for r in trace(demo_cli, ids[0]).values()} == {"Pending"}
    assert "connection refused" in events(demo_cli, ids[0], OUTSIDER)[-1]["Detail"]
    sink.start()
    for message_id in ids:
        await settled(demo_store, message_id, "Delivered")
    arrived = [parsed(m.data)["Message-ID"] for m in sink.received()]
    assert sorted(arrived) == sorted(ids)
    assert events(demo_cli, ids[0], OUTSIDER)[-1]["Event"] == "Send"
    assert server.stop()[1] == ""  # a relay that is down is a deferral, not an error


async def test_a_5xx_fails_at_once_and_a_4xx_fails_after_the_retry_window(demo_store, demo_cli, servers, sink):
    server = servers("--relay", sink.address, "--retry-window", "2s")
    sink.answer("550 5.1.1 User unknown", times=1)
    bounce = mime(subject="Lunch?", message_id="<bounce@megan.contoso.com>")
    assert server.send(bounce, recipients=(OUTSIDER,))[0] == 250
    await settled(demo_store, "<bounce@megan.contoso.com>", "Failed")
    failed = events(demo_cli, "<bounce@megan.contoso.com>", OUTSIDER)
    assert [e["Event"] for e in failed] == ["Receive", "Fail"] and "550 5.1.1 User unknown" in failed[-1]["Detail"]
    sink.answer("451 4.3.0 Try again later")
    later = mime(subject="Lunch?", message_id="<later@megan.contoso.com>")
    assert server.send(later, recipients=(OUTSIDER,))[0] == 250
    await settled(demo_store, "<later@megan.contoso.com>", "Failed")
    tried = [e["Event"] for e in events(demo_cli, "<later@megan.contoso.com>", OUTSIDER)]
    assert tried[0] == "Receive" and tried[-1] == "Fail" and "Defer" in tried
    assert sink.received() == [] and Store.open(demo_store).queued() == ([], [])
    server.stop()


def _store_files(root: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file() and p.name not in ("store.lock",
                                                                                                 "audit.jsonl")}


def _refusals(cli: CLI) -> list[dict]:
    return [e for e in cli.json("audit") if e["Action"] == "smtp refused"]


async def test_bad_input_gets_its_smtp_answer_changes_nothing_and_is_audited_per_minute(demo_store, demo_cli,
                                                                                        servers, tmp_path):
    drop = tmp_path / "drop"
    server = servers("--drop-dir", str(drop))
    before = _store_files(demo_store)
    malformed = b"From: megan.bowen@contoso.com\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n"
    eight_bit = b"From: megan.bowen@contoso.com\r\nSubject: caf\xe9\r\n\r\nbody\r\n"
    assert server.send(malformed)[0] == 550
    code, text = server.send(eight_bit)
    assert (code, text[:5]) == (550, "5.6.0")
    with server.client() as client:
        client.ehlo()
        assert client.mail("mallory@fabrikam.com")[:1] == (550,)
        assert client.mail("not an address")[0] == 501
        assert client.mail(SENDER) == (250, b"2.1.0 Sender OK")
        assert client.rcpt("bob@@gmail")[0] == 501
        assert [client.rcpt(f"user{n}@fabrikam.example")[0] for n in range(500)] == [250] * 500
        assert client.rcpt("one.more@fabrikam.example") == (452, b"4.5.3 Too many recipients")
        client.rset()
        # 30 MB, without the SIZE= that smtplib would add: aiosmtpd reads it away and answers at its end
        assert client.mail(SENDER)[0] == 250 and client.rcpt(OUTSIDER)[0] == 250
        big = (b"From: megan.bowen@contoso.com\r\n\r\n" + b"x" * 998 + b"\r\n") * 30_000
        assert client.data(big) == (552, b"5.3.4 Message size exceeds fixed maximum message size")
        assert client.mail(SENDER)[0] == 250 and client.rcpt(OUTSIDER)[0] == 250
        assert client.data(b"Subject: one line\r\n\r\n" + b"y" * 70_000 + b"\r\n") == (500, b"5.5.2 Line too long")
        refused = client.mail(SENDER, ["SIZE=31457280"])
        assert refused == (552, b"5.3.4 Message size exceeds fixed maximum message size")
    assert _store_files(demo_store) == before and not list(drop.iterdir())
    await until(lambda: b'"smtp refused"' in (demo_store / "audit.jsonl").read_bytes(), "the first refusal audited")
    first = _refusals(demo_cli)
    assert len(first) == 1 and first[0]["Actor"] == "smtp client 127.0.0.1"
    said, errors = server.stop()
    assert errors == "" and "Traceback" not in said and said.rstrip().endswith("stays queued for the next start.")
    after_stop = _refusals(demo_cli)  # the rest of the minute, as one entry with its count
    assert len(after_stop) == 2 and "8 more refusal(s)" in after_stop[1]["Detail"]


def test_serve_mail_refuses_what_it_cannot_do_in_one_line(demo_cli, tmp_path):
    base = ["serve", "mail", "--portal-url", PORTAL, "--drop-dir", str(tmp_path / "drop")]
    assert_one_line_error(demo_cli(*base, "--listen", "0.0.0.0:2525", check=2), "loopback")
    assert_one_line_error(demo_cli(*base, "--relay", "127.0.0.1:25", check=2), "--relay")
    assert_one_line_error(demo_cli("serve", "mail", "--portal-url", PORTAL, check=2), "--relay")
    for url in ("ftp://portal.example", "http://", "https://portal.example/?a=1", "http://p.example/#x"):
        assert_one_line_error(demo_cli("serve", "mail", "--portal-url", url, "--relay", "127.0.0.1:25", check=2),
                              "--portal-url")
    assert_one_line_error(demo_cli("serve", "mail", "--portal-url", PORTAL, "--relay", "nowhere", check=2), "--relay")
    assert_one_line_error(demo_cli(*base, "--retry-window", "soon", check=2), "retry window")
    assert not (tmp_path / "drop").exists()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        assert_one_line_error(demo_cli(*base, "--listen", busy, check=1), f"cannot listen on {busy}")


def test_serve_portal_is_wired(demo_cli):
    result = demo_cli("serve", "portal", "--help")
    assert "--public-url" in result.stdout and "--listen" in result.stdout


@pytest.fixture
def no_store(tmp_path):
    return CLI(tmp_path / "nothing")


def test_serve_mail_without_a_store_says_so_in_one_line(no_store, tmp_path):
    assert_one_line_error(no_store("serve", "mail", "--portal-url", PORTAL, "--relay", "127.0.0.1:25", check=1),
                          "no omeconsole store")

