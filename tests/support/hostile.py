"""Hostile text, and every way it enters a store: what the red team planted, and more.

Each string is one kind of attack on whoever reads it: markup that would run an action on a click
or crash a widget, escape sequences a terminal obeys (OSC 52 sets the clipboard, OSC 0 the title,
OSC 8 a link; CSI wipes the screen, moves the cursor, conceals), the C1 form of CSI, NUL and BEL,
bidirectional overrides, zero-width characters, an unterminated OSC that swallows what follows,
and sheer size.

plant_everything puts them in through every way a store takes text; the SSH terminal type, the
one way in that is not the store's, is planted by tests/test_serve_ssh.py.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
import csv
import io
import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from support.cli import CLI
from support.paths import FIXTURES
from omeconsole.core.mail.model import Protection
from omeconsole.core.context import Context
from support.ui import fixed_clock
from omeconsole.core.mail.send import send_message
from omeconsole.core.mail.transport import MailFlow, SmtpEnvelope
from omeconsole.core.store.store import Store

MEGAN = "megan.bowen@contoso.com"
ALEX = "alex.wilber@contoso.com"
HELPDESK = "lynne.robbins@contoso.com"
RECEIVED = "2026-11-20T11:00:00Z"  # just before the UI tests' fixed clock
SMTP_RECEIVED = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)  # what came in over SMTP, before that
PLANT_DIR = "{PLANT_DIR}"  # replaced by a directory a test watches for files

CORPUS = {
    "click-screenshot": f"[@click=app.screenshot('planted.svg','{PLANT_DIR}')]Invoice overdue[/]",
    "click-approve": "[@click=screen.approve]Please approve[/]",
    "click-quit": "[@click=app.quit]Quarterly numbers[/]",
    "bad-closing-tag": "[/x] Invoice",
    "osc52-clipboard": "\x1b]52;c;cm0gLXJmIH4=\x07Clipboard",
    "osc0-title": "\x1b]0;pwned\x07Title",
    "osc8-link": "\x1b]8;;https://evil.example/\x1b\\Click here\x1b]8;;\x1b\\",
    "csi-wipe": "\x1b[2J\x1b[HWiped",
    "fake-status": "Hello\r\x1b[1A\x1b[2KRevoked      : True\x1b[1B",
    "conceal": "\x1b[8mConcealed\x1b[28m",
    "c1-csi": "\x9b2J C1 wipe",
    "bel": "Ring\x07\x07",
    "bidi": "Invoice \u202egpj.exe\u202c and \u2066isolate\u2069",
    "zero-width": "Zero\u200bwidth\u200d\u2060\ufeff",
    "ignorable": "Fill\u3164er\u034f\ufe0f \U000e0041\U000e0042 tags",
    "unterminated-osc": "\x1b]52;c;Swallow the rest",
}
NUL = "Nul\x00byte"
BIG = "B" * 100_000 + "\x1b[2J"
MARKER = "HOSTILE"  # every planted subject starts with it, so a search finds them all
PER_FORMAT = len(CORPUS) + 1  # rows each import format plants: the corpus but one, the NUL, the newline
NUL_ROW, NEWLINE_ROW = PER_FORMAT - 2, PER_FORMAT - 1  # their places in each format's rows
IMPORT_FORMATS = ("ps", "enhanced", "graph", "extended")  # in the order they are planted
EXTENDED = IMPORT_FORMATS.index("extended") * PER_FORMAT  # the first Extended report row's place


def subject(name: str, plant_dir: Path) -> str:
    return f"{MARKER} {name} " + CORPUS[name].replace(PLANT_DIR, str(plant_dir))


# Default_Ignorable_Code_Point characters outside the Cf category (DerivedCoreProperties.txt)
IGNORABLE = {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, *range(0x180B, 0x1810), 0x3164, *range(0xFE00, 0xFE10),
             0xFFA0, *range(0xE0100, 0xE01F0)}


def hidden_characters(text: str) -> list[str]:
    """What a terminal could obey or a reader could not see, written out independently of the product:
    C0 (but the newline), DEL, C1, format characters (bidi, zero-width, tags), the other default
    ignorables (fillers, variation selectors), separators, lone surrogates, unassigned code points."""
    return [repr(c) for c in text if c != "\n" and (
        unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Cn") or ord(c) in IGNORABLE)]


def raw_controls(output: bytes) -> list[str]:
    """The control bytes and hidden characters in what a command wrote."""
    return hidden_characters(output.decode("utf-8"))


@dataclass
class Planted:
    """What went in, and through which way."""

    plant_dir: Path
    sent: dict[str, str] = field(default_factory=dict)  # corpus name -> Message ID
    imported: list[str] = field(default_factory=list)  # Message IDs
    request_id: str = ""
    account_id: str = ""
    refusals: list[str] = field(default_factory=list)  # what each refusal printed
    smtp: list[str] = field(default_factory=list)  # Message IDs that came in through mail flow (SMTP)


def plant_everything(store: Path, plant_dir: Path, work: Path) -> Planted:
    """Every way text enters: send as a plain user (CLI and service), mail flow (the subject, From's display
    name, body and attachment name of mail arriving over SMTP, as RFC 2047 encoded words, which can carry
    anything), the four import formats (the Extended report also as events and statuses kept as written), a
    connected account's login, an access request's reason, and refused commands whose target is audited."""
    planted = Planted(plant_dir)
    cli = CLI(store)
    _send(store, cli, planted, work)
    _smtp(store, planted)
    _import(cli, planted, work)
    _people(cli, planted)
    _refused(cli, planted, work)
    return planted


def _send(store: Path, cli: CLI, planted: Planted, work: Path) -> None:
    body = work / "body.txt"
    body.write_text("Dear Bob,\n\tIndented\n" + "\n".join(CORPUS.values()) + "\n" + NUL + "\n" + BIG,
                    encoding="utf-8")
    megan = Context.open(store, MEGAN, clock=fixed_clock)
    for name in CORPUS:
        text = subject(name, planted.plant_dir)
        if name in ("fake-status", "csi-wipe"):  # through the real CLI, arguments and all
            result = cli("send", "--as", MEGAN, "--from", MEGAN, "--to", "bob.kelly@gmail.com", "--subject",
                         text.replace("\r", ""), "--body-file", body, "--encrypt", "do-not-forward", "--template",
                         "Contoso Secure", "--received", RECEIVED, "--json")
            planted.sent[name] = json.loads(result.stdout)["MessageId"]
        else:
            planted.sent[name] = send_message(megan,
                sender=MEGAN, recipients=["bob.kelly@gmail.com"], subject=text.replace("\r", ""),
                body=body.read_text(encoding="utf-8"), protection=Protection.ENCRYPT_ONLY,
                template="Contoso Secure").message_id


def _encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8", "surrogatepass")).decode("ascii") + "?="


def _smtp(store: Path, planted: Planted) -> None:
    # received an hour before the rest, so the screens' newest rows stay the ones sent above
    flow = MailFlow(Store.open(store), portal_url="http://127.0.0.1:8080", clock=lambda: SMTP_RECEIVED)
    for name in CORPUS:
        text = subject(name, planted.plant_dir) + " smtp"
        body = base64.b64encode(("Dear Bob,\n" + text + "\n").encode("utf-8", "surrogatepass")).decode("ascii")
        data = "\r\n".join([
            f"From: {_encoded(' '.join(text.split()))} <{MEGAN}>",  # (a CR or LF in a display name: 550 5.6.0)
            "To: bob.kelly@gmail.com", f"Subject: {_encoded(text)}",
            "X-OME-Encrypt: encrypt-only", "X-OME-Template: Contoso Secure", "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="b1"', "", "--b1", "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64", "", body, "--b1", "Content-Type: application/octet-stream",
            f'Content-Disposition: attachment; filename="{_encoded(text)}"', "Content-Transfer-Encoding: base64",
            "", body, "--b1--", ""]).encode("ascii")
        message = flow.accept(SmtpEnvelope(MEGAN, ("bob.kelly@gmail.com",), data, "127.0.0.1", "127.0.0.1"))
        assert message.subject.startswith(f"{MARKER} {name}"), message.subject  # the encoded word was read
        planted.smtp.append(message.message_id)


def _import(cli: CLI, planted: Planted, work: Path) -> None:
    texts = [f"{MARKER} import {name} {text}" for name, text in CORPUS.items() if name != "click-screenshot"]
    texts += [f"{MARKER} import nul {NUL}", f"{MARKER} import newline\nRevoked : True"]
    writers = {"ps": _powershell_csv, "enhanced": _enhanced_csv, "graph": _graph_json, "extended": _extended_csv}
    for fmt in IMPORT_FORMATS:
        writer = writers[fmt]
        ids = [f"<{fmt.upper()}{n}@hostile.example>" for n in range(len(texts))]
        path = writer(work, ids, texts)
        result = cli("import", path, "--json")
        assert json.loads(result.stdout)["RowsAdded"] == len(texts), result.stdout
        planted.imported += ids


def _powershell_csv(work: Path, ids: list[str], texts: list[str]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(["Received", "SenderAddress", "RecipientAddress", "Subject", "Status", "MessageId"])
    for message_id, text in zip(ids, texts):
        writer.writerow(["11/20/2026 10:00:00 AM", "mallory@fabrikam.com", "lee.gu@contoso.com", text, "Delivered",
                         message_id])
    path = work / "hostile-ps.csv"
    path.write_text("#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\r\n"
                    + out.getvalue(), encoding="utf-8")
    return path


def _enhanced_csv(work: Path, ids: list[str], texts: list[str]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(["origin_timestamp_utc", "sender_address", "recipient_status", "message_subject", "total_bytes",
                     "message_id", "network_message_id", "original_client_ip", "directionality"])
    for message_id, text in zip(ids, texts):
        writer.writerow(["2026-11-20T10:00:00Z", "mallory@fabrikam.com", "lee.gu@contoso.com##Receive, Deliver",
                         text, "1000", message_id, "", "192.0.2.66", "Incoming"])
    path = work / "hostile-enhanced.csv"
    path.write_bytes(out.getvalue().encode("utf-16"))  # as the admin center writes it: UTF-16 with a BOM
    return path


def _extended_csv(work: Path, ids: list[str], texts: list[str]) -> Path:
    """The Extended report: the text in the subject, and in what an import keeps as written: an event
    no table knows (shown as the event and as the status) and the recipient's status text."""
    columns = ["date_time_utc", "event_id", "message_id", "network_message_id", "recipient_address",
               "recipient_status", "total_bytes", "message_subject", "sender_address", "original_client_ip"]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(columns)
    for message_id, text in zip(ids, texts):
        event = text.removeprefix(f"{MARKER} import ")[:60]
        writer.writerow(["2026-11-20T10:00:00Z", event, message_id, "", "lee.gu@contoso.com", text, "1000", text,
                         "mallory@fabrikam.com", "192.0.2.66"])
    path = work / "hostile-extended.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _graph_json(work: Path, ids: list[str], texts: list[str]) -> Path:
    path = work / "hostile-graph.json"
    path.write_text(json.dumps({"value": [
        {"id": None, "messageId": message_id, "receivedDateTime": "2026-11-20T10:00:00Z",
         "senderAddress": "mallory@fabrikam.com", "recipientAddress": "lee.gu@contoso.com", "subject": text,
         "status": "Delivered", "size": 1000} for message_id, text in zip(ids, texts)]}), encoding="utf-8")
    return path


