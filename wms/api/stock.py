"""Stock endpoints: receive, move, adjust, count, and look-ups of stock and the ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from wms.api.answers import Ok, answer
from wms.api.answers.stock import (
    Availability,
    Counted,
    CountView,
    MoveRow,
    Putaway,
    Received,
    StockRow,
)
from wms.api.deps import DbDep, SettingsDep, UserDep
from wms.api.security import FLOOR, requires
from wms.db import reads
from wms.errors import NotFound, WmsError
from wms.models import Location, Product, ProductAvailability, Stock, StockMove
from wms.services import scan, stock
from wms.services.stock import CountLine

Qty = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Lot = Annotated[str, msgspec.Meta(max_length=40)]
Scan = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


async def _item(
    db: Any, sku: str | None, raw: str | None, qty: int | None, lot: str
) -> tuple[str, int, str, date | None]:
    """(sku, units, lot, expiry) of a line given by SKU or by a scanned barcode (packs count)."""
    if (sku is None) == (raw is None):
        raise WmsError("sku_or_scan", "SKU or scan", "give the item's sku or its scan, not both")
    if raw is None:
        if qty is None:
            raise WmsError("bad_quantity", "Quantity required", "qty is required with a sku")
        return str(sku), qty, lot, None
    found = await scan.item(db, raw)
    return found.sku, scan.units(found, qty), lot or found.lot, found.expiry


class Receive(msgspec.Struct, forbid_unknown_fields=True):
    location: Code
    # The item by SKU, or by the barcode scanned (a case counts its pack_qty units).
    sku: Code | None = None
    scan: Scan | None = None
    qty: Qty | None = None  # units; null with a scan: the scanned barcode's pack_qty
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
    sku: Code | None = None
    scan: Scan | None = None  # instead of sku: the barcode scanned, packs counted whole
    qty: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = None  # units
    lot: Lot = ""


class Count(msgspec.Struct, forbid_unknown_fields=True):
    location: Code
    lines: Annotated[list[CountedLine], msgspec.Meta(max_length=1000)]
    ref: Annotated[str, msgspec.Meta(max_length=120)] = ""
    confirm_empty: bool = False  # required, and alone, to count a location as empty


# Pickers and packers change stock within the site's bounds; beyond, a supervisor decides.
BOUNDED_ROLES = ("picker", "packer")


class StockController(Controller):
    path = "/api/v1/stock"
    guards = [requires(*FLOOR)]
    tags = ["stock"]

    @post("/receive", status_code=201)
    async def receive(
        self, data: JSONBody[Receive], db: DbDep, settings: SettingsDep, user: UserDep
    ) -> Received:
        sku, qty, lot, expiry = await _item(db, data.sku, data.scan, data.qty, data.lot)
        if user.role in BOUNDED_ROLES:
            stock.check_floor_receive(qty, data.ref, settings.floor_receive_max_qty)
        await stock.receive(
            db,
            sku=sku,
            location=data.location,
            qty=qty,
            lot=lot,
            expiry=data.expiry or expiry,
            user_id=user.user_id,
            ref=data.ref,
            unit_cost=data.unit_cost,
        )
        return Received(ok=True, sku=sku, location=data.location, qty=qty)

    @post("/move", status_code=201)
    async def move(self, data: JSONBody[Move], db: DbDep, user: UserDep) -> Ok:
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
        return Ok(ok=True)

    @post("/adjust", status_code=201, guards=[requires("supervisor")])
    async def adjust(self, data: JSONBody[Adjust], db: DbDep, user: UserDep) -> Ok:
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
        return Ok(ok=True)

    @post(
        "/count",
        status_code=201,
        responses={
            202: ResponseSpec(
                data_container=Counted, description="Waiting for a supervisor's approval"
            )
        },
    )
    async def count(
        self, data: JSONBody[Count], db: DbDep, settings: SettingsDep, user: UserDep
    ) -> Response[Counted]:
        """Applied at once (201), or, beyond a floor role's bound, pending approval (202)."""
        by_sku = all(x.sku and x.scan is None and x.qty is not None for x in data.lines)
        lines = [CountLine(str(x.sku), int(x.qty or 0), x.lot) for x in data.lines]
        if not by_sku:
            # Cases and loose units of one item are one count: scanned lines add up.
            by_item: dict[tuple[str, str], int] = {}
            for line in data.lines:
                sku, qty, lot, _ = await _item(db, line.sku, line.scan, line.qty, line.lot)
                if line.sku is not None and (sku, lot) in by_item:
                    raise WmsError("duplicate_line", "Item counted twice", "one line per SKU")
                by_item[(sku, lot)] = by_item.get((sku, lot), 0) + qty
            lines = [CountLine(sku=k[0], qty=n, lot=k[1]) for k, n in by_item.items()]
        result = await stock.count(
            db,
            location=data.location,
            lines=lines,
            user_id=user.user_id,
            ref=data.ref,
            confirm_empty=data.confirm_empty,
            max_variance=settings.floor_count_max_variance if user.role in BOUNDED_ROLES else None,
        )
        counted = answer(Counted, {"ok": True, **result})
        return Response(counted, status_code=202 if counted.pending else 201)

    @get("/counts", guards=[requires("supervisor")])
    async def counts(
        self, db: DbDep, status: FromQuery[Literal["pending", "approved", "rejected"]] = "pending"
    ) -> list[CountView]:
        """Counts waiting for a supervisor's approval (``status=approved|rejected``: decided)."""
        return answer(list[CountView], await stock.pending_counts(db, status))

    @post("/counts/{count_id:int}/approve", status_code=200, guards=[requires("supervisor")])
    async def approve_count(self, db: DbDep, user: UserDep, count_id: FromPath[int]) -> CountView:
        """Apply a pending count's differences through the ledger."""
        decided = await stock.decide_count(
            db, count_id, approve=True, by_user_id=user.user_id, by_username=user.username
        )
        return answer(CountView, decided)

    @post("/counts/{count_id:int}/reject", status_code=200, guards=[requires("supervisor")])
    async def reject_count(self, db: DbDep, user: UserDep, count_id: FromPath[int]) -> CountView:
        """Drop a pending count: stock stays as it was."""
        decided = await stock.decide_count(
            db, count_id, approve=False, by_user_id=user.user_id, by_username=user.username
        )
        return answer(CountView, decided)

    @get("/")
    async def list_stock(
        self,
        db: DbDep,
        sku: FromQuery[str | None] = None,
        location: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> list[StockRow]:
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
        return await db.run(_stock_rows, query)

    @get("/moves")
    async def moves(
        self,
        db: DbDep,
        sku: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[MoveRow]:
        query = (
            select(StockMove, Product.sku)
            .join(Product, Product.id == StockMove.product_id)
            .order_by(StockMove.id.desc())
            .limit(limit)
        )
        if sku:
            query = query.where(Product.sku == sku)
        return await db.run(_move_rows, query)

    @get("/putaway")
    async def putaway(self, db: DbDep, sku: FromQuery[str]) -> Putaway:
        """The suggested location for received units of `sku`."""
        return answer(Putaway, await stock.putaway_location(db, sku))

    @get("/availability/{sku:str}")
    async def availability(self, db: DbDep, sku: FromPath[str]) -> Availability:
        return await db.run(_availability, sku)


@reads
def _stock_rows(s: Session, query: Select[Any]) -> list[StockRow]:
    return [
        StockRow(
            sku=p_sku,
            location=code,
            lot=row.lot,
            expiry=row.expiry.isoformat() if row.expiry else None,
            on_hand=row.on_hand,
            allocated=row.allocated,
        )
        for row, p_sku, code in s.execute(query).all()
    ]


@reads
def _move_rows(s: Session, query: Select[Any]) -> list[MoveRow]:
    rows = s.execute(query).all()
    codes = {r.id: r.code for r in s.execute(select(Location.id, Location.code))}
    return [
        MoveRow(
            id=m.id,
            sku=p_sku,
            from_=codes.get(m.from_location_id),
            to=codes.get(m.to_location_id),
            lot=m.lot,
            qty=m.qty,
            reason=m.reason,
            user_id=m.user_id,
            ref=m.ref,
            at=m.at.isoformat(),
        )
        for m, p_sku in rows
    ]


@reads
def _availability(s: Session, sku: str) -> Availability:
    product = s.execute(select(Product).where(Product.sku == sku)).scalar_one_or_none()
    if product is None:
        raise NotFound("unknown_sku", "Unknown SKU", f"no product with SKU {sku!r}", sku=sku)
    row = s.get(ProductAvailability, product.id)
    on_hand = row.on_hand_pickable if row else 0
    reserved = row.reserved if row else 0
    return Availability(
        sku=sku, on_hand_pickable=on_hand, reserved=reserved, sellable=on_hand - reserved
    )
