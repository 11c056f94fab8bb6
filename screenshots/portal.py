"""The recipient's side of the whole story, drawn by a real Chromium: the portal's pages as PNGs.

    python screenshots/portal.py screenshots      # needs the test extra (Playwright) and Debian's chromium

It makes a demo store in a temporary folder, starts `omeconsole serve mail --drop-dir` and
`omeconsole serve portal`, sends one encrypted message with smtplib, then follows the wrapper
mail's link in Chromium: the link's page, the passcode form, the message, and (after `omeconsole
revoke`) the revoked page.
"""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from playwright.sync_api import sync_playwright

OMECONSOLE = [sys.executable, "-m", "omeconsole"]
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, found, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"no {what} within {seconds:.0f} s")


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def mail_text(drop: Path, pattern: str, subject_has: str) -> str | None:
    for path in sorted(drop.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if subject_has in str(parsed["Subject"]):
            match = re.search(pattern, parsed.get_body(("plain",)).get_content())
            if match:
                return match.group(0)
    return None


def main(out: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="omeconsole-portal-shots-"))
    store, drop = work / "store", work / "drop"
    cli = [*OMECONSOLE, "--store", str(store)]
    servers = []
    try:
        subprocess.run([*cli, "demo", "--messages", "200"], check=True, capture_output=True)
        subprocess.run([*cli, "template", "set", "Contoso Secure", "--background-color", "#5c2d91",
                        "--introduction-text", "has sent you a secure message.", "--portal-text",
                        "Contoso protects the mail it sends outside the company. Sign in to read it.",
                        "--disclaimer-text", "This message is for its addressee only."], check=True)
        smtp_port, portal_port = free_port(), free_port()
        portal = f"http://127.0.0.1:{portal_port}"
        servers.append(subprocess.Popen([*cli, "serve", "portal", "--listen", f"127.0.0.1:{portal_port}"],
                                        stdout=subprocess.DEVNULL))
        servers.append(subprocess.Popen([*cli, "serve", "mail", "--listen", f"127.0.0.1:{smtp_port}", "--drop-dir",
                                         str(drop), "--portal-url", portal], stdout=subprocess.DEVNULL))
        wait_for("portal", lambda: listening(portal_port))
        wait_for("serve mail", lambda: listening(smtp_port))
        message = EmailMessage()
        message["From"], message["To"] = "megan.bowen@contoso.com", "bob.kelly@gmail.com"
        message["Subject"], message["Message-ID"] = "Salary review for Bob Kelly", "<story-1@contoso.com>"
        message["X-OME-Encrypt"], message["X-OME-Template"] = "encrypt-only", "Contoso Secure"
        message.set_content("Bob,\n\nYour new salary starts on 1 December. The letter is attached.\n\nMegan")
        with smtplib.SMTP("127.0.0.1", smtp_port) as client:
            client.send_message(message)
        link = wait_for("wrapper mail", lambda: mail_text(drop, rf"{re.escape(portal)}/m/\S+", "Salary review"))
        out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 900, "height": 620})
            page.goto(link)
            page.screenshot(path=out / "portal-link.png")
            page.locator("form button").first.click()
            page.wait_for_selector("input[name=passcode]")
            page.screenshot(path=out / "portal-passcode.png")
            code = wait_for("passcode mail", lambda: mail_text(drop, r"\b\d{8}\b", "passcode"))
            page.fill("input[name=passcode]", code)
            page.locator("input[name=passcode]").press("Enter")
            page.wait_for_selector("text=Your new salary")
            page.screenshot(path=out / "portal-message.png")
            subprocess.run([*cli, "revoke", "--message-id", "<story-1@contoso.com>"], check=True,
                           capture_output=True)
            page.reload()
            page.wait_for_selector("text=The message has been revoked by the sender")
            page.screenshot(path=out / "portal-revoked.png")
            browser.close()
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots"))