LOGIN = "[@click=app.quit]mallory[/]"
REASON = "[@click=screen.approve]Please approve: ticket 42 [/x] [b]urgent[/b]"


def _people(cli: CLI, planted: Planted) -> None:
    """What a person types that others see: accepted as text (markup is just text), refused with a
    control character in it."""
    account = cli("accounts", "add", "--as", MEGAN, "--mailbox", MEGAN, "--provider", "gmail", "--login", LOGIN,
                  "--password-stdin", "--json", stdin="hunter2\n")
    planted.account_id = json.loads(account.stdout)["Id"]
    request = cli("access", "request", "--as", ALEX, "--reason", REASON, "--duration", "1h", "--json")
    planted.request_id = json.loads(request.stdout)["Id"]
    for args in (["accounts", "add", "--as", MEGAN, "--mailbox", MEGAN, "--provider", "gmail", "--login",
                  "evil\x1b]52;c;x\x07", "--password-stdin"],
                 ["access", "request", "--as", ALEX, "--reason", "Ticket 42 \x1b[2J wipe", "--duration", "1h"],
                 ["template", "add", "Evil\u202eTemplate"]):
        planted.refusals.append(cli(*args, stdin="pw\n", check=2).stderr)


def _refused(cli: CLI, planted: Planted, work: Path) -> None:
    """Refusals whose target the audit log keeps as it was given: a look at another's account, an
    import by the helpdesk (its path), a template by a plain user (its name)."""
    evil_dir = work / "evil\x1b[2J\x1b]52;c;eA==\x07dir"
    evil_dir.mkdir()
    path = evil_dir / "export.csv"
    path.write_bytes((FIXTURES / "messagetrace-ps51.csv").read_bytes())
    for args, code in ((["accounts", "show", "--as", "diego.siciliani@contoso.com", "CA-\x1b[2J\x9b1A"], 1),
                       (["import", "--as", HELPDESK, str(path)], 1),
                       (["template", "add", "--as", MEGAN, "[@click=app.quit]Quit[/]"], 1)):
        planted.refusals.append(cli(*args, check=code).stderr)
