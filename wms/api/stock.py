"""Stock endpoints: receive, move, adjust, count, and look-ups of stock and the ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select

from wms.api.deps import DbDep, UserDep
from wms.api.security import FLOOR, requires
from wms.models import Location, Product, ProductAvailability, Stock, StockMove
from wms.services import stock
from wms.services.stock import CountLine

Qty = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Lot = Annotated[str, msgspec.Meta(max_length=40)]


class Receive(msgspec.Struct, forbid_unknown_fields=True):
    sku: Code
    location: Code
    qty: Qty
    lot: Lot = ""
    expiry: date | None = None
    ref: Annotated[str, msgspec.Meta(max_length=120)] = ""
    unit_cost: Decimal | None = None  # the receipt's cost per unit: moves the average cost


class Move(msgspec.Struct, forbid_unknown_fields=True):
    sku: Code
    source: Code
    target: Code
    qty: Qty
    lot: Lot = ""
    ref: Annotated[str, msgspec.Meta(max_length=120)] = ""


class Adjust(msgspec.Struct, forbid_unknown_fields=True):
    sku: Code
    location: Code
    delta: Annotated[int, msgspec.Meta(ge=-1_000_000, le=1_000_000)]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    lot: Lot = ""
    expiry: date | None = None
    ref: Annotated[str, msgspec.Meta(max_length=60)] = ""


class CountedLine(msgspec.Struct, forbid_unknown_fields=True):
    sku: Code
    qty: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
    lot: Lot = ""


class Count(msgspec.Struct, forbid_unknown_fields=True):
    location: Code
    lines: Annotated[list[CountedLine], msgspec.Meta(max_length=1000)]
    ref: Annotated[str, msgspec.Meta(max_length=120)] = ""


class StockController(Controller):
    path = "/api/v1/stock"
    guards = [requires(*FLOOR)]
    tags = ["stock"]

    @post("/receive", status_code=201)
    async def receive(self, data: JSONBody[Receive], db: DbDep, user: UserDep) -> dict[str, Any]:
        await stock.receive(
            db,
            sku=data.sku,
            location=data.location,
            qty=data.qty,
            lot=data.lot,
            expiry=data.expiry,
            user_id=user.user_id,
            ref=data.ref,
            unit_cost=data.unit_cost,
        )
        return {"ok": True, "sku": data.sku, "location": data.location, "qty": data.qty}

    @post("/move", status_code=201)
    async def move(self, data: JSONBody[Move], db: DbDep, user: UserDep) -> dict[str, Any]:
        await stock.move(
            db,
            sku=data.sku,
            source=data.source,
            target=data.target,
            qty=data.qty,
            lot=data.lot,
            user_id=user.user_id,
            ref=data.ref,
        )
        return {"ok": True}

    @post("/adjust", status_code=201, guards=[requires("supervisor")])
    async def adjust(self, data: JSONBody[Adjust], db: DbDep, user: UserDep) -> dict[str, Any]:
        await stock.adjust(
            db,
            sku=data.sku,
            location=data.location,
            delta=data.delta,
            reason=data.reason,
            lot=data.lot,
            expiry=data.expiry,
            user_id=user.user_id,
            ref=data.ref,
        )
        return {"ok": True}

    @post("/count", status_code=201)
    async def count(self, data: JSONBody[Count], db: DbDep, user: UserDep) -> dict[str, Any]:
        lines = [CountLine(sku=line.sku, qty=line.qty, lot=line.lot) for line in data.lines]
        diffs = await stock.count(
            db, location=data.location, lines=lines, user_id=user.user_id, ref=data.ref
        )
        return {"ok": True, "differences": diffs}

    @get("/")
    async def list_stock(
        self,
        db: DbDep,
        sku: FromQuery[str | None] = None,
        location: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> list[dict[str, Any]]:
        query = (
            select(Stock, Product.sku, Location.code)
            .join(Product, Product.id == Stock.product_id)
            .join(Location, Location.id == Stock.location_id)
            .where(Stock.on_hand > 0)
            .order_by(Location.walk_seq, Location.code, Product.sku)
            .limit(limit)
        )
        if sku:
            query = query.where(Product.sku == sku)
        if location:
            query = query.where(Location.code == location)
        async with db.read() as s:
            rows = (await s.execute(query)).all()
        return [
            {
                "sku": p_sku,
                "location": code,
                "lot": row.lot,
                "expiry": row.expiry.isoformat() if row.expiry else None,
                "on_hand": row.on_hand,
                "allocated": row.allocated,
            }
            for row, p_sku, code in rows
        ]

    @get("/moves")
    async def moves(
        self,
        db: DbDep,
        sku: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        query = (
            select(StockMove, Product.sku)
            .join(Product, Product.id == StockMove.product_id)
            .order_by(StockMove.id.desc())
            .limit(limit)
        )
        if sku:
            query = query.where(Product.sku == sku)
        async with db.read() as s:
            rows = (await s.execute(query)).all()
            codes = dict((await s.execute(select(Location.id, Location.code))).all())
        return [
            {
                "id": m.id,
                "sku": p_sku,
                "from": codes.get(m.from_location_id),
                "to": codes.get(m.to_location_id),
                "lot": m.lot,
                "qty": m.qty,
                "reason": m.reason,
                "user_id": m.user_id,
                "ref": m.ref,
                "at": m.at.isoformat(),
            }
            for m, p_sku in rows
        ]

    @get("/putaway")
    async def putaway(self, db: DbDep, sku: FromQuery[str]) -> dict[str, str]:
        """The suggested location for received units of `sku`."""
        return await stock.putaway_location(db, sku)

    @get("/availability/{sku:str}")
    async def availability(self, db: DbDep, sku: FromPath[str]) -> dict[str, Any]:
        async with db.read() as s:
            product = await stock.product_by_sku(s, sku)
            row = await s.get(ProductAvailability, product.id)
        on_hand = row.on_hand_pickable if row else 0
        reserved = row.reserved if row else 0
        return {
            "sku": sku,
            "on_hand_pickable": on_hand,
            "reserved": reserved,
            "sellable": on_hand - reserved,
        }
