"""A short pick's two endings chosen by a supervisor: the line re-allocated from stock found
elsewhere, or the line's missing units cancelled and the channel told what is sellable now."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.orm import Session

from wms.db import Database
from wms.domain.layout import Geometry
from wms.domain.orders import OPEN_STATUSES, OrderStatus
from wms.errors import Conflict, NotFound
from wms.models import OrderLine, SalesOrder
from wms.models.common import utcnow
from wms.models.picking import FloorException, PickBatch, PickTaskLine
from wms.services import (
    audit,
    availability,
    backorder_history,
    backorders,
    money_facts,
    orders,
    picking,
)

FE = FloorException.__table__
PTL = PickTaskLine.__table__
OL = OrderLine.__table__


def _open_short(s: Session, exception_id: int) -> tuple[FloorException, SalesOrder]:
    """The open short-pick exception and its order (locked on PostgreSQL: two supervisors
    must not both act on one)."""
    e = s.get(FloorException, exception_id, with_for_update=True)
    if e is None or e.kind != "short_pick" or e.order_id is None:
        raise NotFound("unknown_exception", "Unknown exception", f"no short pick {exception_id}")
    if e.status != "open":
        raise Conflict("exception_closed", "Already resolved", f"exception is {e.status}")
    order = s.get(SalesOrder, e.order_id, with_for_update=True)
    assert order is not None
    return e, order


def _lines(s: Session, e: FloorException) -> list[OrderLine]:
    """The order's lines of the short's product, as ORM rows (changed through the ORM)."""
    return list(
        s.execute(
            select(OrderLine)
            .where(OrderLine.order_id == e.order_id, OrderLine.product_id == e.product_id)
            .order_by(OrderLine.line_no)
        ).scalars()
    )


def _line_figures(s: Session, e: FloorException) -> list[Row[Any]]:
    """The same lines' figures as Core rows: a re-allocation changes them with Core
    statements (the pick task's new stops do), so it never holds them as ORM objects."""
    query = select(OL.c.id, OL.c.product_id, OL.c.qty, OL.c.reserved, OL.c.picked, OL.c.allocated)
    where = (OL.c.order_id == e.order_id, OL.c.product_id == e.product_id)
    return list(s.execute(query.where(*where).order_by(OL.c.line_no)).all())


def _missing(line: OrderLine | Row[Any]) -> int:
    """Units the line holds nowhere: neither picked nor reserved."""
    return line.qty - line.reserved - line.picked


def _unplaced(line: OrderLine | Row[Any]) -> int:
    """Units held for the line that no pick task will bring (``allocated`` counts picked)."""
    return line.reserved + line.picked - line.allocated


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
    e, order = _open_short(s, exception_id)
    batch = s.get(PickBatch, e.batch_id) if e.batch_id else None
    on_floor = (
        order.status == OrderStatus.IN_WAVE
        and batch is not None
        and batch.status not in ("done", "cancelled")
        and e.task_id is not None
    )
    if not on_floor and order.status not in OPEN_STATUSES:
        raise Conflict("order_closed", "Order not open", f"order is {order.status}")
    reserved = placed = 0
    for line in _line_figures(s, e):
        got = availability.reserve(s, line.product_id, _missing(line)) if _missing(line) > 0 else 0
        if got:
            s.execute(update(OL).where(OL.c.id == line.id).values(reserved=OL.c.reserved + got))
            reserved += got
        if on_floor and _unplaced(line) + got > 0:
            task_id = int(e.task_id)  # type: ignore[arg-type]
            taken = picking.add_stops(s, geo, task_id, line.id, _unplaced(line) + got)
            placed += sum(n for _, n in taken)
    lines = _line_figures(s, e)  # allocated to the new stops; what none could give let go
    missing = sum(_missing(line) for line in lines)
    if not on_floor:
        availability.refresh_open_status(s, order.id)  # type: ignore[arg-type]
    if missing == 0 and (not on_floor or not any(_unplaced(line) for line in lines)):
        _close(s, e, f"re-allocated by {username}", user_id)
    backorder_history.note(s, [order.id])  # type: ignore[list-item]
    availability.push_sellable(s, [e.product_id])  # sellable went down by what it took
    detail = f"order {order.reference}: {reserved} reserved, {placed} placed, {missing} missing"
    audit.record(s, username, "short_reallocated", f"exception:{exception_id}", detail)
    return {
        "exception_id": exception_id, "order_id": order.id, "status": order.status,
        "reserved": reserved, "placed": placed, "missing": missing,
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
    e, order = _open_short(s, exception_id)
    lines = _lines(s, e)
    if order.status not in OPEN_STATUSES and order.status != OrderStatus.IN_WAVE:
        raise Conflict("order_closed", "Order not open", f"order is {order.status}")
    cancelled = 0
    for line in lines:
        free = _unplaced(line)  # held for no pick task: let go
        availability.release(s, line.product_id, free)
        line.reserved -= free
        cancelled += line.qty - line.allocated  # keeps what was picked or an open stop brings
    mine = {line.id for line in lines}
    others = s.execute(
        select(OrderLine.id).where(OrderLine.order_id == order.id, OrderLine.id.not_in(mine))
    ).first()
    order.updated_at = utcnow()
    _close(s, e, f"line cancelled by {username}", user_id)
    if others is None and not any(line.allocated for line in lines):
        # Nothing left to send: the order is cancelled (its lines stay as ordered).
        s.flush()
        if order.status == OrderStatus.IN_WAVE:
            order.status = OrderStatus.CANCELLED  # it holds nothing on the floor
            backorders.resolve_order(s, order.id, "order cancelled", user_id)  # type: ignore[arg-type]
        else:
            orders.cancel_row(s, order)
    else:
        for line in lines:
            if line.allocated:
                line.qty = line.allocated
            else:
                # A line of no units cannot be (qty > 0): it goes, with the pick task
                # links its short left at zero.
                s.execute(delete(PTL).where(PTL.c.order_line_id == line.id, PTL.c.qty == 0))
                # Nothing of it is sold: its revenue, fee and attribution go with it.
                money_facts.forget_line(s, line.id)  # type: ignore[arg-type]
                s.delete(line)
        s.flush()
        availability.refresh_open_status(s, order.id)  # type: ignore[arg-type]
    # What was released goes to whoever waits first; the channels hear what is left.
    backorder_history.note(s, [order.id])  # type: ignore[list-item]
    availability.fill_backorders(
        s, e.product_id, backorders.Cause(f"line cancel of {order.reference}", user_id)
    )
    availability.push_sellable(s, [e.product_id])
    audit.record(s, username, "short_line_cancelled", f"exception:{exception_id}",
                 f"order {order.reference}: {cancelled} units of the line cancelled")  # fmt: skip
    return {
        "exception_id": exception_id, "order_id": order.id, "status": order.status,
        "cancelled": cancelled,
    }  # fmt: skip
