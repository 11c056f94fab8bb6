"""Mail flow and the OME portal, timed beside plain baselines in the same run.

    python bench/mail_portal.py                 # a 100,000-message demo store (cached in bench/.cache)
    python bench/mail_portal.py --size 10000    # a quicker look

It starts `omeconsole serve mail --drop-dir` and `omeconsole serve portal` on a copy of the store,
and bench/plain_servers.py's baselines (an SMTP server that fsyncs each message to a file, and a
page-and-passcode web server), then measures, for each, with real clients (smtplib, aiohttp):
  - SMTP: from the end of DATA to the 250, a 20 KB encrypted message, one at a time (median);
  - SMTP: messages a second, 4 clients sending at once, and whether every one is in the store;
  - portal: a link to its page, and a passcode to the message page (medians over 50 recipients),
    with all 50 signing in at once, and how many succeeded.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import re
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import _env, build, omeconsole  # noqa: E402

SENDER = "megan.bowen@contoso.com"
TARGETS = {"smtp DATA to 250": 0.05, "smtp messages a second (4 clients)": 20.0, "portal link to page": 0.1,
           "portal passcode to message": 0.1}
SEQUENTIAL = 20  # recipients who sign in one after another (timed); the rest (--recipients) sign in at once


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv: list[str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{' '.join(argv[:6])} stopped: {process.stderr.read().decode()[-500:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{' '.join(argv[:6])} did not listen within 60 s")


def mime(subject: str, recipients: list[str], body_bytes: int = 20_000) -> bytes:
    line = "The quarterly figures, line after line, for the board to read.\r\n"
    body = (line * (body_bytes // len(line) + 1))[:body_bytes]
    to = ",\r\n ".join(recipients)  # folded: a header line is at most 998 characters
    return ("\r\n".join([f"From: {SENDER}", f"To: {to}", f"Subject: {subject}",
                         "X-OME-Encrypt: encrypt-only", "X-OME-Template: Contoso Secure", "MIME-Version: 1.0",
                         "Content-Type: text/plain; charset=utf-8", "", body, ""])).encode()


def data_to_250(port: int, count: int) -> list[float]:
    times = []
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo()
        for n in range(count):
            data = mime(f"bench latency {n}", ["bob.kelly@gmail.com"])
            client.mail(SENDER)
            client.rcpt("bob.kelly@gmail.com")
            started = time.perf_counter()
            code, reply = client.data(data)
            times.append(time.perf_counter() - started)
            if code != 250:
                raise SystemExit(f"DATA answered {code} {reply!r}")
    return times


def throughput(port: int, clients: int, each: int, marker: str) -> float:
    errors: list[str] = []

    def one_client(k: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
                for n in range(each):
                    client.sendmail(SENDER, ["bob.kelly@gmail.com"], mime(f"{marker} {k}-{n}", ["bob.kelly@gmail.com"]))
        except smtplib.SMTPException as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=one_client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"sending failed: {errors[0]}")
    return clients * each / elapsed


# -- the portal ---------------------------------------------------------------------------------

class Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "inputs": {}})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["inputs"][attrs["name"]] = attrs.get("value") or ""


def forms_of(page: str) -> list[dict]:
    parser = Forms()
    parser.feed(page)
    return parser.forms


def links_in(drop: Path, portal: str, count: int, timeout: float = 120) -> dict[str, str]:
    """recipient -> portal link, from the wrapper mails in the drop folder."""
    found: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(found) < count and time.monotonic() < deadline:
        for path in drop.glob("*.eml"):
            mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            link = re.search(rf"{re.escape(portal)}/m/[A-Za-z0-9_-]+", mail.as_string())
            if link and "bench portal" in str(mail["Subject"]):
                found[str(mail["To"])] = link.group(0)
        time.sleep(0.1)
    return found


def passcode_for(drop: Path, recipient: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in drop.glob("*.eml"):
            mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if str(mail["To"]) == recipient and "passcode" in str(mail["Subject"]).lower():
                code = re.search(r"\b(\d{8})\b", mail.get_body(("plain",)).get_content())
                if code:
                    return code.group(1)
        time.sleep(0.1)
    raise SystemExit(f"no passcode mail for {recipient} within {timeout:.0f} s")


async def portal_round(links: dict[str, str], codes, base: str,
                       at_once: bool) -> tuple[list[float], list[float], int]:
    """Each recipient: the link's page (timed), a passcode asked for, then each signs in (timed): one
    after another, or all at once."""
    import aiohttp

    sessions = {r: aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) for r in links}
    try:
        page_times, forms = [], {}
        for recipient, link in links.items():
            started = time.perf_counter()
            async with sessions[recipient].get(link) as response:
                page = await response.text()
            page_times.append(time.perf_counter() - started)
            forms[recipient] = await _passcode_form(sessions[recipient], base, page)
        codes_now = {r: await asyncio.to_thread(codes, r) for r in links}
        if at_once:
            results = await asyncio.gather(*(_sign_in(sessions[r], base, forms[r], codes_now[r]) for r in links))
        else:
            results = [await _sign_in(sessions[r], base, forms[r], codes_now[r]) for r in links]
    finally:
        for session in sessions.values():
            await session.close()
    return page_times, [t for t, ok in results], sum(ok for t, ok in results)


async def _passcode_form(session, base: str, page: str) -> dict:
    """The form with a passcode input: on the page, or after pressing the page's button for one."""
    for _ in range(2):
        forms = forms_of(page)
        with_code = [f for f in forms if "passcode" in f["inputs"]]
        if with_code:
            return with_code[0]
        ask = forms[0]
        async with session.post(base + ask["action"] if ask["action"].startswith("/") else ask["action"],
                                data=ask["inputs"], headers={"Origin": base}) as response:
            page = await response.text()
    raise SystemExit("the portal offered no passcode form")


