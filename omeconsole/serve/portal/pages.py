"""The OME portal's pages, as HTML. Every piece of text from data (subjects, addresses, template texts,
bodies, attachment names) is escaped; an HTML body goes through sanitize.py. Each page carries its
own stylesheet, allowed by its hash in the Content-Security-Policy (nothing else loads or runs).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from html import escape as e

from omeconsole.core.mail.model import Protection
from omeconsole.core.ome.portal import PortalView
from omeconsole.core.ome.portal_sign_in import Landing
from omeconsole.core.text.times import to_utc
from omeconsole.serve.portal.sanitize import safe_html

BAD_LINK_TITLE = "This link does not open a message"
BAD_LINK_TEXT = ("Check that you opened the whole link from the mail you received. If it still does not "
                 "work, ask the sender to send the message again.")
NO_OTHER_SIGN_IN = ("Signing in with a Microsoft, Google or work or school account is not offered by this "
                    "portal.")
FOOTER = "Office 365 Message Encryption portal, served by omeconsole"
GENERIC = "Office 365 Message Encryption"
BLUE = "#0078d4"
DO_NOT_FORWARD = ("Do Not Forward: this message may not be forwarded, printed or copied, and its attachments "
                  "cannot be downloaded.")

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 "Segoe UI",system-ui,-apple-system,"Helvetica Neue",Arial,sans-serif;
color:#1f1f1f;background:#f3f2f1}
header{background:BRAND;color:INK;padding:18px 0}
.wrap{max-width:760px;margin:0 auto;padding:0 20px}
header .org{font-size:20px;font-weight:600;letter-spacing:.2px}
header .what{font-size:13px;opacity:.85}
main .card{background:#fff;margin:28px auto;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.12);
padding:28px 32px}
h1{font-size:22px;font-weight:600;margin:0 0 12px;overflow-wrap:anywhere}
p{margin:0 0 14px;overflow-wrap:anywhere}
.muted{color:#605e5c;font-size:13px}
.notice{background:#f3f9fd;border-left:4px solid #0078d4;padding:10px 14px;margin:0 0 18px}
.alert{background:#fdf3f4;border-left:4px solid #a4262c;padding:10px 14px;margin:0 0 18px}
.state{font-size:20px;font-weight:600;margin:12px 0}
form{margin:0 0 14px}
button{font:inherit;font-weight:600;background:#0078d4;color:#fff;border:0;border-radius:4px;
padding:9px 22px;cursor:pointer}
button.quiet{background:none;color:#0078d4;padding:0;font-weight:400}
label{display:block;font-weight:600;margin:0 0 6px}
.row{display:flex;gap:10px;align-items:stretch;flex-wrap:wrap}
input{font:inherit;font-size:19px;letter-spacing:3px;width:12ch;padding:5px 10px;border:1px solid #8a8886;
border-radius:4px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0 0 18px;font-size:14px}
dt{color:#605e5c}
dd{margin:0;overflow-wrap:anywhere}
.body{border-top:1px solid #edebe9;padding-top:18px;overflow-wrap:anywhere}
.body.text{white-space:pre-wrap}
.body h1,.body h2,.body h3{font-size:17px;margin:0 0 10px}
.body table{border-collapse:collapse}
.body td,.body th{border:1px solid #edebe9;padding:4px 8px}
.files{border-top:1px solid #edebe9;margin-top:18px;padding-top:12px}
.files ul{margin:6px 0 0;padding-left:20px}
footer{max-width:760px;margin:0 auto 28px;padding:0 20px;color:#605e5c;font-size:12px}
"""


@dataclass(frozen=True)
class Page:
    html: str
    style_hash: str  # for the Content-Security-Policy's style-src


