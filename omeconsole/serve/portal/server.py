"""The OME portal's web server (aiohttp): the link's pages, the passcode forms, the message.

Every response forbids scripts and remote content (Content-Security-Policy), is never cached, sends
no Referer (the link's token is in the URL) and is never sniffed. A POST from another site (its
Origin header) is refused. A bad link, whatever is wrong with it, gets one page: same status, same
text, and the same work behind it. The store's work runs in threads; the event loop only talks.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from aiohttp import web

from omeconsole.core.errors import OmeError
from omeconsole.core.mail.model import Protection
from omeconsole.core.mail.portal_link import PortalLink
from omeconsole.core.ome.portal_sign_in import SESSION, Landing, PortalDesk
from omeconsole.serve.portal import pages
from omeconsole.serve.refusal_tally import RefusalTally

COOKIE = "ome-portal-session"
MAX_BODY = 16 * 1024  # a passcode form is a few bytes
CSP = ("default-src 'none'; style-src {style}; img-src 'none'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
           "X-Frame-Options": "DENY", "Cross-Origin-Opener-Policy": "same-origin",
           "Cross-Origin-Resource-Policy": "same-origin"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def respond(page: pages.Page, status: int = 200) -> web.Response:
    response = web.Response(text=page.html, status=status, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = CSP.format(style=f"'{page.style_hash}'")
    return response


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


class PortalApp:
    """The portal's routes over one desk. `origin` is the portal's own (from --public-url, or where it
    listens); `names` the host names its Host header may carry when a browser reaches it another way."""

    def __init__(self, desk: PortalDesk, origin: str, names: frozenset[str], secure: bool):
        self.desk = desk
        self.origin = origin
        self.names = names
        self.secure = secure
        self.tally = RefusalTally(self._record_refusals)

    def make(self) -> web.Application:
        app = web.Application(middlewares=[self.guarded], client_max_size=MAX_BODY)
        app.add_routes([
            web.get("/m/{token}", self.landing),
            web.post("/m/{token}/passcode", self.passcode),
            web.get("/m/{token}/sign-in", self.sign_in_form),
            web.post("/m/{token}/sign-in", self.sign_in),
            web.get("/m/{token}/message", self.message),
            web.get("/m/{token}/attachments/{index:[0-9]{1,4}}", self.attachment),
            web.post("/m/{token}/sign-out", self.sign_out),
        ])
        app.on_response_prepare.append(_plain_server_header)
        app.on_shutdown.append(lambda _app: self.tally.close())
        return app

    # -- every response --------------------------------------------------------------

    @web.middleware
    async def guarded(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await self._answer(request, handler)
        except Exception:  # noqa: BLE001 -- a person sees one line, never a traceback
            response = respond(pages.trouble("Something went wrong; please try again later."), 500)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", CSP.format(style="'none'"))
        return response

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST" and not self._from_own_page(request):
            self.tally.refused(request.remote or "?", "a form sent from another site")
            return respond(pages.trouble("This form was sent from another site; open the link from your mail."), 403)
        try:
            return await handler(request)
        except web.HTTPRequestEntityTooLarge:
            return respond(pages.trouble("That request is too large."), 413)
        except web.HTTPException as error:
            if error.status in (404, 405):
                return respond(pages.bad_link(), 404)
            return respond(pages.trouble(error.reason), error.status)
        except OmeError as error:
            return respond(pages.trouble(str(error)), 503)

    def _from_own_page(self, request: web.Request) -> bool:
        """A form from the portal's own page. Under Referrer-Policy no-referrer a browser names the origin of
        its own form "null", so there the browser's Sec-Fetch-Site (which no page can set) must say
        same-origin. No Origin at all (a program, an old browser) passes: the link's token guards the form."""
        origin, site = request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            return False
        if origin == "null":
            return site == "same-origin"
        return origin is None or origin == self.origin or self._reached_as(origin, request.host)

    def _reached_as(self, origin: str, host: str) -> bool:
        """Whether ORIGIN is this portal reached by another of its names (localhost for 127.0.0.1)."""
        try:
            parts = urlsplit(origin)
            return (parts.scheme == "http" and not self.secure and parts.netloc == host.lower()
                    and (parts.hostname or "") in self.names and parts.port == urlsplit(self.origin).port)
        except ValueError:
            return False

    async def _record_refusals(self, peer: str, detail: str, count: int) -> None:
        try:
            await asyncio.to_thread(self.desk.refused_link, peer, detail)
        except OmeError:
            pass  # what it would record has already been answered; the portal goes on

    # -- the link --------------------------------------------------------------------

    async def _landing(self, request: web.Request) -> Landing:
        """The link's landing, or the bad-link page (raised) for any token that does not open a message."""
        landing = await asyncio.to_thread(self._resolve, request.match_info["token"])
        if landing is None:
            self.tally.refused(request.remote or "?", "a link that opens no message")
            raise web.HTTPNotFound()
        return landing

    def _resolve(self, token: str) -> Landing | None:
        link = self.desk.resolve(token)
        return self.desk.landing(link) if link else None

    @staticmethod
    def _base(link_token: str) -> str:
        return f"/m/{link_token}"

    def _signed_in(self, request: web.Request, link: PortalLink) -> bool:
        return self.desk.signed_in(link, request.cookies.get(COOKIE))

    async def landing(self, request: web.Request) -> web.StreamResponse:
        landing = await self._landing(request)
        base = self._base(request.match_info["token"])
        if landing.state == "available" and self._signed_in(request, landing.link):
            return see_other(f"{base}/message")
        return respond(pages.landing_page(landing, base))

    async def passcode(self, request: web.Request) -> web.StreamResponse:
        landing = await self._landing(request)
        base = self._base(request.match_info["token"])
        answer = await asyncio.to_thread(self.desk.request_passcode, landing.link, request.remote or "?")
        if answer.ok:
            return see_other(f"{base}/sign-in")
        return respond(pages.landing_page(landing, base, answer.text, ok=False), 403)

    async def sign_in_form(self, request: web.Request) -> web.StreamResponse:
        landing = await self._landing(request)
        if landing.state != "available" or not landing.template.otp_enabled:
            return see_other(self._base(request.match_info["token"]))  # the landing says why
        text = (f"If {landing.link.recipient} is your address, a one-time passcode is on its way there. It is "
                "valid for 15 minutes.")
        return respond(pages.passcode_page(landing, self._base(request.match_info["token"]), text, True))

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        landing = await self._landing(request)
        base = self._base(request.match_info["token"])
        form = await request.post()
        given = form.get("passcode")
        answer = await asyncio.to_thread(self.desk.sign_in, landing.link, given if isinstance(given, str) else "",
                                         request.remote or "?")
        if not answer.ok or answer.cookie is None:
            return respond(pages.passcode_page(landing, base, answer.text, False), 403)
        response = see_other(f"{base}/message")
        response.set_cookie(COOKIE, answer.cookie, max_age=int(SESSION.total_seconds()), path=base,
                            httponly=True, samesite="Strict", secure=self.secure)
        return response

    async def sign_out(self, request: web.Request) -> web.StreamResponse:
        await self._landing(request)
        base = self._base(request.match_info["token"])
        response = see_other(base)
        response.del_cookie(COOKIE, path=base, httponly=True, samesite="Strict", secure=self.secure)
        return response

    # -- the message -----------------------------------------------------------------

    async def message(self, request: web.Request) -> web.StreamResponse:
        landing = await self._landing(request)
        base = self._base(request.match_info["token"])
        if not self._signed_in(request, landing.link):
            return see_other(base)
        view = await asyncio.to_thread(self.desk.open, landing.link, request.remote or "?")
        if view.state != "available":
            return respond(pages.state_page(landing, view), 410)
        return respond(pages.message_page(landing, view, base))

    async def attachment(self, request: web.Request) -> web.StreamResponse:
        landing = await self._landing(request)
        if landing.protection is not Protection.ENCRYPT_ONLY or not self._signed_in(request, landing.link):
            raise web.HTTPNotFound()
        found = await asyncio.to_thread(self.desk.attachment, landing.link, int(request.match_info["index"]),
                                        request.remote or "?")
        if found is None:
            raise web.HTTPNotFound()
        try:
            data = base64.b64decode(str(found.get("data", "")), validate=True)
        except (binascii.Error, ValueError):
            raise OmeError("the attachment is damaged in the store") from None
        name = "".join(c for c in str(found.get("name") or "attachment") if c.isprintable() and c not in '"\\')
        return web.Response(body=data, content_type="application/octet-stream", headers={
            "Content-Disposition": f"attachment; filename=\"{name.encode('ascii', 'replace').decode()}\"; "
                                   f"filename*=UTF-8''{quote(name, safe='')}"})


async def _plain_server_header(_request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = "OME portal"  # not the library's name and version
