"""Mail flow's decisions, in-process on an injected clock: who may send, how encryption is decided,
what each kind of recipient gets, what the Message Trace records, and the queue's retries.
(`test_serve_mail.py` drives the same through a real SMTP server and client.)"""

import base64
import email
import email.policy
import re
from datetime import timedelta
from pathlib import Path

import pytest

from omeconsole.core.errors import NotFound
from omeconsole.core.mail.portal_link import link_id
from omeconsole.core.mail.transport import MailFlow, SmtpEnvelope, SmtpReply
from omeconsole.core.ome.portal import open_in_portal
from omeconsole.core.store.store import Store
from support.cli import CLI, assert_one_line_error

SENDER = "megan.bowen@contoso.com"
PORTAL = "http://127.0.0.1:8080"


def mime(subject="Salary review", body="The figures are attached.", sender=SENDER,
         to="bob.kelly@gmail.com, alex.wilber@contoso.com", headers=(), message_id=None) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", *headers]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode("utf-8")


@pytest.fixture
def flow(demo_store, clock) -> MailFlow:
    return MailFlow(Store.open(demo_store), portal_url=PORTAL, clock=clock)


def send(flow, data, recipients=("bob.kelly@gmail.com", "alex.wilber@contoso.com"), sender=SENDER):
    return flow.accept(SmtpEnvelope(sender, tuple(recipients), data, "127.0.0.1", "127.0.0.1"))


def queued_mail(flow) -> dict[str, email.message.EmailMessage]:
    """recipient -> the mail the queue would hand on to them."""
    found = {}
    for delivery in flow.queue.all():
        parsed = email.message_from_bytes(flow.queue.wire_bytes(delivery), policy=email.policy.default)
        for recipient in delivery.recipients:
            found[recipient] = parsed
    return found


def test_the_sender_must_be_a_tenant_mailbox_on_this_machine(flow):
    assert flow.check_sender("<Megan.Bowen@Contoso.com>", "127.0.0.1") == SENDER
    with pytest.raises(SmtpReply) as outsider:
        flow.check_sender("mallory@fabrikam.com", "127.0.0.1")
    assert outsider.value.line().startswith("550 5.7.1 Unable to relay")
    with pytest.raises(SmtpReply) as remote:
        flow.check_sender(SENDER, "198.51.100.7")
    assert remote.value.line().startswith("550 5.7.1")
    with pytest.raises(SmtpReply) as bad:
        flow.check_sender("not an address", "127.0.0.1")
    assert bad.value.line() == "501 5.1.7 Bad sender address syntax"
    with pytest.raises(SmtpReply) as bad_rcpt:
        flow.check_recipient("bob@@gmail")
    assert bad_rcpt.value.line() == "501 5.1.3 Bad recipient address syntax"


def test_encrypted_by_the_user_each_recipient_gets_what_ome_gives_them(flow, demo_store):
    data = mime(headers=["X-OME-Encrypt: encrypt-only", "X-OME-Template: contoso secure"],
                message_id="<client-1@megan.contoso.com>")
    message = send(flow, data)
    assert message.message_id == "<client-1@megan.contoso.com>"
    assert (message.protection.value, message.method.label, message.template) == ("encrypt-only", "By user",
                                                                                     "Contoso Secure")
    assert message.size == len(data) and message.from_ip == "127.0.0.1"
    mail = queued_mail(flow)
    native, wrapper = mail["alex.wilber@contoso.com"], mail["bob.kelly@gmail.com"]
    assert "The figures are attached." in native.get_content()
    assert not [h for h in native.keys() if h.lower().startswith("x-ome-")]
    assert native["Received"] and native["Message-ID"] == "<client-1@megan.contoso.com>"
    wrapper_text = flow.queue.wire_bytes(next(d for d in flow.queue.all() if d.recipients == ["bob.kelly@gmail.com"]))
    assert b"The figures are attached." not in wrapper_text and b"X-OME" not in wrapper_text
    assert wrapper["Subject"] == "Salary review"
    links = set(re.findall(rf"{re.escape(PORTAL)}/m/[A-Za-z0-9_-]+", _all_text(wrapper)))
    assert len(links) == 1
    token = links.pop().rsplit("/", 1)[1]
    assert len(token) >= 22  # at least 128 random bits of URL-safe base64
    row = message.recipient("bob.kelly@gmail.com")
    assert row.link_id == link_id(token) and token.encode() not in _store_bytes(demo_store)
    assert b"The figures are attached." not in _store_bytes(demo_store)  # queue and portal copy are sealed
    assert Store.open(demo_store).get_portal_link(link_id(token)).recipient == "bob.kelly@gmail.com"