def ink_on(colour: str) -> str:
    """Black or white text, whichever reads better on the template's background colour (#rrggbb)."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#1f1f1f" if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else "#ffffff"


def page(title: str, organization: str | None, brand: str, main: str, footer_text: str = "") -> Page:
    """A whole page; ORGANIZATION None for the pages that must not say whose portal this is."""
    brand = brand if re.fullmatch(r"#[0-9a-f]{6}", brand) else BLUE  # it goes into the stylesheet as it is
    style = STYLE.replace("BRAND", brand).replace("INK", ink_on(brand))
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    served = f"{FOOTER} for {organization}." if organization else f"{FOOTER}."
    footer = "".join(f"<p>{e(text)}</p>" for text in (footer_text, served) if text)
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<meta name="referrer" content="no-referrer"><title>{e(title)}</title><style>{style}</style></head>'
            f'<body><header><div class="wrap"><div class="org">{e(organization or GENERIC)}</div>'
            f'<div class="what">Encrypted message</div></div></header>'
            f'<main class="wrap"><div class="card">{main}</div></main><footer>{footer}</footer></body></html>')
    return Page(html, f"sha256-{digest}")


def bad_link() -> Page:
    return page(BAD_LINK_TITLE, None, BLUE,
                f"<h1>{e(BAD_LINK_TITLE)}</h1><p>{e(BAD_LINK_TEXT)}</p>")


def trouble(text: str) -> Page:
    return page("The message cannot be shown", None, BLUE,
                f"<h1>The message cannot be shown</h1><p>{e(text)}</p>")


def _branded(landing: Landing, title: str, main: str) -> Page:
    template = landing.template
    return page(title, landing.organization, template.background_color, main, template.disclaimer_text)


def _notice(text: str, ok: bool) -> str:
    return f'<p class="{"notice" if ok else "alert"}" role="status">{e(text)}</p>' if text else ""


def _intro(landing: Landing) -> str:
    introduction = landing.template.introduction_text or "has sent you a protected message."
    portal_text = f"<p>{e(landing.template.portal_text)}</p>" if landing.template.portal_text else ""
    return f"<h1>{e(landing.sender)} {e(introduction)}</h1>{portal_text}"


def landing_page(landing: Landing, base: str, notice: str = "", ok: bool = True) -> Page:
    """The link's first page: who sent it, and the button that mails a one-time passcode."""
    if landing.state != "available":
        return _branded(landing, landing.text, f'{_intro(landing)}<p class="state">{e(landing.text)}</p>')
    if not landing.template.otp_enabled:
        return _branded(landing, "Sign in", _intro(landing) + _notice(
            "The sender's organisation does not allow one-time passcodes for this message, and this portal "
            "offers no other way to sign in. Ask the sender for another way to read it.", False)
            + f'<p class="muted">{e(NO_OTHER_SIGN_IN)}</p>')
    return _branded(landing, "Sign in to read the message", (
        f"{_intro(landing)}{_notice(notice, ok)}"
        f"<p>To read the message, sign in with a one-time passcode: we mail it to "
        f"<strong>{e(landing.link.recipient)}</strong>.</p>"
        f'<form method="post" action="{e(base)}/passcode"><button type="submit">Sign in with a one-time passcode'
        f'</button></form><p class="muted">{e(NO_OTHER_SIGN_IN)}</p>'))


def passcode_page(landing: Landing, base: str, notice: str, ok: bool) -> Page:
    """The passcode form (its input is named `passcode`), and a way to have another one sent."""
    return _branded(landing, "Enter your one-time passcode", (
        f"<h1>Enter your one-time passcode</h1>{_notice(notice, ok)}"
        f'<form method="post" action="{e(base)}/sign-in"><label for="passcode">One-time passcode</label>'
        f'<div class="row"><input id="passcode" name="passcode" inputmode="numeric" autocomplete="one-time-code" '
        f'maxlength="16" required autofocus><button type="submit">Continue</button></div></form>'
        f'<form method="post" action="{e(base)}/passcode"><button class="quiet" type="submit">'
        f"Didn't get it? Send another passcode</button></form>"
        f'<p class="muted">{e(NO_OTHER_SIGN_IN)}</p>'))


def state_page(landing: Landing, view: PortalView) -> Page:
    """Revoked or expired: only that, in the words OME uses."""
    return _branded(landing, view.text, f'<p class="state">{e(view.text)}</p>')


def message_page(landing: Landing, view: PortalView, base: str) -> Page:
    content = view.content or {}
    subject = str(content.get("subject") or "(no subject)")
    recipients = ", ".join(str(r) for r in content.get("to") or [])
    html_body = content.get("html")
    if html_body:
        body = f'<div class="body">{safe_html(str(html_body))}</div>'
    else:
        body = f'<div class="body text">{e(str(content.get("body") or ""))}</div>'
    protection = view.message.protection
    notice = _notice(DO_NOT_FORWARD, True) if protection is Protection.DO_NOT_FORWARD else ""
    main = (f"<h1>{e(subject)}</h1>{notice}<dl><dt>From</dt><dd>{e(str(content.get('from') or ''))}</dd>"
            f"<dt>To</dt><dd>{e(recipients)}</dd><dt>Date</dt><dd>{e(_date(content.get('date')))}</dd></dl>"
            f"{body}{_attachments(content.get('attachments') or [], protection, base)}"
            f'<form method="post" action="{e(base)}/sign-out" class="files">'
            f'<button class="quiet" type="submit">Sign out</button></form>')
    return _branded(landing, subject, main)


def _date(value: object) -> str:
    try:
        moment = to_utc(datetime.fromisoformat(str(value)))
    except (TypeError, ValueError, OverflowError):
        return str(value or "")
    return moment.strftime("%A %d %B %Y, %H:%M UTC")


def _attachments(attachments: list, protection: Protection | None, base: str) -> str:
    if not attachments:
        return ""
    if protection is Protection.DO_NOT_FORWARD:
        items = "".join(f"<li>{e(_name(a))}</li>" for a in attachments)
        return f'<div class="files"><strong>Attachments</strong> (not downloadable)<ul>{items}</ul></div>'
    items = "".join(f'<li><a href="{e(base)}/attachments/{i}" download>{e(_name(a))}</a> '
                    f'<span class="muted">{_size(a)}</span></li>' for i, a in enumerate(attachments))
    return f'<div class="files"><strong>Attachments</strong><ul>{items}</ul></div>'


def _name(attachment: object) -> str:
    return str(attachment.get("name") or "attachment") if isinstance(attachment, dict) else "attachment"


def _size(attachment: object) -> str:
    size = attachment.get("size") if isinstance(attachment, dict) else None
    if not isinstance(size, int):
        return ""
    return f"{size} bytes" if size < 1024 else f"{size / 1024:.0f} KB"