async def _sign_in(session, base: str, form: dict, code: str) -> tuple[float, bool]:
    action = base + form["action"] if form["action"].startswith("/") else form["action"]
    started = time.perf_counter()
    async with session.post(action, data={**form["inputs"], "passcode": code}, headers={"Origin": base}) as response:
        page = await response.text()
    read = "quarterly figures" in page or "the body" in page  # ours, or the baseline's
    return time.perf_counter() - started, response.status == 200 and read


# -- the run ------------------------------------------------------------------------------------

def main() -> None:
    options = argparse.ArgumentParser()
    options.add_argument("--size", type=int, default=100_000)
    options.add_argument("--latency-count", type=int, default=40)
    options.add_argument("--recipients", type=int, default=50)
    args = options.parse_args()
    cached, _, _ = build(args.size, HERE / ".cache", with_plain=False)
    work = Path(tempfile.mkdtemp(prefix="omeconsole-bench-mail-"))
    processes = []
    try:
        store = work / "store"
        print(f"copying the {args.size:,}-message store ...", flush=True)
        shutil.copytree(cached, store)
        drop, plain_drop = work / "drop", work / "plain-drop"
        drop.mkdir()
        plain_drop.mkdir()
        smtp_port, portal_port, plain_smtp, plain_portal = (free_port() for _ in range(4))
        portal = f"http://127.0.0.1:{portal_port}"
        processes.append(start(omeconsole(store, "serve", "portal", "--listen", f"127.0.0.1:{portal_port}"),
                               portal_port))
        processes.append(start(omeconsole(store, "serve", "mail", "--listen", f"127.0.0.1:{smtp_port}",
                                          "--drop-dir", str(drop), "--portal-url", portal), smtp_port))
        processes.append(start([sys.executable, str(HERE / "plain_servers.py"), "smtp", str(plain_smtp),
                                str(plain_drop)], plain_smtp))
        processes.append(start([sys.executable, str(HERE / "plain_servers.py"), "portal", str(plain_portal)],
                               plain_portal))
        rows = []
        ours, theirs = [], []
        for _ in range(2):  # alternately, so both meet the same load on this shared machine
            ours += data_to_250(smtp_port, args.latency_count // 2)
            theirs += data_to_250(plain_smtp, args.latency_count // 2)
        rows.append(("smtp DATA to 250", statistics.median(ours), statistics.median(theirs), "20 KB, encrypted"))
        mine = throughput(smtp_port, 4, 25, "bench throughput")
        base = throughput(plain_smtp, 4, 25, "bench throughput")
        stored = len(subprocess.run(omeconsole(store, "trace", "--subject", "bench throughput", "--json"),
                                    capture_output=True, text=True, env=_env()).stdout.split('"MessageId"')) - 1
        rows.append(("smtp messages a second (4 clients)", mine, base, f"{stored} of 100 in the store"))
        recipients = [f"reader{n}@fabrikam-bench.example" for n in range(args.recipients + SEQUENTIAL)]
        with smtplib.SMTP("127.0.0.1", smtp_port) as client:
            client.sendmail(SENDER, recipients, mime("bench portal", recipients, 2_000))
        links = links_in(drop, portal, len(recipients))
        one_by_one = dict(list(links.items())[:SEQUENTIAL])
        together = dict(list(links.items())[SEQUENTIAL:])
        plain_base = f"http://127.0.0.1:{plain_portal}"
        plain_links = {r: f"{plain_base}/m/{n}" for n, r in enumerate(recipients)}

        def plain_code(recipient: str) -> str:
            import urllib.request

            token = plain_links[recipient].rsplit("/", 1)[1]
            return urllib.request.urlopen(f"{plain_base}/code/{token}").read().decode()

        ours_code = lambda r: passcode_for(drop, r)  # noqa: E731
        pages, signins, _ = asyncio.run(portal_round(one_by_one, ours_code, portal, at_once=False))
        plain_one = {r: plain_links[r] for r in one_by_one}
        plain_pages, plain_signins, _ = asyncio.run(portal_round(plain_one, plain_code, plain_base, at_once=False))
        _, crowd, ok = asyncio.run(portal_round(together, ours_code, portal, at_once=True))
        plain_crowd_links = {r: plain_links[r] for r in together}
        _, plain_crowd, plain_ok = asyncio.run(portal_round(plain_crowd_links, plain_code, plain_base, at_once=True))
        rows.append(("portal link to page", statistics.median(pages), statistics.median(plain_pages),
                     f"{len(one_by_one)} links, one after another"))
        rows.append(("portal passcode to message", statistics.median(signins), statistics.median(plain_signins),
                     f"{len(one_by_one)} recipients, one after another"))
        rows.append((f"portal {len(together)} sign-ins at once", max(crowd), max(plain_crowd),
                     f"the slowest; {ok} of {len(together)} signed in ({plain_ok} on the baseline)"))
        report(args.size, rows)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def report(size: int, rows) -> None:
    print(f"\nmail flow and the OME portal on a {size:,}-message store (medians)")
    print(f"  {'operation':38} {'omeconsole':>11} {'baseline':>10} {'ratio':>7} {'target':>8}  note")
    for name, mine, base, note in rows:
        per_second = "second" in name
        unit = (lambda v: f"{v:.1f}/s") if per_second else (lambda v: f"{v * 1000:.1f} ms")
        ratio = (base / mine) if per_second else (mine / base)
        target = TARGETS.get(name)
        met = target is None or (mine >= target if per_second else mine < target)
        verdict = "" if target is None else ("met; " if met else "NOT MET; ")
        print(f"  {name:38} {unit(mine):>11} {unit(base):>10} {ratio:>6.1f}x "
              f"{unit(target) if target else '':>8}  {verdict}{note}")
    print("  ratio: how many times slower than the baseline (for a rate, baseline ÷ omeconsole)")


if __name__ == "__main__":
    main()
