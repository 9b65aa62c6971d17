"""A short pick's two endings chosen by a supervisor: the line re-allocated from stock found
elsewhere, or the line's missing units cancelled and the channel told what is sellable now."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import Database
from wms.domain.layout import Geometry
from wms.domain.orders import OPEN_STATUSES, OrderStatus
from wms.errors import Conflict, NotFound
from wms.models import OrderLine, SalesOrder
from wms.models.common import utcnow
from wms.models.picking import FloorException, PickBatch
from wms.services import audit, availability, backorders, orders, picking

FE = FloorException.__table__


def _open_short(
    s: Session, exception_id: int
) -> tuple[FloorException, SalesOrder, list[OrderLine]]:
    """The open short-pick exception, its order, and the order's lines of its product that
    still miss units (locked on PostgreSQL: two supervisors must not both act on one)."""
    e = s.get(FloorException, exception_id, with_for_update=True)
    if e is None or e.kind != "short_pick" or e.order_id is None:
        raise NotFound("unknown_exception", "Unknown exception", f"no short pick {exception_id}")
    if e.status != "open":
        raise Conflict("exception_closed", "Already resolved", f"exception is {e.status}")
    order = s.get(SalesOrder, e.order_id, with_for_update=True)
    assert order is not None
    lines = [
        line
        for line in s.execute(
            select(OrderLine)
            .where(OrderLine.order_id == e.order_id, OrderLine.product_id == e.product_id)
            .order_by(OrderLine.line_no)
        ).scalars()
        if line.qty > line.reserved + line.picked
    ]
    return e, order, lines


def _close(s: Session, e: FloorException, resolution: str, user_id: int | None) -> None:
    e.status, e.resolved_at, e.resolved_by = "resolved", utcnow(), user_id
    e.resolution = resolution[:300]


async def reallocate(
    db: Database, geo: Geometry, exception_id: int, user_id: int | None, username: str
) -> dict[str, Any]:
    return await db.run(_reallocate, geo, exception_id, user_id, username)


def _reallocate(
    s: Session, geo: Geometry, exception_id: int, user_id: int | None, username: str
) -> dict[str, Any]:
    """Reserve the line's missing units again; while its batch is on the floor, the units
    become new stops in that batch (in route order), else the order waits for a wave."""
    e, order, lines = _open_short(s, exception_id)
    batch = s.get(PickBatch, e.batch_id) if e.batch_id else None
    on_floor = (
        order.status == OrderStatus.IN_WAVE
        and batch is not None
        and batch.status not in ("done", "cancelled")
        and e.task_id is not None
    )
    if not on_floor and order.status not in OPEN_STATUSES:
        raise Conflict("order_closed", "Order not open", f"order is {order.status}")
    reserved = stops = 0
    for line in lines:
        got = availability.reserve_sync(s, line.product_id, line.qty - line.reserved - line.picked)
        line.reserved += got
        reserved += got
        if got and on_floor:
            s.flush()
            placed = picking.add_stops_sync(s, geo, int(e.task_id), int(line.id), got)  # type: ignore[arg-type]
            stops += len(placed)
            s.refresh(line)  # new stops allocated to the line; what none could give let go
    s.flush()
    held = sum(line.reserved for line in lines)
    missing = sum(line.qty - line.reserved - line.picked for line in lines)
    if not on_floor:
        availability.refresh_open_status_sync(s, order.id)  # type: ignore[arg-type]
    if missing == 0:
        _close(s, e, f"re-allocated by {username}", user_id)
    availability.push_sellable_sync(s, [e.product_id])  # sellable went down by what it took
    audit.record(s, username, "short_reallocated", f"exception:{exception_id}",
                 f"order {order.reference}: {held} held, {missing} still missing")  # fmt: skip
    return {
        "exception_id": exception_id, "order_id": order.id, "status": order.status,
        "reserved": reserved, "stops": stops, "missing": missing,
    }  # fmt: skip


async def cancel_line(
    db: Database, exception_id: int, user_id: int | None, username: str
) -> dict[str, Any]:
    return await db.run(_cancel_line, exception_id, user_id, username)


def _cancel_line(
    s: Session, exception_id: int, user_id: int | None, username: str
) -> dict[str, Any]:
    """The line keeps what was picked or is still due from a stop; its other units are
    cancelled and their reservation released. The order's other lines stay; an order left
    with nothing is cancelled. The channels learn the new sellable quantity (outbox)."""
    e, order, lines = _open_short(s, exception_id)
    if order.status not in OPEN_STATUSES and order.status != OrderStatus.IN_WAVE:
        raise Conflict("order_closed", "Order not open", f"order is {order.status}")
    cancelled = 0
    for line in lines:
        free = line.reserved - line.allocated  # held for no stop: let go
        availability.release_sync(s, line.product_id, free)
        line.reserved -= free
        keep = line.picked + line.allocated
        cancelled += line.qty - keep
        line.qty = keep
    order.updated_at = utcnow()
    s.flush()
    _close(s, e, f"line cancelled by {username}", user_id)
    left = s.execute(
        select(OrderLine.id).where(OrderLine.order_id == order.id, OrderLine.qty > 0)
    ).first()
    if left is None:
        if order.status == OrderStatus.IN_WAVE:
            # Nothing picked, nothing due: the order holds nothing on the floor.
            order.status = OrderStatus.CANCELLED
            backorders.resolve_order_sync(s, order.id, "order cancelled", user_id)  # type: ignore[arg-type]
        else:
            orders._cancel(s, order)
    else:
        availability.refresh_open_status_sync(s, order.id)  # type: ignore[arg-type]
    # What was released goes to whoever waits first; the channels hear what is left.
    availability.fill_backorders_sync(
        s, e.product_id, backorders.Cause(f"line cancel of {order.reference}", user_id)
    )
    availability.push_sellable_sync(s, [e.product_id])
    audit.record(s, username, "short_line_cancelled", f"exception:{exception_id}",
                 f"order {order.reference}: {cancelled} units of the line cancelled")  # fmt: skip
    return {
        "exception_id": exception_id, "order_id": order.id, "status": order.status,
        "cancelled": cancelled,
    }  # fmt: skip
