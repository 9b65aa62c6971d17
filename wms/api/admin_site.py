"""Admin API: add, edit and disable products, users and badges, printers and stations."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from wms.api.admin_carriers import AdminCarrierController
from wms.api.deps import DbDep, UserDep
from wms.api.security import requires
from wms.services import admin_floor, admin_products, admin_users

Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


def _given(data: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET}


class ProductOut(msgspec.Struct):
    sku: str
    name: str
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int
    unit_cost: str  # a decimal amount in the reporting currency
    lot_tracked: bool
    expiry_tracked: bool
    active: bool
    barcodes: list[str]


class ProductIn(msgspec.Struct, forbid_unknown_fields=True):
    sku: str
    name: str
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0
    weight_g: int = 0
    unit_cost: str = "0"
    lot_tracked: bool = False
    expiry_tracked: bool = False
    barcodes: list[str] = []


class ProductPatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Only the fields given change; ``barcodes`` is the whole new list; active=false disables."""

    name: str | Unset = UNSET
    length_mm: int | Unset = UNSET
    width_mm: int | Unset = UNSET
    height_mm: int | Unset = UNSET
    weight_g: int | Unset = UNSET
    unit_cost: str | Unset = UNSET
    lot_tracked: bool | Unset = UNSET
    expiry_tracked: bool | Unset = UNSET
    active: bool | Unset = UNSET
    barcodes: list[str] | Unset = UNSET


class UserOut(msgspec.Struct):
    """A user as shown: whether a PIN is set, never its hash."""

    username: str
    name: str
    role: str
    badge: str
    has_pin: bool
    active: bool
    failed_logins: int
    channels: list[str]


class UserIn(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    role: str
    name: str = ""
    badge: str = ""
    pin: str = ""
    channels: list[str] = []


class UserPatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A new ``pin`` replaces the old; ``badge`` "" takes the badge away; active=false disables."""

    name: str | Unset = UNSET
    role: str | Unset = UNSET
    badge: str | Unset = UNSET
    pin: str | Unset = UNSET
    active: bool | Unset = UNSET
    channels: list[str] | Unset = UNSET


class PrinterOut(msgspec.Struct):
    id: int  # 0: named by a loaded station, not registered yet
    url: str
    name: str
    active: bool
    status: str
    stations: list[str]


class PrinterIn(msgspec.Struct, forbid_unknown_fields=True):
    url: str
    name: str = ""


class PrinterPatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str | Unset = UNSET
    active: bool | Unset = UNSET


class StationOut(msgspec.Struct):
    code: str
    name: str
    label_printer_url: str
    document_printer_url: str
    scale_url: str
    label_dpi: int
    active: bool


class StationIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    label_printer_url: str
    name: str = ""
    document_printer_url: str = ""
    scale_url: str = ""
    label_dpi: int = 203


class StationPatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str | Unset = UNSET
    label_printer_url: str | Unset = UNSET
    document_printer_url: str | Unset = UNSET
    scale_url: str | Unset = UNSET
    label_dpi: int | Unset = UNSET
    active: bool | Unset = UNSET


class AdminProductController(Controller):
    path = "/api/v1/admin/products"
    guards = [requires("admin")]
    tags = ["admin"]

    @get("/")
    async def list_products(
        self,
        db: DbDep,
        after: Annotated[str, QueryParameter(max_length=64)] = "",
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[ProductOut]:
        return [ProductOut(**p) for p in await db.run(admin_products.list_products, after, limit)]

    @get("/{sku:str}")
    async def one(self, db: DbDep, sku: FromPath[str]) -> ProductOut:
        return ProductOut(**await db.run(admin_products.get_product, sku))

    @post("/", status_code=201)
    async def create(self, data: JSONBody[ProductIn], db: DbDep, user: UserDep) -> ProductOut:
        values = msgspec.structs.asdict(data)
        return ProductOut(**await db.run(admin_products.create_product, user.username, values))

    @patch("/{sku:str}")
    async def edit(
        self, data: JSONBody[ProductPatch], db: DbDep, user: UserDep, sku: FromPath[str]
    ) -> ProductOut:
        return ProductOut(
            **await db.run(admin_products.update_product, user.username, sku, _given(data))
        )


class AdminUserController(Controller):
    path = "/api/v1/admin/users"
    guards = [requires("admin")]
    tags = ["admin"]

    @get("/")
    async def list_users(self, db: DbDep) -> list[UserOut]:
        return [UserOut(**u) for u in await db.run(admin_users.list_users)]

    @post("/", status_code=201)
    async def create(self, data: JSONBody[UserIn], db: DbDep, user: UserDep) -> UserOut:
        values = {k: v for k, v in msgspec.structs.asdict(data).items() if v not in ("", [])}
        return UserOut(**await db.run(admin_users.create_user, user.username, values))

    @patch("/{username:str}")
    async def edit(
        self, data: JSONBody[UserPatch], db: DbDep, user: UserDep, username: FromPath[str]
    ) -> UserOut:
        return UserOut(
            **await db.run(admin_users.update_user, user.username, username, _given(data))
        )


class AdminPrinterController(Controller):
    path = "/api/v1/admin/printers"
    guards = [requires("admin")]
    tags = ["admin"]

    @get("/")
    async def list_printers(self, db: DbDep) -> list[PrinterOut]:
        return [PrinterOut(**p) for p in await db.run(admin_floor.list_printers)]

    @post("/", status_code=201)
    async def create(self, data: JSONBody[PrinterIn], db: DbDep, user: UserDep) -> PrinterOut:
        return PrinterOut(
            **await db.run(admin_floor.create_printer, user.username, data.url, data.name)
        )

    @patch("/{printer_id:int}")
    async def edit(
        self, data: JSONBody[PrinterPatch], db: DbDep, user: UserDep, printer_id: FromPath[int]
    ) -> PrinterOut:
        changes = _given(data)
        return PrinterOut(
            **await db.run(admin_floor.update_printer, user.username, printer_id, changes)
        )


class AdminStationController(Controller):
    path = "/api/v1/admin/stations"
    guards = [requires("admin")]
    tags = ["admin"]

    @get("/")
    async def list_stations(self, db: DbDep) -> list[StationOut]:
        return [StationOut(**st) for st in await db.run(admin_floor.list_stations)]

    @post("/", status_code=201)
    async def create(self, data: JSONBody[StationIn], db: DbDep, user: UserDep) -> StationOut:
        values = msgspec.structs.asdict(data)
        return StationOut(**await db.run(admin_floor.create_station, user.username, values))

    @patch("/{code:str}")
    async def edit(
        self, data: JSONBody[StationPatch], db: DbDep, user: UserDep, code: FromPath[str]
    ) -> StationOut:
        return StationOut(
            **await db.run(admin_floor.update_station, user.username, code, _given(data))
        )


CONTROLLERS = [
    AdminCarrierController,
    AdminProductController,
    AdminUserController,
    AdminPrinterController,
    AdminStationController,
]
