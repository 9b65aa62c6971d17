"""The console's gate and frame: sign-in, the floor board and its live stream, the router.

The other pages are in ``wms.web.exception_pages`` and ``wms.web.wave_pages``.

Every request under /ui passes `_gate` first: the session is read, a page needs a signed-in
supervisor or admin (checked on the server for every action, not only hidden in the page),
and every POST must carry the session's CSRF token. Handlers call the same services and
reports as the API and render templates; htmx requests get the fragment only.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from wms.api import problems, roles
from wms.config import Settings
from wms.db import long_reads
from wms.errors import Unauthorized, WmsError
from wms.models.common import utcnow
from wms.reports import exceptions, floor
from wms.services import auth, passwords
from wms.web import exception_pages, render, wave_pages
from wms.web import session as sess

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEARTBEAT_S = 15.0
RECHECK_S = 1.0  # an open stream's sign-in is checked this often (one indexed read)
SIGNED_OUT = '<p class="error" role="alert">Signed out. <a href="/ui/login">Sign in</a></p>'


def _problem(status: int, code: str, title: str, detail: str) -> Response[Any]:
    return problems.problem(status, code, title, detail)  # type: ignore[no-any-return]


async def _gate(request: Request) -> Response[Any] | None:
    """Sign-in, role and CSRF, before any console handler runs."""
    session = sess.load(request)
    if request.method not in ("GET", "HEAD"):
        form = await request.form() if _is_form(request) else {}
        sent = request.headers.get("x-csrf-token") or form.get("csrf")  # type: ignore[union-attr]
        if not sess.csrf_ok(request, sent):
            return _problem(
                403, "csrf", "Form expired", "the form's CSRF token is missing or wrong"
            )
    entry = roles.allowed(request.method, str(request.scope.get("path_template") or ""))
    if entry == roles.PUBLIC:
        return None
    principal = None
    if session.token:
        try:
            principal = await auth.authenticate(request.app.state.db, session.token)
        except Unauthorized:
            session.token = ""
    if principal is None:
        if request.method in ("GET", "HEAD") and "hx-request" not in request.headers:
            return Redirect("/ui/login")
        resp = _problem(401, "unauthorized", "Please sign in", "sign in to the console")
        resp.headers["HX-Redirect"] = "/ui/login"
        return resp
    if entry is None or principal.role not in entry:
        return _problem(403, "forbidden", "Not allowed", "the console is for supervisors")
    request.scope["user"] = principal
    return None


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class ConsoleHeaders:
    """ASGI middleware: security headers on every console answer (errors too), and the
    session cookie when the request changed or refreshed it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                if b"cache-control" not in names and not scope["path"].startswith("/ui/static"):
                    headers.append((b"cache-control", b"no-store"))
                session = scope.get("wms_session")  # type: ignore[typeddict-item]
                if (
                    isinstance(session, sess.Session)
                    and session.dirty
                    and b"set-cookie" not in names
                ):
                    request: Request = Request(scope)
                    headers.append(
                        (b"set-cookie", sess.cookie(request, session).to_header(header="").encode())
                    )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)


_page, _db = render.page, render.database


def _settings(state: State) -> Settings:
    return state.settings  # type: ignore[no-any-return]


# -- sign-in ------------------------------------------------------------------------------


@get("/login")
async def login_page(request: Request) -> Template:
    return _page(request, "login.html", error="")


@post("/login")
async def login(request: Request) -> Response[Any]:
    form = await request.form()
    db, ttl = _db(request), _settings(request.app.state).token_ttl_s
    try:
        if "username" in form:  # an office user: name and password
            username, password = str(form.get("username", "")).strip(), str(form.get("password"))
            token, principal = await passwords.login(db, username, password, ttl)
        else:
            badge, pin = str(form.get("badge", "")).strip(), str(form.get("pin", "")).strip()
            token, principal = await auth.login(db, badge, pin, ttl)
    except WmsError as exc:
        return _refused(request, exc.message)
    if principal.role not in sess.CONSOLE_ROLES:
        await auth.logout(db, token)  # a picker's login is not kept, not even for a moment
        return _refused(request, "Supervisors only", status=403)
    # A new session (and CSRF token) at sign-in: nothing from before it is trusted.
    new = sess.Session(token=token)
    resp: Response[Any] = Redirect("/ui/")
    sess.save(request, new)
    return resp


