"""The record of past backorders: each line that waited for units, from when it began to when
it was allocated, cancelled or shipped short.

`note` is the one writer: every code path that backorders or resolves a line calls it with
the orders it touched, in its own transaction, after its change. It compares each line with
its open record, so the record cannot drift from the lines whatever path changed them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from wms.domain.orders import OrderStatus
from wms.models import OrderLine, SalesOrder
from wms.models.backorder_history import BackorderRecord
from wms.models.common import utcnow

BR = BackorderRecord.__table__
OL = OrderLine.__table__
SO = SalesOrder.__table__
# An order in one of these no longer waits for anything.
DONE = (
    OrderStatus.SHIPPED.value,
    OrderStatus.DELIVERED.value,
    OrderStatus.CANCELLED.value,
    OrderStatus.RETURNED.value,
)
SHIPPED = (OrderStatus.SHIPPED.value, OrderStatus.DELIVERED.value, OrderStatus.RETURNED.value)


def short_of(line: Any, status: str) -> int:
    """Units the line waits for: held nowhere, on an order still open."""
    return 0 if status in DONE else max(0, line.qty - line.reserved - line.picked)


def _resolution(line: Any | None, status: str | None, record: Any) -> str:
    """How a backorder that stopped waiting ended, read from the line as it is now."""
    if line is None or status == OrderStatus.CANCELLED.value:
        return "cancelled"  # the line (or its whole order) is gone
    if line.qty < record.line_qty or status in SHIPPED:
        return "shipped_short"  # its missing units were cancelled, the rest goes
    return "allocated"


def note(s: Session, order_ids: Iterable[int]) -> None:
    """Open a record for each line of these orders that now waits, close the open record of
    each that no longer does (the same transaction as the change that caused it)."""
    ids = sorted({int(i) for i in order_ids})
    if not ids:
        return
    s.flush()  # the caller's ORM changes, before they are read back with Core
    lines = {
        r.id: r
        for r in s.execute(
            select(OL.c.id, OL.c.order_id, OL.c.product_id, OL.c.sku, OL.c.qty, OL.c.reserved,
                   OL.c.picked, SO.c.status, SO.c.channel_id)
            .join(SO, SO.c.id == OL.c.order_id)
            .where(OL.c.order_id.in_(ids))
        )
    }  # fmt: skip
    open_ = {
        r.order_line_id: r
        for r in s.execute(
            select(BR.c.id, BR.c.order_line_id, BR.c.order_id, BR.c.line_qty, BR.c.qty_short)
            .where(BR.c.order_id.in_(ids), BR.c.resolved_at.is_(None))
        )
    }  # fmt: skip
    statuses = dict(s.execute(select(SO.c.id, SO.c.status).where(SO.c.id.in_(ids))).all())
    now = utcnow()
    began = []
    for line_id, line in lines.items():
        short = short_of(line, line.status)
        record = open_.get(line_id)
        if short and record is None:
            began.append(
                {"order_line_id": line_id, "order_id": line.order_id,
                 "channel_id": line.channel_id, "product_id": line.product_id, "sku": line.sku,
                 "line_qty": line.qty, "qty_short": short, "began_at": now}
            )  # fmt: skip
        elif short and short > record.qty_short:
            s.execute(update(BR).where(BR.c.id == record.id).values(qty_short=short))
    if began:
        s.execute(insert(BR), began)
    for line_id, record in open_.items():
        line = lines.get(line_id)
        if line is not None and short_of(line, line.status):
            continue
        how = _resolution(line, statuses.get(record.order_id), record)
        s.execute(update(BR).where(BR.c.id == record.id).values(resolved_at=now, resolution=how))


def order_of_line(s: Session, line_id: int) -> int:
    """The order a line belongs to (callers that know only the line)."""
    return int(s.execute(select(OL.c.order_id).where(OL.c.id == line_id)).scalar_one())


def violations(s: Session) -> list[str]:
    """`wms check`: an open record is a line that still waits, and a waiting line has one."""
    waiting = {
        r.id: r.qty - r.reserved - r.picked
        for r in s.execute(
            select(OL.c.id, OL.c.qty, OL.c.reserved, OL.c.picked)
            .join(SO, SO.c.id == OL.c.order_id)
            .where(OL.c.qty > OL.c.reserved + OL.c.picked, SO.c.status.notin_(DONE))
        )
    }
    recorded = dict(
        s.execute(select(BR.c.order_line_id, BR.c.id).where(BR.c.resolved_at.is_(None))).all()
    )
    found = [
        f"backorder: record {record_id} is open, order line {line_id} does not wait"
        for line_id, record_id in recorded.items()
        if line_id not in waiting
    ]
    found += [
        f"backorder: order line {line_id} waits for {units} without an open record"
        for line_id, units in waiting.items()
        if line_id not in recorded
    ]
    return found
