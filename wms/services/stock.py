"""Receive, move, adjust and count stock; every change is a line in the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from wms.db import Database
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Location, Product, Stock, StockMove
from wms.models.layout import SELLABLE_KINDS
from wms.services import availability, money_facts
from wms.services.sql import upsert

MAX_QTY = 1_000_000
ST = Stock.__table__
MOVES = StockMove.__table__


class ProductRef(Protocol):
    """What a move needs of a product: a `Product`, or a row read with just these columns."""

    @property
    def id(self) -> int | None: ...
    @property
    def sku(self) -> str: ...


class PlaceRef(Protocol):
    """What a move needs of a location."""

    @property
    def id(self) -> int | None: ...
    @property
    def code(self) -> str: ...
    @property
    def kind(self) -> str: ...


@dataclass(frozen=True)
class ProductKey:
    """A product by the columns a move needs, read without loading the whole row."""

    id: int
    sku: str


@dataclass(frozen=True)
class PlaceKey:
    """A location by the columns a move needs."""

    id: int
    code: str
    kind: str


@dataclass(frozen=True)
class CountLine:
    sku: str
    qty: int
    lot: str = ""


def check_qty(qty: int, *, allow_zero: bool = False) -> None:
    if qty < 0 or (qty == 0 and not allow_zero):
        raise WmsError("bad_quantity", "Quantity must be >0", f"quantity {qty} is not allowed")
    if qty > MAX_QTY:
        raise WmsError("bad_quantity", "Quantity too large", f"quantity {qty} > {MAX_QTY}")


async def product_by_sku(s: AsyncSession, sku: str) -> Product:
    product = (await s.execute(select(Product).where(Product.sku == sku))).scalar_one_or_none()
    if product is None:
        raise NotFound("unknown_sku", "Unknown SKU", f"no product with SKU {sku!r}", sku=sku)
    return product


async def location_by_code(s: AsyncSession, code: str) -> Location:
    return await s.run_sync(location_by_code_sync, code)


def location_by_code_sync(s: Session, code: str) -> Location:
    loc = s.execute(select(Location).where(Location.code == code)).scalar_one_or_none()
    if loc is None:
        raise NotFound(
            "unknown_location", "Unknown location", f"no location {code!r}", location=code
        )
    return loc


def _check_lot(product: Product, lot: str, expiry: date | None, *, receiving: bool) -> None:
    if product.lot_tracked and not lot:
        raise WmsError("lot_required", "Lot required", f"{product.sku} is tracked by lot")
    if not product.lot_tracked and lot:
        raise WmsError("lot_not_tracked", "No lot for this item", f"{product.sku} has no lots")
    if receiving and product.expiry_tracked and expiry is None:
        raise WmsError("expiry_required", "Expiry required", f"{product.sku} needs an expiry")


async def apply_move(s: AsyncSession, **kwargs: Any) -> None:
    await s.run_sync(lambda sync: apply_move_sync(sync, **kwargs))


def apply_move_sync(
    s: Session,
    *,
    product: ProductRef,
    qty: int,
    reason: str,
    source: PlaceRef | None = None,
    target: PlaceRef | None = None,
    lot: str = "",
    expiry: date | None = None,
    user_id: int | None = None,
    ref: str = "",
    from_allocated: bool = False,
    push: bool = True,
) -> None:
    """Move `qty` units and write the ledger line; sellable stock follows the locations' kinds.

    `push=False` when the caller knows sellable stock did not change in the end (a pick
    releases the units' reservation as they leave): the channels have nothing new to hear.
    """
    assert product.id is not None
    if source is not None:
        # Free stock only, unless the units leave for the pick task they were allocated to.
        guard = ST.c.on_hand >= qty if from_allocated else ST.c.on_hand - ST.c.allocated >= qty
        changes = {"on_hand": ST.c.on_hand - qty}
        if from_allocated:
            changes["allocated"] = ST.c.allocated - qty
        result = s.execute(
            update(ST)
            .where(
                ST.c.product_id == product.id,
                ST.c.location_id == source.id,
                ST.c.lot == lot,
                guard,
            )
            .values(**changes)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                "insufficient_stock",
                "Not enough stock",
                f"{source.code} has fewer than {qty} free of {product.sku}"
                + (f" lot {lot}" if lot else ""),
                location=source.code,
                sku=product.sku,
            )
        if expiry is None and target is not None:
            expiry = (
                s.execute(
                    select(ST.c.expiry).where(
                        ST.c.product_id == product.id,
                        ST.c.location_id == source.id,
                        ST.c.lot == lot,
                    )
                )
            ).scalar()
    if target is not None:
        stmt = upsert(s, ST).values(
            product_id=product.id,
            location_id=target.id,
            lot=lot,
            expiry=expiry,
            on_hand=qty,
            allocated=0,
        )
        s.execute(
            stmt.on_conflict_do_update(
                index_elements=["product_id", "location_id", "lot"],
                set_={"on_hand": ST.c.on_hand + qty},
            )
        )
    # A Core insert, not an ORM object: the ledger line is never read back in the
    # transaction, and skipping the unit of work is most of a pick's cost.
    s.execute(
        MOVES.insert().values(
            product_id=product.id,
            from_location_id=source.id if source else None,
            to_location_id=target.id if target else None,
            lot=lot,
            qty=qty,
            reason=reason,
            user_id=user_id,
            ref=ref[:120],
        )
    )
    delta = (qty if target is not None and target.kind in SELLABLE_KINDS else 0) - (
        qty if source is not None and source.kind in SELLABLE_KINDS else 0
    )
    availability.change_pickable_sync(s, product.id, delta)
    if delta and push:
        availability.push_sellable_sync(s, [product.id])


async def receive(
    db: Database,
    *,
    sku: str,
    location: str,
    qty: int,
    lot: str = "",
    expiry: date | None = None,
    user_id: int | None = None,
    ref: str = "",
    unit_cost: Decimal | None = None,
) -> None:
    check_qty(qty)
    async with db.write() as s:
        product = await product_by_sku(s, sku)
        _check_lot(product, lot, expiry, receiving=True)
        await s.run_sync(money_facts.on_receipt, product, qty, unit_cost)
        target = await location_by_code(s, location)
        await apply_move(
            s,
            product=product,
            qty=qty,
            reason="receive",
            target=target,
            lot=lot,
            expiry=expiry,
            user_id=user_id,
            ref=ref,
        )


async def move(
    db: Database,
    *,
    sku: str,
    source: str,
    target: str,
    qty: int,
    lot: str = "",
    user_id: int | None = None,
    ref: str = "",
) -> None:
    check_qty(qty)
    if source == target:
        raise WmsError("same_location", "Same location", "source and target are the same")
    async with db.write() as s:
        product = await product_by_sku(s, sku)
        _check_lot(product, lot, None, receiving=False)
        src = await location_by_code(s, source)
        dst = await location_by_code(s, target)
        await apply_move(
            s,
            product=product,
            qty=qty,
            reason="move",
            source=src,
            target=dst,
            lot=lot,
            user_id=user_id,
            ref=ref,
        )


async def adjust(
    db: Database,
    *,
    sku: str,
    location: str,
    delta: int,
    reason: str,
    lot: str = "",
    expiry: date | None = None,
    user_id: int | None = None,
    ref: str = "",
) -> None:
    """Found or lost units (damage, a miscount): `delta` may be negative, never zero."""
    if delta == 0:
        raise WmsError(
            "bad_quantity", "Quantity must not be 0", "an adjustment of 0 changes nothing"
        )
    check_qty(abs(delta))
    if not reason.strip():
        raise WmsError("reason_required", "Reason required", "say why stock is adjusted")
    async with db.write() as s:
        product = await product_by_sku(s, sku)
        _check_lot(product, lot, expiry, receiving=delta > 0 and expiry is not None)
        loc = await location_by_code(s, location)
        where = "source" if delta < 0 else "target"
        await apply_move(
            s,
            product=product,
            qty=abs(delta),
            reason="adjust",
            lot=lot,
            expiry=expiry,
            user_id=user_id,
            ref=f"{reason}: {ref}" if ref else reason,
            **{where: loc},
        )


async def count(
    db: Database,
    *,
    location: str,
    lines: list[CountLine],
    user_id: int | None = None,
    ref: str = "",
) -> list[dict[str, object]]:
    """A full count of one location: what is not listed was counted as zero.

    Returns the differences found, each written to the ledger as a `count` move.
    """
    for line in lines:
        check_qty(line.qty, allow_zero=True)
    keys = [(line.sku, line.lot) for line in lines]
    if len(set(keys)) != len(keys):
        raise WmsError("duplicate_line", "Item counted twice", "one line per SKU and lot")
    async with db.write() as s:
        loc = await location_by_code(s, location)
        counted: dict[tuple[int, str], tuple[Product, int]] = {}
        for line in lines:
            product = await product_by_sku(s, line.sku)
            _check_lot(product, line.lot, None, receiving=False)
            counted[(product.id, line.lot)] = (product, line.qty)  # type: ignore[index]
        rows = (await s.execute(select(Stock).where(Stock.location_id == loc.id))).scalars().all()
        system = {(r.product_id, r.lot): r for r in rows}
        diffs: list[dict[str, object]] = []
        for key in sorted(set(system) | set(counted)):
            row = system.get(key)
            have = row.on_hand if row else 0
            product, qty = counted.get(key) or (await s.get(Product, key[0]), 0)
            if qty == have:
                continue
            if row is not None and qty < row.allocated:
                raise Conflict(
                    "count_below_allocated",
                    "Count below picks due",
                    f"{product.sku}: {row.allocated} units are allocated to pick tasks here",
                )
            where = "target" if qty > have else "source"
            await apply_move(
                s,
                product=product,
                qty=abs(qty - have),
                reason="count",
                lot=key[1],
                user_id=user_id,
                ref=ref or f"count {loc.code}",
                **{where: loc},
            )
            diffs.append({"sku": product.sku, "lot": key[1], "expected": have, "counted": qty})
        return diffs


async def putaway_location(db: Database, sku: str) -> dict[str, str]:
    """Where received units should go: the item's pick face, else the nearest empty one."""
    async with db.read() as s:
        product = await product_by_sku(s, sku)
        home = (
            await s.execute(
                select(Location.code)
                .join(Stock, Stock.location_id == Location.id)
                .where(Stock.product_id == product.id, Location.kind == "pick", Stock.on_hand > 0)
                .order_by(Stock.on_hand.desc(), Location.walk_seq)
                .limit(1)
            )
        ).scalar()
        if home:
            return {"sku": sku, "location": home, "reason": "home location"}
        occupied = select(Stock.location_id).where(Stock.on_hand > 0)
        empty = (
            await s.execute(
                select(Location.code)
                .where(Location.kind == "pick", Location.active, Location.id.not_in(occupied))
                .order_by(Location.walk_seq)
                .limit(1)
            )
        ).scalar()
    if empty is None:
        raise Conflict("no_free_location", "No free location", "every pick face holds stock")
    return {"sku": sku, "location": empty, "reason": "nearest empty pick face"}