def _refused(request: Request, why: str, status: int = 401) -> Response[Any]:
    page = _page(request, "login.html", error=why)
    return Response(
        content=request.app.template_engine.get_template("login.html").render(  # type: ignore[union-attr]
            **page.context
        ),
        status_code=status,
        media_type=MediaType.HTML,
    )


@post("/logout")
async def logout(request: Request) -> Response[Any]:
    session = sess.load(request)
    if session.token:
        await auth.logout(_db(request), session.token)
    resp: Response[Any] = Redirect("/ui/login")
    sess.save(request, sess.Session())
    return resp


# -- the floor board ----------------------------------------------------------------------


@get("/")
async def board(request: Request) -> Template:
    ctx = await _db(request).run(_board_ctx)
    return _page(request, "board.html", **ctx)


@long_reads
def _board_ctx(s: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "waves": floor.open_waves(s, now),
        "cut": floor.cutoffs(s, now),
        "alerts": exceptions.counts(s, now),
    }


@get("/events")
async def events(request: Request) -> ServerSentEvent:
    """The board's live stream: the fragments to swap, as their events arrive.

    Signed in is re-checked every RECHECK_S while it is open, as a page request would be:
    a signed-out, revoked or expired token, or a session idle past the timeout (an open
    board is not activity), ends the stream with a last `signout` event.
    """
    hub = request.app.state.console_hub
    session = sess.load(request)
    token, idle_until = session.token, session.seen + sess.IDLE_S
    db = _db(request)
    queue = hub.join()

    async def still_signed_in() -> bool:
        if time.time() > idle_until:
            return False
        try:
            await auth.authenticate(db, token)
        except Unauthorized:
            return False
        return True

    async def stream() -> Any:
        try:
            # The current state first: whatever changed between the page and this stream.
            for message in await hub.render(("board", "cutoffs", "alerts")):
                yield message
            checked = sent = time.monotonic()
            while True:
                try:
                    batch = await asyncio.wait_for(queue.get(), RECHECK_S)
                except TimeoutError:
                    batch = []
                now = time.monotonic()
                if now - checked >= RECHECK_S:  # not once per batch: a busy floor sends many
                    checked = now
                    if not await still_signed_in():
                        yield ServerSentEventMessage(event="signout", data=SIGNED_OUT)
                        return
                if batch:
                    sent = now
                elif now - sent >= HEARTBEAT_S:
                    sent = now
                    yield ServerSentEventMessage(comment="still here")
                for message in batch:
                    yield message
        finally:
            hub.leave(queue)

    return ServerSentEvent(stream(), headers={"X-Accel-Buffering": "no"})


def _error_page(request: Request, exc: WmsError) -> Response[Any]:
    """A refused action inside the console: the problem, as a fragment htmx can show."""
    if "hx-request" not in request.headers:
        return problems.wms_error_handler(request, exc)  # type: ignore[no-any-return]
    html = request.app.template_engine.get_template("fragments/error.html").render(  # type: ignore[union-attr]
        title=exc.message, detail=exc.detail, code=exc.code
    )
    # Shown above the page, which stays as it was (the form keeps what was typed).
    headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
    return Response(html, status_code=exc.status, media_type=MediaType.HTML, headers=headers)


CONSOLE = Router(
    path="/ui",
    route_handlers=[
        login_page, login, logout, board, events,
        *exception_pages.ROUTES, *wave_pages.ROUTES,
    ],
    before_request=_gate,
    middleware=[ConsoleHeaders],
    exception_handlers={WmsError: _error_page},
    include_in_schema=False,
)  # fmt: skip
STATIC = create_static_files_router(
    path="/ui/static", directories=[HERE / "static"], include_in_schema=False,
    middleware=[ConsoleHeaders], name="console-static",
)  # fmt: skip
ROUTES: list[Any] = [CONSOLE, STATIC]