def _all_text(mail) -> str:
    return "".join(part.get_content() for part in mail.walk() if part.get_content_maintype() == "text")


def _store_bytes(root) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_a_mail_flow_rule_encrypts_by_policy(flow, demo_cli):
    demo_cli("rule", "add", "Salary", "--subject-contains", "SALARY", "--encrypt", "do-not-forward",
             "--template", "Contoso Legal")
    message = send(flow, mime(subject="Your salary letter"))
    assert (message.protection.value, message.method.label, message.template) == ("do-not-forward", "By policy",
                                                                                     "Contoso Legal")
    assert message.expires_at == message.received + timedelta(days=30)  # Contoso Legal expires in 30 days
    plain = send(flow, mime(subject="Lunch?"))
    assert not plain.is_encrypted and plain.template is None
    assert [r.experience for r in plain.recipients] == [None, None]
    (relayed,) = [d for d in flow.queue.all() if d.message_id == plain.message_id]
    assert relayed.recipients == ["bob.kelly@gmail.com", "alex.wilber@contoso.com"]
    assert b"Subject: Lunch?" in flow.queue.wire_bytes(relayed)


def test_the_portal_copy_opens_for_the_signed_in_recipient_only(flow, demo_store, clock):
    from omeconsole.core.context import Context

    message = send(flow, mime(headers=["X-OME-Encrypt: encrypt-only", "X-OME-Template: Contoso Secure"]))
    view = open_in_portal(Context.open(demo_store, "bob.kelly@gmail.com", clock=clock), message.message_id,
                          "bob.kelly@gmail.com")
    assert view.state == "available" and view.content["body"].startswith("The figures are attached.")
    assert view.content["from"] == SENDER
    with pytest.raises(NotFound):
        open_in_portal(Context.open(demo_store, "eve@gmail.com", clock=clock), message.message_id,
                       "bob.kelly@gmail.com")


@pytest.mark.parametrize("data, reply", [
    (mime(sender="lynne.robbins@contoso.com"), "550 5.7.60"),
    (mime(headers=["X-OME-Encrypt: maybe"]), "550 5.6.0"),
    (mime(headers=["X-OME-Encrypt: encrypt-only", "X-OME-Template: No Such Template"]), "550 5.6.0"),
    (b"From: megan.bowen@contoso.com\r\nSubject: caf\xe9\r\n\r\nbody\r\n", "550 5.6.0"),
    (b"From: megan.bowen@contoso.com\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n", "550 5.6.0"),
    (b"x" * (25 * 1024 * 1024 + 1), "552 5.3.4"),
    (b"From: =?utf-8?b?" + base64.b64encode(b"Megan\r\nBcc: x") + b"?= <megan.bowen@contoso.com>\r\n\r\nx\r\n",
     "550 5.6.0"),
])
def test_bad_mail_is_refused_and_changes_nothing(flow, demo_store, data, reply):
    before = {p: p.stat().st_mtime_ns for p in demo_store.rglob("*") if p.is_file() and p.name != "store.lock"}
    with pytest.raises(SmtpReply) as refused:
        send(flow, data)
    assert refused.value.line().startswith(reply)
    after = {p: p.stat().st_mtime_ns for p in demo_store.rglob("*") if p.is_file() and p.name != "store.lock"}
    assert after == before


def test_a_repeated_message_id_is_queued_once_and_a_stolen_one_refused(flow):
    data = mime(message_id="<again@megan.contoso.com>")
    first = send(flow, data)
    assert send(flow, data).trace_id == first.trace_id
    assert sum(len(d.recipients) for d in flow.queue.all()) == 2
    with pytest.raises(SmtpReply) as stolen:
        send(flow, mime(message_id="<again@megan.contoso.com>", body="something else entirely"))
    assert stolen.value.line().startswith("550 5.6.0")


@pytest.mark.parametrize("given", [None, "not an id at all"])
def test_without_a_readable_message_id_one_is_made_and_carried(flow, given):
    message = send(flow, mime(message_id=given))
    assert re.fullmatch(r"<[A-Z0-9]+@[a-z0-9]+\.namprd\d\d\.prod\.outlook\.com>", message.message_id)
    for mail in queued_mail(flow).values():
        assert mail.get_all("Message-ID") == [message.message_id]


