"""A known order changes: a later version of it, the channel's status, a cancel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.domain.orders import OPEN_STATUSES, OrderIn, OrderStatus
from wms.errors import Conflict, NotFound
from wms.models import Channel, OrderLine, SalesOrder
from wms.models.common import utcnow
from wms.services import availability, backorder_history, backorders, events, statements
from wms.services.order_rows import (
    INSERT_EVENT,
    SEEN,
    existing_order,
    lines_of,
    order_values,
)

# Set at intake and never followed later: who the order is and what it is doing.
_FIXED = frozenset({"channel_id", "external_id", "status", "channel_status", "created_at"})


def follow_later_version(row: SalesOrder, channel: Row[Any], order: OrderIn) -> None:
    """A later version of an order not yet on the floor: its fields replace ours.

    TikTok withholds the address until an order is paid: the paid version brings it, and
    whatever else changed meanwhile (ship-by, carrier, money). A version without an
    address (a late unpaid delivery, a status-only update) leaves the stored one alone;
    an older, unpaid version never overwrites a paid one. Lines are not changed here:
    their reservations stand.
    """
    if row.status not in OPEN_STATUSES or order.status == OrderStatus.CANCELLED:
        return
    if order.status == OrderStatus.AWAITING_PAYMENT and row.status != OrderStatus.AWAITING_PAYMENT:
        return
    has_address = any(
        (order.ship_to.line1, order.ship_to.city, order.ship_to.postal_code, order.ship_to.country)
    )
    for key, value in order_values(channel, order).items():
        if key in _FIXED or (key.startswith("ship_") and key != "ship_by" and not has_address):
            continue
        if value is None and getattr(row, key) is not None:
            continue  # a version that does not say (placed_at, ship_by) keeps what we know
        if getattr(row, key) != value:
            setattr(row, key, value)


def apply_channel_status(s: Session, row: SalesOrder, order: OrderIn) -> None:
    """A later delivery of a known order: follow payment, holds and cancellation."""
    if order.channel_status:
        row.channel_status = order.channel_status
    statements.on_channel_status(s, row, order)
    if order.status == OrderStatus.CANCELLED:
        cancel_row(s, row)
    elif row.status in (OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD) and order.status in (
        OrderStatus.READY,
        OrderStatus.BACKORDERED,
        OrderStatus.ON_HOLD,
    ):
        row.status = order.status if order.status == OrderStatus.ON_HOLD else OrderStatus.READY
        s.flush()
        availability.refresh_open_status(s, row.id)  # type: ignore[arg-type]
    row.updated_at = utcnow()
    events.note(s, "order", order=row.id)  # paid, held, cancelled: the alert strip's lists


def cancel_row(s: Session, row: SalesOrder) -> None:
    """An open order cancelled: its reservations released and given to whoever waits."""
    if row.status == OrderStatus.CANCELLED:
        return
    if row.status not in OPEN_STATUSES:
        raise Conflict(
            "order_in_progress",
            "Order on the floor",
            f"order {row.reference} is {row.status}; cancel its wave work first",
        )
    touched = []
    for line in lines_of(s, row.id):  # type: ignore[arg-type]
        if line.reserved:
            availability.release(s, line.product_id, line.reserved)
            line.reserved = 0
            touched.append(line.product_id)
    row.status = OrderStatus.CANCELLED
    row.updated_at = utcnow()
    s.flush()
    backorders.resolve_order(s, row.id, "order cancelled", None)  # type: ignore[arg-type]
    backorder_history.note(s, [row.id])  # type: ignore[list-item]
    cause = backorders.Cause(f"cancel of {row.reference}")
    for product_id in touched:  # freed units go to whoever waits for them first
        availability.fill_backorders(s, product_id, cause)
    availability.push_sellable(s, touched)


async def cancel(db: Database, order_id: int) -> SalesOrder:
    return await db.run(_cancel_by_id, order_id)


def _cancel_by_id(s: Session, order_id: int) -> SalesOrder:
    row = s.get(SalesOrder, order_id)
    if row is None:
        raise NotFound("unknown_order", "Unknown order", f"no order {order_id}")
    cancel_row(s, row)
    return row


async def cancel_external(
    db: Database, channel_id: int, external_id: str, *, event_id: str = "", topic: str = ""
) -> SalesOrder | None:
    """The channel cancelled an order: release it; an order we never saw is ignored.

    With an ``event_id`` the event is recorded with the cancel, and a replay of it is
    answered as the first delivery was, without cancelling again.
    """
    return await db.run(_cancel_external, channel_id, external_id, event_id, topic)


def _cancel_external(
    s: Session, channel_id: int, external_id: str, event_id: str = "", topic: str = ""
) -> SalesOrder | None:
    seen = None
    if event_id:
        seen = s.connection().execute(SEEN, {"cid": channel_id, "eid": event_id}).first()
        if seen is not None:
            return s.get(SalesOrder, seen.order_id) if seen.order_id is not None else None
    row = existing_order(s, channel_id, external_id)
    if row is not None:
        cancel_row(s, row)
    if event_id:
        s.connection().execute(
            INSERT_EVENT,
            {
                "channel_id": channel_id,
                "event_id": event_id[:120],
                "topic": topic[:60],
                "order_external_id": external_id,
                "status": "done",
                "attempts": 0,
                "error": "",
                "order_id": row.id if row is not None else None,
                "received_at": utcnow(),
            },
        )
    return row


async def get(db: Database, order_id: int) -> tuple[SalesOrder, list[OrderLine], str]:
    """The order, its lines, and its channel's code."""
    return await db.run(_get, order_id)


@reads
def _get(s: Session, order_id: int) -> tuple[SalesOrder, list[OrderLine], str]:
    row = s.get(SalesOrder, order_id)
    if row is None:
        raise NotFound("unknown_order", "Unknown order", f"no order {order_id}")
    code = s.scalar(select(Channel.code).where(Channel.id == row.channel_id))
    return row, lines_of(s, order_id), code or ""
