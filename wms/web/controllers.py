"""The console's pages: sign-in, the floor board, throughput, exceptions, orders, products, waves.

Every request under /ui passes `_gate` first: the session is read, a page needs a signed-in
supervisor or admin (checked on the server for every action, not only hidden in the page),
and every POST must carry the session's CSRF token. Handlers call the same services and
reports as the API and render templates; htmx requests get the fragment only.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from wms.api import problems, roles
from wms.config import Settings
from wms.domain.waves import DEFAULT_RULES
from wms.errors import Unauthorized, WmsError
from wms.models.common import utcnow
from wms.reports import exceptions, floor, orders
from wms.services import (
    auth,
    packing,
    picking,
    short_lines,
    site,
    stock,
    supervision,
    wave_drawing,
    waves,
)
from wms.services import orders as orders_service
from wms.services.auth import Principal
from wms.web import session as sess
from wms.web.adapters import preview_routes, wave_rules_from_form

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEARTBEAT_S = 15.0


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


def _page(request: Request, name: str, **ctx: Any) -> Template:
    user = request.scope.get("user")
    ctx |= {
        "csrf": sess.load(request).csrf,
        "user": user if isinstance(user, Principal) else None,
        "now": utcnow(),
        "defaults": DEFAULT_RULES,  # the planner's defaults fill the wave form
    }
    if "hx-request" in request.headers and "hx-boosted" not in request.headers:
        name = f"fragments/{name}"
    return Template(template_name=name, context=ctx)


def _db(request: Request) -> Any:
    return request.app.state.db


def _settings(state: State) -> Settings:
    return state.settings  # type: ignore[no-any-return]


# -- sign-in ------------------------------------------------------------------------------


@get("/login")
async def login_page(request: Request) -> Template:
    return _page(request, "login.html", error="")


@post("/login")
async def login(request: Request) -> Response[Any]:
    form = await request.form()
    badge, pin = str(form.get("badge", "")).strip(), str(form.get("pin", "")).strip()
    db = _db(request)
    try:
        token, principal = await auth.login(
            db, badge, pin, _settings(request.app.state).token_ttl_s
        )
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
    ctx = await _db(request).read_run(_board_ctx)
    return _page(request, "board.html", **ctx)


def _board_ctx(s: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "waves": floor.open_waves(s, now),
        "cut": floor.cutoffs(s, now),
        "alerts": exceptions.counts(s, now),
    }


@get("/events")
async def events(request: Request) -> ServerSentEvent:
    """The board's live stream: the fragments to swap, as their events arrive."""
    hub = request.app.state.console_hub
    queue = hub.join()

    async def stream() -> Any:
        try:
            # The current state first: whatever changed between the page and this stream.
            for message in await hub.render(("board", "cutoffs", "alerts")):
                yield message
            while True:
                try:
                    batch = await asyncio.wait_for(queue.get(), HEARTBEAT_S)
                except TimeoutError:
                    yield ServerSentEventMessage(comment="still here")
                    continue
                for message in batch:
                    yield message
        finally:
            hub.leave(queue)

    return ServerSentEvent(stream(), headers={"X-Accel-Buffering": "no"})


# -- throughput and exceptions ------------------------------------------------------------


@get("/throughput")
async def throughput(request: Request) -> Template:
    figures = await _db(request).read_run(floor.throughput, utcnow())
    top = max(figures["lines_by_hour"]) or 1
    return _page(request, "throughput.html", t=figures, top=top)


@get("/exceptions")
async def exception_list(request: Request) -> Template:
    return await _exceptions_page(request, "")


@post("/exceptions/prints/{job_id:int}/reprint")
async def reprint(request: Request, job_id: FromPath[int]) -> Template:
    """Print a failed label again (to its printer; the printer's fault must be cleared)."""
    parcel_id = await _db(request).read_run(_parcel_of_job, job_id)
    view, _new = await packing.reprint_label(_db(request), parcel_id)
    return await _exceptions_page(request, f"Label queued again (job {view['id']})")


def _parcel_of_job(s: Any, job_id: int) -> int:
    from wms.models.shipping import PrintJob

    job = s.get(PrintJob, job_id)
    if job is None or job.parcel_id is None:
        raise WmsError("unknown_job", "Unknown print job", f"no parcel's print job {job_id}")
    return int(job.parcel_id)


