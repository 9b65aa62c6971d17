"""Admin API: add, edit and disable channels and their listings while the warehouse runs."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from wms.api.deps import DbDep, UserDep
from wms.api.security import requires
from wms.services import admin, admin_listings


class ChannelOut(msgspec.Struct):
    """A channel as shown: whether its secrets are set, never their values."""

    code: str
    kind: str
    name: str
    api_base_url: str
    shop_id: str
    location_id: str
    warehouse_id: str
    buffer: int
    fee_pct: str
    fee_fixed: str
    currency: str
    active: bool
    has_secret: bool
    has_access_token: bool
    has_shop_cipher: bool
    has_app_key: bool  # WooCommerce's consumer key is a secret too: sealed, never shown
    app_key_fingerprint: str
    secret_fingerprint: str  # "sha256:" and 8 hex digits: tells secrets apart, reveals none
    access_token_fingerprint: str
    old_secret_until: str  # while a rotated-out secret still verifies webhooks, else ""


class ChannelIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    kind: str
    name: str = ""
    secret: str = ""
    app_key: str = ""
    api_base_url: str = ""
    access_token: str = ""
    shop_id: str = ""
    shop_cipher: str = ""
    location_id: str = ""
    warehouse_id: str = ""
    buffer: int = 0
    fee_pct: str = "0"
    fee_fixed: str = "0"
    currency: str = "USD"


class ChannelPatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Only the fields given change; a new secret or token replaces the old one."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    secret: str | msgspec.UnsetType = msgspec.UNSET
    app_key: str | msgspec.UnsetType = msgspec.UNSET
    api_base_url: str | msgspec.UnsetType = msgspec.UNSET
    access_token: str | msgspec.UnsetType = msgspec.UNSET
    shop_id: str | msgspec.UnsetType = msgspec.UNSET
    shop_cipher: str | msgspec.UnsetType = msgspec.UNSET
    location_id: str | msgspec.UnsetType = msgspec.UNSET
    warehouse_id: str | msgspec.UnsetType = msgspec.UNSET
    buffer: int | msgspec.UnsetType = msgspec.UNSET
    fee_pct: str | msgspec.UnsetType = msgspec.UNSET
    fee_fixed: str | msgspec.UnsetType = msgspec.UNSET
    currency: str | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    keep_old_secret_s: int | msgspec.UnsetType = msgspec.UNSET  # old secret still valid (24 h)


class ListingIn(msgspec.Struct, forbid_unknown_fields=True):
    """The whole listing: a PUT without ``active`` (re-)enables it."""

    product_ref: str
    variant_ref: str = ""
    active: bool = True  # false: the shop is pushed zero for it, at once


class ListingOut(msgspec.Struct):
    channel: str
    sku: str
    name: str
    product_ref: str
    variant_ref: str
    active: bool


def _given(data: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}


class AdminChannelController(Controller):
    path = "/api/v1/admin/channels"
    guards = [requires("admin")]
    tags = ["admin"]

    @get("/")
    async def list_channels(self, db: DbDep) -> list[ChannelOut]:
        return [ChannelOut(**c) for c in await admin.list_channels(db)]

    @post("/", status_code=201)
    async def create(self, data: JSONBody[ChannelIn], db: DbDep, user: UserDep) -> ChannelOut:
        return ChannelOut(**await admin.create_channel(db, user.username, _given(data)))

    @patch("/{code:str}")
    async def edit(
        self, data: JSONBody[ChannelPatch], db: DbDep, user: UserDep, code: FromPath[str]
    ) -> ChannelOut:
        return ChannelOut(**await admin.update_channel(db, user.username, code, _given(data)))

    @get("/{code:str}/listings")
    async def listings(
        self,
        db: DbDep,
        code: FromPath[str],
        q: FromQuery[str] = "",
        after: FromQuery[str] = "",
        limit: FromQuery[int] = 50,
    ) -> list[ListingOut]:
        """One channel's listings by our SKU; ``q`` searches either side's SKU and the name."""
        found = await db.run(admin_listings.list_listings, code, q, after, limit)
        return [ListingOut(**x) for x in found]

    @put("/{code:str}/listings/{sku:str}")
    async def put_listing(
        self,
        data: JSONBody[ListingIn],
        db: DbDep,
        user: UserDep,
        code: FromPath[str],
        sku: FromPath[str],
    ) -> ListingOut:
        listing = await db.run(
            admin_listings.put_listing,
            user.username,
            code,
            sku,
            data.product_ref,
            data.variant_ref,
            data.active,
        )
        return ListingOut(**listing)

    @delete("/{code:str}/listings/{sku:str}", status_code=204)
    async def delete_listing(
        self, db: DbDep, user: UserDep, code: FromPath[str], sku: FromPath[str]
    ) -> None:
        await db.run(admin_listings.delete_listing, user.username, code, sku)
