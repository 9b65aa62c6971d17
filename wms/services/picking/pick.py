"""Confirming a pick (units from the shelf into the tote, via the ledger) and skipping a stop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.orm import Session

from wms.domain.orders import OrderStatus
from wms.models import OrderLine, SalesOrder
from wms.models.common import utcnow
from wms.models.picking import (
    PickTask,
    PickTaskLine,
)
from wms.services import availability, events, money_facts, stock
from wms.services.picking.guards import (
    LINKS,
    OL,
    PB,
    PT,
    Picker,
    check_item,
    check_open,
    check_owner,
    check_tote,
    load_stop,
    own_task,
    units_for,
    wrong,
)
from wms.services.picking.view import BatchView, screen


def _confirm(
    s: Session,
    task_id: int,
    *,
    location: str,
    item: str,
    qty: int | None,
    tote: str,
    picker: Picker,
    lot: str | None = None,
) -> int:
    stop = load_stop(s, task_id)
    check_owner(stop.batch_id, stop.picker_id, stop.batch_status, picker)
    check_open(task_id, stop.status, stop.batch_status)
    scanned = location.strip().upper()
    if scanned not in (stop.location_code.upper(), stop.check_code):
        code = stop.location_code
        raise wrong("wrong_location", "Wrong location", code, f"go to {code}")
    pack = check_item(s, stop, item, lot)
    qty = units_for(qty, pack, stop.qty - stop.picked)
    pick_into_tote(s, stop, qty, check_tote(stop, tote), picker)
    if stop.batch_status != "picking":
        s.execute(update(PB).where(PB.c.id == stop.batch_id).values(status="picking"))
    events.note(s, "pick", batch=stop.batch_id)
    return stop.batch_id  # type: ignore[no-any-return]


_LINK_PICKED = (
    update(PickTaskLine.__table__)
    .where(PickTaskLine.__table__.c.id == bindparam("link_id"))
    .values(picked=PickTaskLine.__table__.c.picked + bindparam("k"))
)
_LINE_PICKED = (
    update(OrderLine.__table__)
    .where(OrderLine.__table__.c.id == bindparam("line_id"))
    .values(
        reserved=OrderLine.__table__.c.reserved - bindparam("k"),
        picked=OrderLine.__table__.c.picked + bindparam("k"),
    )
)
_TASK_PICKED = (
    update(PT)
    .where(PT.c.id == bindparam("task_id"))
    .values(
        picked=PT.c.picked + bindparam("k"),
        picked_by=bindparam("user_id"),
        picked_at=bindparam("at"),
        status=case((PT.c.picked + bindparam("k") >= PT.c.qty, "done"), else_=PT.c.status),
    )
)
_SO = SalesOrder.__table__
# An order whose every unit is in a tote is PICKED: packing may start.
_ORDER_PICKED = (
    update(_SO)
    .where(
        _SO.c.id == bindparam("order_id"),
        _SO.c.status == OrderStatus.IN_WAVE,
        ~select(OL.c.id).where(OL.c.order_id == _SO.c.id, OL.c.picked < OL.c.qty).exists(),
    )
    .values(status=OrderStatus.PICKED, updated_at=bindparam("at"))
)


def pick_into_tote(s: Session, stop: Any, qty: int, tote: str, picker: Picker) -> None:
    """Move `qty` units from the location into the tote; the lines' reservations go with them."""
    conn = s.connection()
    left = qty
    touched: set[int] = set()
    picks: list[tuple[int, int, int]] = []  # (order, line, units): their goods cost
    for link in conn.execute(LINKS, {"task_id": stop.id}).all():
        k = min(left, link.qty - link.picked)
        if k <= 0:
            continue
        conn.execute(_LINK_PICKED, {"link_id": link.id, "k": k})
        conn.execute(_LINE_PICKED, {"line_id": link.line_id, "k": k})
        picks.append((link.order_id, link.line_id, k))
        left -= k
        touched.add(link.order_id)
    assert left == 0, "task lines do not add up to the task"
    money_facts.record_picked(conn, stop.product_id, picks)
    # Release before the move: the move lowers sellable stock, and the reservation it
    # leaves behind must already be gone or other orders would lose theirs. Released
    # here, sellable stock is what it was: the channels have nothing to hear.
    availability.release(s, stop.product_id, qty)
    _off_the_shelf(s, stop, qty, "pick", f"task {stop.id} tote {tote}", picker, push=False)
    conn.execute(
        _TASK_PICKED, {"task_id": stop.id, "k": qty, "user_id": picker.user_id, "at": utcnow()}
    )
    for order_id in sorted(touched):
        maybe_picked(s, order_id)


def _off_the_shelf(
    s: Session, stop: Any, qty: int, reason: str, ref: str, picker: Picker, *, push: bool
) -> None:
    """`qty` of the stop's allocated units leave its location, with a ledger line."""
    stock.apply_move(
        s,
        product=stock.ProductKey(stop.product_id, stop.sku),
        qty=qty,
        reason=reason,
        source=stock.PlaceKey(stop.location_id, stop.location_code, stop.location_kind),
        lot=stop.lot,
        user_id=picker.user_id,
        ref=ref,
        from_allocated=True,
        push=push,
    )


def maybe_picked(s: Session, order_id: int) -> None:
    """An order whose every unit is in a tote is PICKED: packing may start."""
    s.flush()
    s.connection().execute(_ORDER_PICKED, {"order_id": order_id, "at": utcnow()})


def _skip(s: Session, task_id: int, picker: Picker) -> int:
    task, batch = own_task(s, task_id, picker)
    last = (
        s.execute(select(func.max(PickTask.seq)).where(PickTask.batch_id == batch.id))
    ).scalar() or 0
    task.seq = last + 1
    task.status = "skipped"
    s.flush()
    return batch.id  # type: ignore[return-value]


# The screens these writes answer with (one @answers transaction each).
confirmed: Callable[..., BatchView] = screen(_confirm)
skipped: Callable[..., BatchView] = screen(_skip)
