"""The console's order, product and wave pages: search, timelines, plan, preview, release."""

from __future__ import annotations

from collections import Counter

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from wms.reports import orders
from wms.services import site, wave_drawing, waves
from wms.web import render
from wms.web.adapters import preview_routes, wave_rules_from_form

_page, _db, _geometry = render.page, render.database, render.geometry


# -- orders and products ------------------------------------------------------------------


@get("/orders")
async def order_search(request: Request) -> Template:
    q = {k: str(v).strip() for k, v in request.query_params.items() if str(v).strip()}
    found = await _db(request).run(orders.search, q)
    names = await _db(request).run(orders.channel_codes)
    return _page(request, "orders.html", found=found, q=q, channels=names, statuses=orders.STATUSES)


@get("/orders/{order_id:int}")
async def order_page(request: Request, order_id: FromPath[int]) -> Template:
    detail = await _db(request).run(orders.detail, order_id)
    return _page(request, "order.html", o=detail)


@get("/products/{sku:str}")
async def product_page(request: Request, sku: FromPath[str]) -> Template:
    detail = await _db(request).run(orders.product, sku)
    return _page(request, "product.html", p=detail)


# -- waves --------------------------------------------------------------------------------


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
    preview["drawings"] = await _db(request).run(preview_routes, layout, preview)
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




ROUTES = [
    order_search,
    order_page,
    product_page,
    wave_page,
    wave_preview,
    wave_release,
    wave_cancel,
    batch_route,
]