async def _exceptions_page(request: Request, message: str) -> Template:
    db = _db(request)
    found = await db.read_run(exceptions.everything, utcnow())
    printers = await supervision.known_printers(db)
    pickers = await supervision.pickers(db)
    counts = await stock.pending_counts(db)
    return _page(
        request, "exceptions.html", ex=found, message=message, printers=printers,
        pickers=pickers, counts=counts,
    )  # fmt: skip


@post("/exceptions/prints/{job_id:int}/elsewhere")
async def print_elsewhere(request: Request, job_id: FromPath[int]) -> Template:
    """Send a failed job to another printer (its own printer is broken)."""
    url = str((await request.form()).get("printer_url", ""))
    done = await supervision.print_elsewhere(_db(request), job_id, url)
    return await _exceptions_page(request, f"Job {job_id} sent to {url} (job {done['id']})")


@post("/exceptions/batches/{batch_id:int}/release")
async def release_batch(request: Request, batch_id: FromPath[int]) -> Template:
    await supervision.release_batch(_db(request), batch_id)
    return await _exceptions_page(request, f"Batch {batch_id} is back in the queue")


@post("/exceptions/batches/{batch_id:int}/reassign")
async def reassign_batch(request: Request, batch_id: FromPath[int]) -> Template:
    who = str((await request.form()).get("picker", ""))
    await supervision.reassign_batch(_db(request), batch_id, who)
    return await _exceptions_page(request, f"Batch {batch_id} given to {who}")


@post("/exceptions/orders/{order_id:int}/reserve")
async def reserve_again(request: Request, order_id: FromPath[int]) -> Template:
    done = await supervision.reserve_again(_db(request), order_id)
    return await _exceptions_page(
        request, f"Order {order_id}: {done['reserved']} units reserved, now {done['status']}"
    )


@post("/exceptions/orders/{order_id:int}/cancel")
async def cancel_order(request: Request, order_id: FromPath[int]) -> Template:
    """Cancel a backordered or held order: its reserved units are sellable again."""
    await orders_service.cancel(_db(request), order_id)
    return await _exceptions_page(request, f"Order {order_id} cancelled")


@post("/exceptions/shorts/{exception_id:int}/resolve")
async def resolve_short(request: Request, exception_id: FromPath[int]) -> Template:
    await picking.resolve_exception(_db(request), exception_id)
    return await _exceptions_page(request, f"Exception {exception_id} closed")


@post("/exceptions/shorts/{exception_id:int}/reallocate")
async def reallocate_short(request: Request, exception_id: FromPath[int]) -> Template:
    """Try again to hold the short line from stock elsewhere (new stops if still picking)."""
    user = request.scope["user"]
    done = await short_lines.reallocate(
        _db(request), await _geometry(request), exception_id, user.user_id, user.username
    )
    what = f"{done['reserved']} units reserved, {done['placed']} given new stops"
    what += f", {done['missing']} still missing" if done["missing"] else ", the line is whole"
    return await _exceptions_page(request, f"Order {done['order_id']}: {what}")


@post("/exceptions/shorts/{exception_id:int}/cancel-line")
async def cancel_short_line(request: Request, exception_id: FromPath[int]) -> Template:
    """Cancel the short line's missing units; the channel hears the new sellable quantity."""
    user = request.scope["user"]
    done = await short_lines.cancel_line(_db(request), exception_id, user.user_id, user.username)
    tail = ", order cancelled" if done["status"] == "cancelled" else ""
    return await _exceptions_page(
        request, f"Order {done['order_id']}: {done['cancelled']} units cancelled{tail}"
    )


@post("/exceptions/counts/{count_id:int}/approve")
async def approve_count(request: Request, count_id: FromPath[int]) -> Template:
    """A count's differences go to the ledger (the service moves the stock, not the page)."""
    return await _decide_count(request, count_id, approve=True)


@post("/exceptions/counts/{count_id:int}/reject")
async def reject_count(request: Request, count_id: FromPath[int]) -> Template:
    return await _decide_count(request, count_id, approve=False)


async def _decide_count(request: Request, count_id: int, *, approve: bool) -> Template:
    user = request.scope["user"]
    done = await stock.decide_count(
        _db(request), count_id, approve=approve, by_user_id=user.user_id, by_username=user.username
    )
    return await _exceptions_page(request, f"Count {count_id} {done['status']}")


# -- security -----------------------------------------------------------------------------


@get("/security")
async def security_page(request: Request) -> Template:
    return await _security_page(request, "")


