"""The mail a link-based recipient gets instead of the message: branded from the template, with the
original subject and exactly one link to the OME portal; and the one-time passcode mail. Neither
holds the body or an attachment. Every piece of text from data is HTML-escaped."""

from __future__ import annotations

import html
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime

from omeconsole.core.tenant.model import BrandingTemplate

DEFAULT_INTRODUCTION = "has sent you a protected message."
DEFAULT_READ_BUTTON = "Read the message"
PASSCODE_SUBJECT = "Your one-time passcode to view the message"
FOOTER = "Message encryption by omeconsole, the Office 365 Message Encryption portal of {organization}."


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _mail(sender: str, recipient: str, subject: str, when: datetime, message_id: str | None) -> EmailMessage:
    mail = EmailMessage(policy=SMTP)
    mail["From"] = sender
    mail["To"] = recipient
    mail["Subject"] = _one_line(subject)
    mail["Date"] = format_datetime(when)
    if message_id:
        mail["Message-ID"] = message_id
    return mail


def _wire(mail: EmailMessage) -> bytes:
    try:
        return mail.as_bytes(policy=SMTP)
    except UnicodeEncodeError:  # an address with non-ASCII characters needs SMTPUTF8
        return mail.as_bytes(policy=SMTPUTF8)


def wrapper_mail(*, sender: str, recipient: str, subject: str, message_id: str, when: datetime, url: str,
                 organization: str, template: BrandingTemplate) -> bytes:
    introduction = template.introduction_text or DEFAULT_INTRODUCTION
    button = template.read_button_text or DEFAULT_READ_BUTTON
    footer = FOOTER.format(organization=organization)
    mail = _mail(sender, recipient, subject, when, message_id)
    mail.set_content("\n\n".join(filter(None, [
        f"{sender} {introduction}", template.email_text, f"{button}: {url}", template.disclaimer_text, footer])))
    mail.add_alternative(_wrapper_html(sender, subject, url, introduction, button, footer, organization, template),
                         subtype="html")
    return _wire(mail)


def _wrapper_html(sender, subject, url, introduction, button, footer, organization, template) -> str:
    e = html.escape
    colour = template.background_color  # validated #rrggbb
    email_text = f'<p style="margin:0 0 16px">{e(template.email_text)}</p>' if template.email_text else ""
    disclaimer = (f'<p style="margin:16px 0 0;font-size:12px;color:#555">{e(template.disclaimer_text)}</p>'
                  if template.disclaimer_text else "")
    return f"""<!DOCTYPE html>
<html><body style="margin:0;background:#f3f2f1;font-family:Segoe UI,Helvetica,Arial,sans-serif">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="background:#fff">
<tr><td style="background:{colour};color:#fff;padding:16px 24px;font-size:18px">{e(organization)}</td></tr>
<tr><td style="padding:24px;color:#201f1e;font-size:15px">
<p style="margin:0 0 16px"><b>{e(sender)}</b> {e(introduction)}</p>
<p style="margin:0 0 16px;color:#605e5c">{e(subject)}</p>
{email_text}<p style="margin:24px 0"><a href="{e(url)}" style="background:{colour};color:#fff;padding:10px 20px;
text-decoration:none;display:inline-block">{e(button)}</a></p>
{disclaimer}</td></tr>
<tr><td style="padding:12px 24px;font-size:12px;color:#605e5c;border-top:1px solid #edebe9">{e(footer)}</td></tr>
</table></td></tr></table></body></html>
"""


def passcode_mail(*, sender: str, recipient: str, code: str, when: datetime, organization: str,
                  template: BrandingTemplate, valid_minutes: int) -> bytes:
    mail = _mail(sender, recipient, PASSCODE_SUBJECT, when, None)
    lines = [f"Here is your one-time passcode: {code}",
             "To view your message, enter the code in the web page where you requested it.",
             f"This one-time passcode expires {valid_minutes} minutes after it was requested.",
             FOOTER.format(organization=organization)]
    mail.set_content("\n\n".join(lines))
    e = html.escape
    mail.add_alternative(
        f'<!DOCTYPE html><html><body style="font-family:Segoe UI,Helvetica,Arial,sans-serif">'
        f'<div style="background:{template.background_color};color:#fff;padding:12px 20px">{e(organization)}</div>'
        f'<p>Here is your one-time passcode</p><p style="font-size:28px;letter-spacing:4px"><b>{e(code)}</b></p>'
        + "".join(f"<p>{e(line)}</p>" for line in lines[1:]) + "</body></html>", subtype="html")
    return _wire(mail)
