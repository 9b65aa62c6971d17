"""Sellable stock per product: reserve, release, and keep every channel told.

The rules are synchronous functions on a `Session`, called inside the transaction of the
change (`Database.run`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from wms.domain.orders import OPEN_STATUSES, OrderStatus
from wms.errors import Conflict
from wms.models import (
    Channel,
    ChannelListing,
    OrderLine,
    Outbox,
    Product,
    ProductAvailability,
    SalesOrder,
)
from wms.services import backorder_history, backorders, outbox_rows
from wms.services.sql import upsert

PA = ProductAvailability.__table__
OUTBOX = Outbox.__table__


def ensure_row(s: Session, product_id: int) -> None:
    stmt = upsert(s, PA).values(product_id=product_id, on_hand_pickable=0, reserved=0)
    s.execute(stmt.on_conflict_do_nothing(index_elements=["product_id"]))


_RESERVE = (
    update(PA)
    .where(
        PA.c.product_id == bindparam("pid"),
        PA.c.on_hand_pickable - PA.c.reserved >= bindparam("qty"),
    )
    .values(reserved=PA.c.reserved + bindparam("qty"))
)
_FREE = select(PA.c.on_hand_pickable - PA.c.reserved).where(PA.c.product_id == bindparam("pid"))


def reserve(s: Session, product_id: int, qty: int) -> int:
    """Reserve up to `qty` units; returns how many were granted. Never oversells.

    Each attempt is one conditional UPDATE, so two transactions can never both
    take the last unit, on SQLite or on PostgreSQL under READ COMMITTED.
    """
    conn = s.connection()
    want = qty
    while want > 0:
        if conn.execute(_RESERVE, {"pid": product_id, "qty": want}).rowcount == 1:
            return want
        free = conn.execute(_FREE, {"pid": product_id}).scalar()
        want = min(want, max(0, free or 0))
    return 0


_RELEASE = (
    update(PA)
    .where(PA.c.product_id == bindparam("pid"))
    .values(reserved=PA.c.reserved - bindparam("qty"))
)


def release(s: Session, product_id: int, qty: int) -> None:
    if qty > 0:
        s.execute(_RELEASE, {"pid": product_id, "qty": qty})


# Removing stock: one conditional UPDATE when enough of it is unreserved (the usual case).
_REMOVE_PICKABLE = (
    update(PA)
    .where(
        PA.c.product_id == bindparam("pid"),
        PA.c.reserved <= PA.c.on_hand_pickable + bindparam("delta"),
    )
    .values(on_hand_pickable=PA.c.on_hand_pickable + bindparam("delta"))
)


def change_pickable(
    s: Session, product_id: int, delta: int, cause: backorders.Cause | None = None
) -> None:
    """Add `delta` units of sellable stock (negative removes).

    Removing below what is reserved first takes the reservations back from the
    newest open orders (they become backordered): a count that finds less stock
    must never leave the warehouse promising units it does not have. Added units go
    to the orders that wait for them (`cause` says what brought them, for the record).
    """
    if delta == 0:
        return
    if delta < 0:
        conn = s.connection()
        while True:
            params = {"pid": product_id, "delta": delta}
            if conn.execute(_REMOVE_PICKABLE, params).rowcount == 1:
                return
            # Not enough unreserved units: take reservations back, newest orders first.
            ensure_row(s, product_id)
            row = s.execute(select(PA).where(PA.c.product_id == product_id)).one()
            if not _take_back(s, product_id, row.reserved - (row.on_hand_pickable + delta)):
                # What is left reserved is allocated to pick tasks: it cannot be taken
                # back here, and looping would never end.
                raise Conflict(
                    "stock_allocated",
                    "Units are allocated",
                    f"product {product_id}: fewer units than allocated to pick tasks",
                )
    ensure_row(s, product_id)
    s.execute(
        update(PA)
        .where(PA.c.product_id == product_id)
        .values(on_hand_pickable=PA.c.on_hand_pickable + delta)
    )
    fill_backorders(s, product_id, cause)


def _take_back(s: Session, product_id: int, units: int) -> int:
    """Take up to `units` reservations back from open orders; returns how many."""
    lines = s.execute(
        select(OrderLine, SalesOrder)
        .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
        .where(
            OrderLine.product_id == product_id,
            OrderLine.reserved > OrderLine.allocated,
            SalesOrder.status.in_(list(OPEN_STATUSES)),
        )
        .order_by(SalesOrder.created_at.desc(), SalesOrder.id.desc())
    ).all()
    taken = 0
    touched: set[int] = set()
    for line, order in lines:
        if taken >= units:
            break
        take = min(units - taken, line.reserved - line.allocated)
        line.reserved -= take
        taken += take
        touched.add(order.id)  # type: ignore[arg-type]
        release(s, product_id, take)
        if order.status in (OrderStatus.READY, OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD):
            order.status = OrderStatus.BACKORDERED
    s.flush()
    backorder_history.note(s, touched)
    return taken


# Orders that wait for units: backordered ones, and those on the floor whose short pick
# found nothing to re-allocate (they become backordered when their batch is finished).
WAITING = (OrderStatus.BACKORDERED, OrderStatus.IN_WAVE)


def fill_backorders(s: Session, product_id: int, cause: backorders.Cause | None = None) -> int:
    """Give sellable units to waiting lines: higher priority first, then the earliest
    ship-by, then the oldest order. Returns the units reserved.

    A filled order becomes READY (ready for a wave) in this same transaction, and its
    short-pick exception is resolved, naming `cause`.
    """
    lines = s.execute(
        select(OrderLine, SalesOrder)
        .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
        .where(
            OrderLine.product_id == product_id,
            OrderLine.qty > OrderLine.reserved + OrderLine.picked,
            SalesOrder.status.in_([str(x) for x in WAITING]),
        )
        .order_by(
            SalesOrder.priority.desc(),
            SalesOrder.ship_by.is_(None),
            SalesOrder.ship_by,
            SalesOrder.created_at,
            SalesOrder.id,
        )
    ).all()
    touched: set[int] = set()
    total = 0
    for line, order in lines:
        got = reserve(s, product_id, line.qty - line.reserved - line.picked)
        if got == 0:
            break
        line.reserved += got
        total += got
        touched.add(order.id)  # type: ignore[arg-type]
    if touched:
        s.flush()
        for order_id in touched:
            refresh_open_status(s, order_id)
        backorders.resolve_filled(s, touched, cause)
        backorder_history.note(s, touched)
    return total


def after_count(
    s: Session,
    location_id: int,
    location_code: str,
    product_ids: Iterable[int],
    user_id: int | None,
) -> None:
    """A count of a location answers its count tasks; it may also confirm stock that waits.

    A count that agrees with the system moves nothing, so the fill a move would trigger is
    run here: units sellable while an order waited (a backorder left by an earlier rule)
    are given out as soon as someone has looked.
    """
    ids = backorders.close_count_tasks(s, location_id, location_code, product_ids, user_id)
    cause = backorders.Cause(f"count {location_code}", user_id)
    for product_id in ids:
        fill_backorders(s, product_id, cause)


def refresh_open_status(s: Session, order_id: int) -> None:
    """READY when every line is held, BACKORDERED otherwise (holds stay holds)."""
    order = s.get(SalesOrder, order_id)
    if order is None or order.status not in (OrderStatus.READY, OrderStatus.BACKORDERED):
        return
    short = s.execute(
        select(OrderLine.id).where(
            OrderLine.order_id == order_id,
            OrderLine.qty > OrderLine.reserved + OrderLine.picked,
        )
    ).first()
    order.status = OrderStatus.BACKORDERED if short else OrderStatus.READY


_SELLABLE = (
    select(
        ChannelListing.channel_id,
        ChannelListing.product_id,
        ChannelListing.product_ref,
        ChannelListing.variant_ref,
        ChannelListing.active.label("listed"),  # type: ignore[attr-defined]
        Product.active,
        Channel.code,
        Channel.buffer,
        Product.sku,
        PA.c.on_hand_pickable,
        PA.c.reserved,
    )
    .join(Channel, Channel.id == ChannelListing.channel_id)
    .join(Product, Product.id == ChannelListing.product_id)
    .join(PA, PA.c.product_id == ChannelListing.product_id)
    .where(ChannelListing.product_id.in_(bindparam("ids", expanding=True)), Channel.active)
)


def push_sellable(s: Session, product_ids: Iterable[int]) -> int:
    """Write each channel's new sellable quantity to the outbox, coalesced per product.

    Called inside the transaction that changed the quantity, so the push is
    committed (or rolled back) with the change itself. Returns rows written.
    """
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    conn = s.connection()
    rows = conn.execute(_SELLABLE, {"ids": ids}).all()
    if not rows:
        return 0
    values = [
        {
            "kind": "stock_push",
            "channel_id": r.channel_id,
            "dedupe_key": f"stock:{r.channel_id}:{r.product_id}",
            "payload": {
                "channel": r.code,
                "sku": r.sku,
                "product_id": r.product_id,
                "product_ref": r.product_ref,
                "variant_ref": r.variant_ref,
                # A disabled product or listing is offered nowhere: zero, not its stock.
                "quantity": max(0, r.on_hand_pickable - r.reserved - r.buffer)
                if r.active and r.listed
                else 0,
            },
        }
        for r in rows
    ]
    return outbox_rows.add(s, values, on_pending="replace")