@post("/security/badges/{badge:str}/unlock")
async def unlock_badge(request: Request, badge: FromPath[str]) -> Template:
    """Let a locked badge log in again; the service writes the audit line (who, when)."""
    done = await auth.unlock_badge(_db(request), badge, request.scope["user"])
    return await _security_page(
        request, f"Badge {badge} unlocked ({done['were']} failed logins cleared)"
    )


async def _security_page(request: Request, message: str) -> Template:
    db = _db(request)
    return _page(
        request, "security.html", message=message,
        locked=await auth.locked_badges(db),
        failed=await auth.failed_logins(db, 50),
        unlocks=await auth.audit_lines(db, "badge_unlocked", 20),
    )  # fmt: skip


# -- orders and products ------------------------------------------------------------------


@get("/orders")
async def order_search(request: Request) -> Template:
    q = {k: str(v).strip() for k, v in request.query_params.items() if str(v).strip()}
    found = await _db(request).read_run(orders.search, q)
    names = await _db(request).read_run(orders.channel_codes)
    return _page(request, "orders.html", found=found, q=q, channels=names, statuses=orders.STATUSES)


@get("/orders/{order_id:int}")
async def order_page(request: Request, order_id: FromPath[int]) -> Template:
    detail = await _db(request).read_run(orders.detail, order_id)
    return _page(request, "order.html", o=detail)


@get("/products/{sku:str}")
async def product_page(request: Request, sku: FromPath[str]) -> Template:
    detail = await _db(request).read_run(orders.product, sku)
    return _page(request, "product.html", p=detail)


# -- waves --------------------------------------------------------------------------------


async def _geometry(request: Request) -> Any:
    return (await site.current_layout(_db(request))).geometry


@get("/waves")
async def wave_page(request: Request) -> Template:
    recent = await waves.list_waves(_db(request), 20)
    return _page(request, "waves.html", recent=recent, preview=None, form={}, message="")


@post("/waves/preview")
async def wave_preview(request: Request) -> Template:
    form = dict((await request.form()).items())
    rules = wave_rules_from_form(form)
    planned = await waves.preview(_db(request), rules, await _geometry(request))
    preview = msgspec.to_builtins(planned)
    reasons = Counter(x["reason"] for x in preview["left_out"])
    preview["left_out_reasons"] = sorted(reasons.items(), key=lambda kv: -kv[1])
    layout = await site.current_layout(_db(request))
    preview["drawings"] = await _db(request).read_run(preview_routes, layout, preview)
    recent = await waves.list_waves(_db(request), 20)
    return _page(request, "waves.html", recent=recent, preview=preview, form=form, message="")


@post("/waves/release")
async def wave_release(request: Request) -> Template:
    form = dict((await request.form()).items())
    user = request.scope["user"]
    # The preview the supervisor saw is what is released (refused whole if it went stale);
    # without one, the rules are planned afresh.
    what: waves.WaveRules | str = form.get("preview_id") or wave_rules_from_form(form)
    done = await waves.release(_db(request), what, await _geometry(request), user.user_id)
    recent = await waves.list_waves(_db(request), 20)
    return _page(
        request, "waves.html", recent=recent, preview=None, form={},
        message=f"Wave {done.id} released: {done.orders} orders",
    )  # fmt: skip


@post("/waves/{wave_id:int}/cancel")
async def wave_cancel(request: Request, wave_id: FromPath[int]) -> Template:
    await waves.cancel(_db(request), wave_id)
    recent = await waves.list_waves(_db(request), 20)
    return _page(
        request, "waves.html", recent=recent, preview=None, form={},
        message=f"Wave {wave_id} cancelled",
    )  # fmt: skip


# No media_type on the route: the gate's redirect to sign-in must be able to answer too.
@get("/batches/{batch_id:int}/route.svg")
async def batch_route(request: Request, batch_id: FromPath[int]) -> Response[str]:
    layout = await site.current_layout(_db(request))
    return Response(
        await wave_drawing.batch_svg(_db(request), layout, batch_id), media_type="image/svg+xml"
    )


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
        login_page, login, logout, board, events, throughput, exception_list, reprint,
        resolve_short, print_elsewhere, release_batch, reassign_batch, reserve_again, cancel_order,
        approve_count, reject_count, security_page, unlock_badge, reallocate_short,
        cancel_short_line,
        order_search, order_page, product_page, wave_page, wave_preview,
        wave_release, wave_cancel, batch_route,
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
