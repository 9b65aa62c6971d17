"""Receive, move and adjust stock; every change is a line in the ledger (`apply_move`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.errors import Conflict, Forbidden, NotFound, WmsError
from wms.models import Location, Product, Stock, StockMove
from wms.models.layout import SELLABLE_KINDS
from wms.services import availability, backorders, money_facts
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


def check_qty(qty: int, *, allow_zero: bool = False) -> None:
    if qty < 0 or (qty == 0 and not allow_zero):
        raise WmsError("bad_quantity", "Quantity must be >0", f"quantity {qty} is not allowed")
    if qty > MAX_QTY:
        raise WmsError("bad_quantity", "Quantity too large", f"quantity {qty} > {MAX_QTY}")


def product_by_sku(s: Session, sku: str) -> Product:
    product = s.execute(select(Product).where(Product.sku == sku)).scalar_one_or_none()
    if product is None:
        raise NotFound("unknown_sku", "Unknown SKU", f"no product with SKU {sku!r}", sku=sku)
    return product


def location_by_code(s: Session, code: str) -> Location:
    loc = s.execute(select(Location).where(Location.code == code)).scalar_one_or_none()
    if loc is None:
        raise NotFound(
            "unknown_location", "Unknown location", f"no location {code!r}", location=code
        )
    return loc


def check_lot(product: Product, lot: str, expiry: date | None, *, receiving: bool) -> None:
    if product.lot_tracked and not lot:
        raise WmsError("lot_required", "Lot required", f"{product.sku} is tracked by lot")
    if not product.lot_tracked and lot:
        raise WmsError("lot_not_tracked", "No lot for this item", f"{product.sku} has no lots")
    if receiving and product.expiry_tracked and expiry is None:
        raise WmsError("expiry_required", "Expiry required", f"{product.sku} needs an expiry")


def apply_move(
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
    cause = backorders.Cause(f"{reason} {ref}".strip(), user_id) if delta > 0 else None
    availability.change_pickable(s, product.id, delta, cause)
    if delta and push:
        availability.push_sellable(s, [product.id])


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
    await db.run(_receive, sku, location, qty, lot, expiry, user_id, ref, unit_cost)


def _receive(
    s: Session,
    sku: str,
    location: str,
    qty: int,
    lot: str,
    expiry: date | None,
    user_id: int | None,
    ref: str,
    unit_cost: Decimal | None,
) -> None:
    product = product_by_sku(s, sku)
    check_lot(product, lot, expiry, receiving=True)
    money_facts.on_receipt(s, product, qty, unit_cost)
    target = location_by_code(s, location)
    apply_move(
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
    await db.run(_move, sku, source, target, qty, lot, user_id, ref)


def _move(
    s: Session,
    sku: str,
    source: str,
    target: str,
    qty: int,
    lot: str,
    user_id: int | None,
    ref: str,
) -> None:
    product = product_by_sku(s, sku)
    check_lot(product, lot, None, receiving=False)
    src = location_by_code(s, source)
    dst = location_by_code(s, target)
    apply_move(
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
        raise WmsError("bad_quantity", "Qty must not be 0", "an adjustment of 0 changes nothing")
    check_qty(abs(delta))
    if not reason.strip():
        raise WmsError("reason_required", "Reason required", "say why stock is adjusted")
    ref = f"{reason}: {ref}" if ref else reason
    await db.run(_adjust, sku, location, delta, ref, lot, expiry, user_id)


def _adjust(
    s: Session,
    sku: str,
    location: str,
    delta: int,
    ref: str,
    lot: str,
    expiry: date | None,
    user_id: int | None,
) -> None:
    product = product_by_sku(s, sku)
    check_lot(product, lot, expiry, receiving=delta > 0 and expiry is not None)
    loc = location_by_code(s, location)
    where = "source" if delta < 0 else "target"
    apply_move(
        s,
        product=product,
        qty=abs(delta),
        reason="adjust",
        lot=lot,
        expiry=expiry,
        user_id=user_id,
        ref=ref,
        **{where: loc},
    )


def check_floor_receive(qty: int, ref: str, max_qty: int) -> None:
    """What a picker or packer may receive: against a reference, at most ``max_qty`` a line."""
    if not ref.strip():
        raise WmsError(
            "ref_required", "Reference required", "give the purchase order or delivery note"
        )
    if qty > max_qty:
        raise Forbidden(
            "over_floor_limit",
            "Ask a supervisor",
            f"a floor role receives at most {max_qty} units a line",
            max_qty=max_qty,
        )


async def putaway_location(db: Database, sku: str) -> dict[str, str]:
    """Where received units should go: the item's pick face, else the nearest empty one."""
    return await db.run(_putaway_location, sku)


@reads
def _putaway_location(s: Session, sku: str) -> dict[str, str]:
    product = product_by_sku(s, sku)
    home = s.execute(
        select(Location.code)
        .join(Stock, Stock.location_id == Location.id)
        .where(Stock.product_id == product.id, Location.kind == "pick", Stock.on_hand > 0)
        .order_by(Stock.on_hand.desc(), Location.walk_seq)
        .limit(1)
    ).scalar()
    if home:
        return {"sku": sku, "location": home, "reason": "home location"}
    occupied = select(Stock.location_id).where(Stock.on_hand > 0)
    empty = s.execute(
        select(Location.code)
        .where(Location.kind == "pick", Location.active, Location.id.not_in(occupied))
        .order_by(Location.walk_seq)
        .limit(1)
    ).scalar()
    if empty is None:
        raise Conflict("no_free_location", "No free location", "every pick face holds stock")
    return {"sku": sku, "location": empty, "reason": "nearest empty pick face"}