def test_the_queue_retries_with_backoff_then_fails_after_the_window(flow, clock, demo_store):
    clock.now = clock.now.replace(microsecond=0)  # stored times are whole seconds
    message = send(flow, mime(subject="Lunch?"), recipients=("bob.kelly@gmail.com",))
    flow.queue.retry_window = timedelta(minutes=5)
    (delivery,) = flow.queue.due()
    flow.queue.deferred(delivery, delivery.recipients, "451 4.4.0 try later")
    assert flow.queue.due() == [] and [d.due_at for d in flow.queue.all()] == [clock.now + timedelta(seconds=1)]
    clock.advance(seconds=1)
    (delivery,) = flow.queue.due()
    flow.queue.deferred(delivery, delivery.recipients, "451 4.4.0 try later")
    assert [d.due_at for d in flow.queue.all()] == [clock.now + timedelta(seconds=2)]
    row = Store.open(demo_store).get_message(message.message_id).recipients[0]
    assert row.status.value == "Pending" and [e.event for e in row.events] == ["Receive", "Defer", "Defer"]
    clock.advance(minutes=5)
    (delivery,) = flow.queue.due()
    flow.queue.deferred(delivery, delivery.recipients, "451 4.4.0 try later")
    row = Store.open(demo_store).get_message(message.message_id).recipients[0]
    assert row.status.value == "Failed" and row.events[-1].event == "Fail"
    assert flow.queue.all() == []


def test_delivered_records_send_with_the_relay_address(flow, demo_store):
    message = send(flow, mime(subject="Lunch?"))
    (delivery,) = flow.queue.due()
    flow.queue.delivered(delivery, ["bob.kelly@gmail.com"], event="Send", detail="250 2.0.0 OK", to_ip="127.0.0.1")
    assert flow.queue.all()[0].recipients == ["alex.wilber@contoso.com"]
    rows = {r.address: r for r in Store.open(demo_store).get_message(message.message_id).recipients}
    assert rows["bob.kelly@gmail.com"].status.value == "Delivered" and rows["bob.kelly@gmail.com"].to_ip == "127.0.0.1"
    assert rows["alex.wilber@contoso.com"].status.value == "Pending"


def test_hostile_subject_and_template_texts_are_escaped_in_the_wrapper(flow, demo_cli):
    demo_cli("template", "set", "Contoso Secure", "--introduction-text", "<b onclick=x()>sent</b>",
             "--disclaimer-text", "<script>alert(1)</script>")
    send(flow, mime(subject='<img src="http://evil.example/x.png"> [@click=app.quit]',
                    headers=["X-OME-Encrypt: encrypt-only", "X-OME-Template: Contoso Secure"]))
    html = next(p for p in queued_mail(flow)["bob.kelly@gmail.com"].walk() if p.get_content_type() == "text/html")
    text = html.get_content()
    assert "<script>" not in text and "<img" not in text and "<b onclick" not in text
    assert "&lt;script&gt;" in text and "&lt;img" in text


def test_rules_are_for_global_administrators_and_audited(demo_cli: CLI):
    refused = demo_cli("rule", "add", "R", "--from", SENDER, "--encrypt", "encrypt-only",
                       "--as", "lynne.robbins@contoso.com", check=1)
    assert_one_line_error(refused, "Global Administrator")
    added = demo_cli("rule", "add", "To Fabrikam", "--sent-to-domain", "@Fabrikam.COM", "--encrypt", "encrypt-only")
    assert 'when a recipient is in "fabrikam.com"' in added.stdout
    assert_one_line_error(demo_cli("rule", "add", "to fabrikam", "--from", SENDER, "--encrypt", "encrypt-only",
                                   check=1), "already exists")
    assert_one_line_error(demo_cli("rule", "add", "X", "--from", SENDER, "--encrypt", "rot13", check=2))
    assert_one_line_error(demo_cli("rule", "add", "X", "--from", SENDER, "--encrypt", "encrypt-only",
                                   "--template", "Nope", check=1), "no branding template")
    assert [r["Name"] for r in demo_cli.json("rule", "list")] == ["To Fabrikam"]
    demo_cli("rule", "remove", "TO FABRIKAM")
    assert demo_cli.json("rule", "list") == []
    actions = [(e["Action"], e["Outcome"]) for e in demo_cli.json("audit", "--last", "6")]
    assert ("rule add", "refused") in actions and ("rule add", "success") in actions
    assert ("rule remove", "success") in actions


