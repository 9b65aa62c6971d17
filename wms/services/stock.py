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
from wms.errors import Conflict, Forbidden, NotFound, WmsError
from wms.models import Location, Product, Stock, StockCount, StockMove
from wms.models.common import utcnow
from wms.models.layout import SELLABLE_KINDS
from wms.services import audit, availability, backorders, events, money_facts
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
    cause = backorders.Cause(f"{reason} {ref}".strip(), user_id) if delta > 0 else None
    availability.change_pickable_sync(s, product.id, delta, cause)
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
            "bad_quantity", "Qty must not be 0", "an adjustment of 0 changes nothing"
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
    confirm_empty: bool = False,
    max_variance: int | None = None,
) -> dict[str, Any]:
    """A full count of one location: what is not listed was counted as zero.

    No lines means "the location is empty" only with ``confirm_empty``: an Enter pressed
    too early must not wipe a location. With ``max_variance`` (a floor role's count), a
    count differing by more units than that on any line changes nothing yet: it waits as
    a pending ``stock_count`` for a supervisor (``decide_count``). Otherwise each
    difference is written to the ledger as a `count` move. Returns the differences found,
    and ``pending``/``count_id``.
    """
    if not lines and not confirm_empty:
        raise WmsError(
            "empty_count_unconfirmed",
            "Confirm empty count",
            "no lines: send confirm_empty=true if the location is really empty",
        )
    if lines and confirm_empty:
        raise WmsError(
            "empty_count_has_lines", "Count is not empty", "confirm_empty goes with no lines"
        )
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
        found: list[tuple[Product, str, int, int]] = []
        for key in sorted(set(system) | set(counted)):
            row = system.get(key)
            have = row.on_hand if row else 0
            product, qty = counted.get(key) or (await s.get(Product, key[0]), 0)
            if qty == have:
                continue
            if row is not None and qty < row.allocated:
                raise Conflict(
                    "count_below_allocated",
                    "Count below picks",
                    f"{product.sku}: {row.allocated} units are allocated to pick tasks here",
                )
            found.append((product, key[1], have, qty))
        diffs: list[dict[str, Any]] = [
            {"sku": p.sku, "lot": lot, "expected": have, "counted": qty}
            for p, lot, have, qty in found
        ]
        ref = ref or f"count {loc.code}"
        if max_variance is not None and any(abs(q - h) > max_variance for _, _, h, q in found):
            pending = StockCount(
                location_id=loc.id,  # type: ignore[arg-type]
                user_id=user_id,
                ref=ref[:120],
                lines=[{**d, "product_id": p.id} for d, (p, *_) in zip(diffs, found, strict=True)],
            )
            s.add(pending)
            await s.flush()
            events.note(s, "count", count=pending.id)  # the board's alert strip counts it
            return {"differences": diffs, "pending": True, "count_id": pending.id}
        for product, lot, have, qty in found:
            await _apply_count(s, loc, product, lot, qty - have, user_id, ref)
        # A count (even one that finds no difference) may free stock for backorders.
        counted_ids = [pid for pid, _ in counted] + [pid for pid, _ in system]
        await s.run_sync(backorders.after_count_sync, loc.id, loc.code, counted_ids, user_id)
        return {"differences": diffs, "pending": False, "count_id": None}


async def _apply_count(
    s: AsyncSession,
    loc: Location,
    product: Product,
    lot: str,
    delta: int,
    user_id: int | None,
    ref: str,
) -> None:
    where = "target" if delta > 0 else "source"
    await apply_move(
        s,
        product=product,
        qty=abs(delta),
        reason="count",
        lot=lot,
        user_id=user_id,
        ref=ref,
        **{where: loc},
    )


def count_view(row: StockCount, code: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "location": code,
        "status": row.status,
        "ref": row.ref,
        "user_id": row.user_id,
        "created_at": row.created_at.isoformat(),
        "decided_by": row.decided_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "differences": [
            {k: line[k] for k in ("sku", "lot", "expected", "counted")} for line in row.lines
        ],
    }


async def pending_counts(db: Database, status: str = "pending") -> list[dict[str, Any]]:
    """Counts waiting for a supervisor (or, by ``status``, those decided)."""
    async with db.read() as s:
        rows = (
            await s.execute(
                select(StockCount, Location.code)
                .join(Location, Location.id == StockCount.location_id)
                .where(StockCount.status == status)
                .order_by(StockCount.id.desc())
                .limit(500)
            )
        ).all()
    return [count_view(row, code) for row, code in rows]


async def decide_count(
    db: Database, count_id: int, *, approve: bool, by_user_id: int, by_username: str
) -> dict[str, Any]:
    """A supervisor approves a pending count (its differences go to the ledger) or rejects it.

    The differences found at counting are applied, not the counted totals: picks and moves
    made since stay right. Either way the audit log says who decided, when, which count.
    """
    async with db.write() as s:
        row = await s.get(StockCount, count_id, with_for_update=True)
        if row is None:
            raise NotFound("unknown_count", "Unknown count", f"no pending count {count_id}")
        if row.status != "pending":
            raise Conflict("count_decided", "Count decided", f"count is {row.status}")
        loc = await s.get(Location, row.location_id)
        assert loc is not None
        if approve:
            for line in row.lines:
                product = await s.get(Product, line["product_id"])
                assert product is not None
                delta = int(line["counted"]) - int(line["expected"])
                if delta < 0:
                    now = (
                        await s.execute(
                            select(Stock).where(
                                Stock.product_id == product.id,
                                Stock.location_id == loc.id,
                                Stock.lot == line["lot"],
                            )
                        )
                    ).scalar_one_or_none()
                    if now is None or now.on_hand + delta < now.allocated:
                        raise Conflict(
                            "count_below_allocated",
                            "Below picks due",
                            f"{product.sku}: stock moved since the count; count again",
                        )
                await _apply_count(
                    s, loc, product, line["lot"], delta, row.user_id, f"{row.ref} (approved)"
                )
            product_ids = [int(line["product_id"]) for line in row.lines]
            await s.run_sync(
                backorders.after_count_sync, loc.id, loc.code, product_ids, row.user_id
            )
        row.status = "approved" if approve else "rejected"
        row.decided_by = by_user_id
        row.decided_at = utcnow()
        await audit.record_async(
            s,
            by_username,
            f"count_{row.status}",
            f"count:{row.id}",
            f"{loc.code}: {len(row.lines)} difference(s)",
        )
        events.note(s, "count", count=row.id)
        return count_view(row, loc.code)


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
