"""The baselines for bench/mail_portal.py: the least a durable SMTP server and a passcode portal do.

    python bench/plain_servers.py smtp PORT DIR     # aiosmtpd: each message written to DIR and fsynced, then 250
    python bench/plain_servers.py portal PORT       # aiohttp: a page, a passcode form, a message page

Each prints "ready" when it listens, and runs until killed.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from pathlib import Path

PAGE = "<!DOCTYPE html><html><body><h1>{title}</h1>{body}</body></html>"


def smtp(port: int, folder: Path) -> None:
    from aiosmtpd.controller import Controller

    class Durable:
        async def handle_DATA(self, server, session, envelope):
            await asyncio.to_thread(_write, folder / f"{secrets.token_hex(8)}.eml", envelope.content)
            return "250 OK"

    controller = Controller(Durable(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    asyncio.run(asyncio.Event().wait())


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def portal(port: int) -> None:
    from aiohttp import web

    codes = {}

    async def landing(request):
        token = request.match_info["token"]
        codes.setdefault(token, f"{secrets.randbelow(10**8):08d}")
        form = (f'<form method="post" action="/m/{token}/signin"><input name="passcode">'
                "<button>Sign in</button></form>")
        return web.Response(text=PAGE.format(title="Sign in", body=form), content_type="text/html")

    async def sign_in(request):
        token = request.match_info["token"]
        form = await request.post()
        if form.get("passcode") != codes.get(token):
            return web.Response(status=403, text="wrong passcode")
        raise web.HTTPSeeOther(f"/m/{token}/message")

    async def message(request):
        return web.Response(text=PAGE.format(title="Message", body="<p>the body</p>"), content_type="text/html")

    app = web.Application()
    app.add_routes([web.get("/m/{token}", landing), web.post("/m/{token}/signin", sign_in),
                    web.get("/m/{token}/message", message), web.get("/code/{token}", _code(codes))])

    async def serve():
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


def _code(codes):
    from aiohttp import web

    async def code(request):
        return web.Response(text=codes.get(request.match_info["token"], ""))
    return code


if __name__ == "__main__":
    if sys.argv[1] == "smtp":
        smtp(int(sys.argv[2]), Path(sys.argv[3]))
    else:
        portal(int(sys.argv[2]))
