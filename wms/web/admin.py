"""The console's admin pages under /ui/admin: products, users and badges, printers, stations,
channels and their listings, listed and edited with the same services (and audit lines) as
the admin API.

They sit behind the console's gate (session, role from wms/api/roles.py: admins only, and
the CSRF token on every POST). Forms post with htmx and get the page's fragment back; a
refused change shows its problem above the form, which keeps what was typed.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath
from litestar.response import Template

from wms.errors import WmsError
from wms.services import admin, admin_floor, admin_listings, admin_products, admin_users
from wms.web.controllers import ConsoleHeaders, _db, _error_page, _gate, _page

PAGE_SIZE = 50


def _view(request: Request, name: str, **ctx: Any) -> Template:
    """The page, or only its main part for htmx (the admin templates extend either)."""
    bare = "hx-request" in request.headers and "hx-boosted" not in request.headers
    page = _page(request, f"admin/{name}", bare=bare, **ctx)
    page.template_name = f"admin/{name}"  # one template each: `bare` picks what it extends
    return page


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v).strip() for k, v in form.items() if k != "csrf"}


def _int(form: dict[str, str], key: str, code: str) -> int:
    try:
        return int(form.get(key) or 0)
    except ValueError as exc:
        raise WmsError(code, "Not a number", f"{key}: a whole number") from exc


def _flags(form: dict[str, str], *keys: str) -> dict[str, bool]:
    """Checkboxes: sent when ticked, absent when not."""
    return {k: k in form for k in keys}


def _actor(request: Request) -> str:
    return request.scope["user"].username  # type: ignore[no-any-return]


@get("/")
async def index(request: Request) -> Template:
    return _view(request, "index.html")


# -- products -------------------------------------------------------------------------------


def _product_fields(form: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        "unit_cost": form.get("unit_cost") or "0",
    }
    for key in ("length_mm", "width_mm", "height_mm", "weight_g"):
        values[key] = _int(form, key, "bad_product")
    values["barcodes"] = [b for b in form.get("barcodes", "").replace(",", " ").split() if b]
    return values | _flags(form, "lot_tracked", "expiry_tracked")


async def _products(request: Request, message: str = "") -> Template:
    after = request.query_params.get("after", "")
    found = await _db(request).run(admin_products.list_products, after, PAGE_SIZE)
    return _view(request, "products.html", products=found, after=after, message=message)


@get("/products")
async def products(request: Request) -> Template:
    return await _products(request)


@post("/products")
async def add_product(request: Request) -> Template:
    form = await _form(request)
    values = {"sku": form.get("sku", "")} | _product_fields(form)
    done = await _db(request).run(admin_products.create_product, _actor(request), values)
    return await _products(request, f"Product {done['sku']} added")


@get("/products/{sku:str}")
async def product(request: Request, sku: FromPath[str]) -> Template:
    found = await _db(request).run(admin_products.get_product, sku)
    return _view(request, "product.html", p=found, message="")


@post("/products/{sku:str}")
async def edit_product(request: Request, sku: FromPath[str]) -> Template:
    form = await _form(request)
    values = _product_fields(form) | _flags(form, "active")
    done = await _db(request).run(admin_products.update_product, _actor(request), sku, values)
    return _view(request, "product.html", p=done, message=f"Product {sku} saved")


# -- users and badges ---------------------------------------------------------------------


def _user_fields(form: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {"name": form.get("name", ""), "role": form.get("role", "")}
    values["badge"] = form.get("badge", "")
    if form.get("pin"):
        values["pin"] = form["pin"]
    values["channels"] = [c for c in form.get("channels", "").replace(",", " ").split() if c]
    return values


async def _users(request: Request, message: str = "") -> Template:
    found = await _db(request).run(admin_users.list_users)
    return _view(request, "users.html", users=found, roles=admin_users.ROLES, message=message)


@get("/users")
async def users(request: Request) -> Template:
    return await _users(request)


@post("/users")
async def add_user(request: Request) -> Template:
    form = await _form(request)
    values = {"username": form.get("username", "")} | _user_fields(form)
    values = {k: v for k, v in values.items() if v not in ("", [])}
    done = await _db(request).run(admin_users.create_user, _actor(request), values)
    return await _users(request, f"User {done['username']} added")


@get("/users/{username:str}")
async def user(request: Request, username: FromPath[str]) -> Template:
    found = await _db(request).run(admin_users.get_user, username)
    return _view(request, "user.html", u=found, roles=admin_users.ROLES, message="")


@post("/users/{username:str}")
async def edit_user(request: Request, username: FromPath[str]) -> Template:
    form = await _form(request)
    values = _user_fields(form) | _flags(form, "active")
    done = await _db(request).run(admin_users.update_user, _actor(request), username, values)
    return _view(
        request, "user.html", u=done, roles=admin_users.ROLES, message=f"User {username} saved"
    )


# -- printers and stations ----------------------------------------------------------------


async def _floor(request: Request, message: str = "") -> Template:
    db = _db(request)
    return _view(
        request,
        "floor.html",
        printers=await db.run(admin_floor.list_printers),
        stations=await db.run(admin_floor.list_stations),
        dpis=admin_floor.DPIS,
        message=message,
    )


@get("/floor")
async def floor(request: Request) -> Template:
    return await _floor(request)


@post("/printers")
async def add_printer(request: Request) -> Template:
    form = await _form(request)
    done = await _db(request).run(
        admin_floor.create_printer, _actor(request), form.get("url", ""), form.get("name", "")
    )
    return await _floor(request, f"Printer {done['url']} registered")


@post("/printers/{printer_id:int}")
async def edit_printer(request: Request, printer_id: FromPath[int]) -> Template:
    form = await _form(request)
    values = {"name": form.get("name", "")} | _flags(form, "active")
    done = await _db(request).run(admin_floor.update_printer, _actor(request), printer_id, values)
    return await _floor(request, f"Printer {done['url']} saved")


def _station_fields(form: dict[str, str]) -> dict[str, Any]:
    keys = ("name", "label_printer_url", "document_printer_url", "scale_url")
    values: dict[str, Any] = {k: form.get(k, "") for k in keys}
    return values | {"label_dpi": _int(form, "label_dpi", "bad_station") or 203}


@post("/stations")
async def add_station(request: Request) -> Template:
    form = await _form(request)
    values = {"code": form.get("code", "")} | _station_fields(form)
    done = await _db(request).run(admin_floor.create_station, _actor(request), values)
    return await _floor(request, f"Station {done['code']} added")


@post("/stations/{code:str}")
async def edit_station(request: Request, code: FromPath[str]) -> Template:
    form = await _form(request)
    values = _station_fields(form) | _flags(form, "active")
    await _db(request).run(admin_floor.update_station, _actor(request), code, values)
    return await _floor(request, f"Station {code} saved")


# -- channels -------------------------------------------------------------------------------


async def _channels(request: Request, message: str = "") -> Template:
    found = await admin.list_channels(_db(request))
    return _view(request, "channels.html", channels=found, message=message)


@get("/channels")
async def channels(request: Request) -> Template:
    return await _channels(request)


@post("/channels/{code:str}")
async def edit_channel(request: Request, code: FromPath[str]) -> Template:
    """Name, buffer and on/off (a changed buffer or state is pushed to the shop at once)."""
    form = await _form(request)
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        "buffer": _int(form, "buffer", "bad_channel"),
    }
    values |= _flags(form, "active")
    await admin.update_channel(_db(request), _actor(request), code, values)
    return await _channels(request, f"Channel {code} saved")


# -- listings (a channel's SKU for one of ours) ---------------------------------------------


async def _listings(
    request: Request, code: str = "", message: str = "", search: str | None = None
) -> Template:
    db = _db(request)
    known = [c["code"] for c in await admin.list_channels(db)]
    code = code or request.query_params.get("channel", "") or (known[0] if known else "")
    if search is None:
        search = request.query_params.get("q", "")
    after = request.query_params.get("after", "")
    found = []
    if code:
        found = await db.run(admin_listings.list_listings, code, search, after, PAGE_SIZE)
    return _view(
        request, "listings.html", channels=known, channel=code, q=search, after=after,
        listings=found, message=message,
    )  # fmt: skip


@get("/listings")
async def listings(request: Request) -> Template:
    return await _listings(request)


async def _put_listing(
    request: Request, form: dict[str, str], code: str, sku: str, active: bool
) -> Template:
    done = await _db(request).run(
        admin_listings.put_listing, _actor(request), code, sku,
        form.get("product_ref", ""), form.get("variant_ref", ""), active,
    )  # fmt: skip
    state = "saved" if done["active"] else "disabled"
    # The page comes back with the search it was posted from (a new listing: its SKU).
    search = form.get("q", sku)
    return await _listings(request, code, f"Listing {code} {sku} {state}", search)


@post("/listings")
async def add_listing(request: Request) -> Template:
    """A new listing (or the whole of an existing one): pushed to the shop at once."""
    form = await _form(request)
    return await _put_listing(request, form, form.get("channel", ""), form.get("sku", ""), True)


@post("/listings/{code:str}/{sku:str}")
async def edit_listing(request: Request, code: FromPath[str], sku: FromPath[str]) -> Template:
    """Its references and on/off: off pushes zero for it, on again the true figure."""
    form = await _form(request)
    return await _put_listing(request, form, code, sku, "active" in form)


ADMIN_PAGES = Router(
    path="/ui/admin",
    route_handlers=[
        index, products, add_product, product, edit_product, users, add_user, user, edit_user,
        floor, add_printer, edit_printer, add_station, edit_station, channels, edit_channel,
        listings, add_listing, edit_listing,
    ],
    before_request=_gate,
    middleware=[ConsoleHeaders],
    exception_handlers={WmsError: _error_page},
    include_in_schema=False,
)  # fmt: skip