def test_template_set_changes_only_what_is_given(demo_cli: CLI):
    demo_cli("template", "set", "Contoso Finance", "--otp-enabled", "false", "--background-color", "#ABC")
    (finance,) = [t for t in demo_cli.json("template", "list") if t["Identity"] == "Contoso Finance"]
    assert (finance["OTPEnabled"], finance["BackgroundColor"], finance["ExternalMailExpiryInDays"]) == (
        False, "#aabbcc", 7)
    assert_one_line_error(demo_cli("template", "set", "Contoso Finance", "--background-color", "red", check=2),
                          "#RRGGBB")
    assert_one_line_error(demo_cli("template", "set", "OME Configuration", "--expiry-days", "5", check=1),
                          "default template")
    assert_one_line_error(demo_cli("template", "set", "Contoso Finance", "--portal-text", "a\x1b[2Jb", check=2))


async def test_details_shows_whether_and_when_each_link_based_recipient_opened_it(ui_store):
    from support.ui import console_app, fixed_clock, settle, text_of

    flow = MailFlow(Store.open(ui_store), portal_url=PORTAL, clock=fixed_clock)
    message = send(flow, mime(headers=["X-OME-Encrypt: encrypt-only", "X-OME-Template: Contoso Secure"],
                              to="bob.kelly@gmail.com, lee@fabrikam.example"),
                   recipients=("bob.kelly@gmail.com", "lee@fabrikam.example"))
    store = Store.open(ui_store)
    link = store.get_portal_link(message.recipient("bob.kelly@gmail.com").link_id)
    link.opened += [fixed_clock(), fixed_clock() + timedelta(minutes=3)]
    with store.writing():
        store.put_portal_link(link)
    app = console_app(ui_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        app.main.select(message.message_id, show=True)
        await settle(app, pilot)
        body = text_of(app.screen.query_one("#details-body"))
    assert "Opened in portal" in body
    bob = next(line for line in body.splitlines() if "bob.kelly@gmail.com" in line)
    lee = next(line for line in body.splitlines() if "lee@fabrikam.example" in line)
    assert fixed_clock().strftime("%Y-%m-%d %H:%M") in bob and "+1 more" in body
    assert "not opened" in lee


def test_a_bcc_recipient_is_never_shown_to_the_others(flow, demo_store, clock):
    from omeconsole.core.context import Context

    message = send(flow, mime(to="bob.kelly@gmail.com", headers=["X-OME-Encrypt: encrypt-only",
                                                                  "X-OME-Template: Contoso Secure"]),
                   recipients=("bob.kelly@gmail.com", "carol@fabrikam.example"))  # Carol is Bcc'd
    view = open_in_portal(Context.open(demo_store, "bob.kelly@gmail.com", clock=clock), message.message_id,
                          "bob.kelly@gmail.com")
    assert view.content["to"] == ["bob.kelly@gmail.com"]


def test_the_same_message_id_to_other_recipients_is_refused_not_dropped(flow):
    data = mime(to="bob.kelly@gmail.com", message_id="<twice@megan.contoso.com>")
    send(flow, data, recipients=("bob.kelly@gmail.com",))
    with pytest.raises(SmtpReply) as refused:
        send(flow, data, recipients=("carol@fabrikam.example",))
    assert refused.value.line().startswith("550 5.6.0") and "new Message-ID" in refused.value.text


def test_any_mailbox_sends_its_own_mail_whatever_its_console_role(flow):
    helpdesk = "lynne.robbins@contoso.com"
    message = send(flow, mime(sender=helpdesk, subject="Lunch?"), sender=helpdesk)
    assert message.sender == helpdesk and flow.queue.all()


def test_a_crash_before_the_message_landed_leaves_deliveries_that_are_dropped(flow, demo_store):
    from tinydb import Query

    from omeconsole.core.store.files import open_db

    message = send(flow, mime(subject="Lunch?"))
    store = Store.open(demo_store)
    shard = demo_store / "messages" / f"{store.shard_of(message.message_id)}.json"
    with store.writing(), open_db(shard) as db:  # as if its queue files had landed and the message had not
        db.table("messages").remove(Query().message_id == message.message_id)
    assert not store.message_exists(message.message_id) and flow.queue.all()
    assert flow.queue.drop_unacknowledged() == 1
    assert flow.queue.all() == []


def test_one_damaged_queue_file_is_named_and_the_rest_go_on(flow, demo_store):
    send(flow, mime(subject="Lunch?"))
    (demo_store / "queue" / "00000000000000damaged.json").write_text("{not json")
    assert len(flow.queue.all()) == 1
    assert [Path(d.path).name for d in flow.queue.damaged] == ["00000000000000damaged.json"]
    assert (demo_store / "queue" / "00000000000000damaged.json").read_text() == "{not json"  # left as it was
