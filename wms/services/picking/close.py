"""Pausing, resuming, handing a cart over, and finishing a batch at its drop."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from wms.domain.orders import OrderStatus
from wms.errors import Conflict, NotFound
from wms.models import Location, OrderLine, SalesOrder, User
from wms.models.common import utcnow
from wms.models.picking import (
    PickBatch,
    PickTask,
    PickTaskLine,
    Tote,
    Wave,
)
from wms.services import availability, events, stock
from wms.services.picking.guards import ACTIVE, OPEN_TASK, Picker, current_batch, own_batch, wrong
from wms.services.picking.pick import maybe_picked
from wms.services.picking.view import BatchView, screen


def _pause(s: Session, batch_id: int, picker: Picker) -> int:
    batch = own_batch(s, batch_id, picker)
    batch.status = "paused"
    s.flush()
    return batch_id


def _resume(s: Session, batch_id: int, picker: Picker) -> int:
    batch = own_batch(s, batch_id, picker)
    if batch.status == "paused":
        batch.status = "picking"
    s.flush()
    return batch_id


def _handover(s: Session, batch_id: int, badge: str, picker: Picker) -> int:
    batch = s.get(PickBatch, batch_id)
    if batch is None:
        raise NotFound("unknown_batch", "Unknown batch", f"no batch {batch_id}")
    if batch.picker_id != picker.user_id and picker.role not in ("supervisor", "admin"):
        raise Conflict("not_your_batch", "Not your batch", f"batch {batch_id}")
    if batch.status not in ACTIVE:
        raise Conflict("batch_closed", "Batch is " + batch.status, f"batch {batch_id}")
    to = (
        s.execute(select(User).where(User.badge == badge.strip(), User.active.is_(True)))
    ).scalar_one_or_none()
    if to is None or to.role not in ("picker", "supervisor", "admin"):
        raise NotFound("unknown_badge", "Unknown badge", f"no picker with badge {badge!r}")
    if to.id != batch.picker_id and current_batch(s, to.id) is not None:  # type: ignore[arg-type]
        raise Conflict("picker_busy", "Picker has a batch", f"{to.username} has work")
    batch.picker_id = to.id
    batch.status = "paused"
    s.flush()
    return batch_id


def _finish(s: Session, batch_id: int, drop: str, picker: Picker) -> int:
    batch = own_batch(s, batch_id, picker)
    left = (
        s.execute(
            select(func.count()).where(
                PickTask.batch_id == batch_id, PickTask.status.in_(OPEN_TASK)
            )
        )
    ).scalar()
    if left:
        raise Conflict("stops_open", "Stops still open", f"{left} stops left", expected=left)
    loc = s.get(Location, batch.drop_location_id) if batch.drop_location_id else None
    scanned = drop.strip().upper()
    if loc is not None and scanned not in (loc.code.upper(), loc.check_code):
        raise wrong("wrong_location", "Wrong drop", loc.code, f"drop at {loc.code}")
    if loc is None:
        loc = stock.location_by_code(s, scanned)
    batch.status = "done"
    batch.finished_at = utcnow()
    s.execute(update(Tote).where(Tote.batch_id == batch_id).values(location_id=loc.id))
    # An order's tote now belongs to its order; a bulk tote (no order) stays with the
    # batch, so it is not handed out again before packing has sorted it.
    s.execute(
        update(Tote)
        .where(Tote.batch_id == batch_id, Tote.order_id.is_not(None))
        .values(batch_id=None)
    )
    _close_orders(s, batch_id)
    _close_wave(s, batch.wave_id)
    s.flush()
    events.note(s, "batch", batch=batch_id)
    return batch_id


def _close_orders(s: Session, batch_id: int) -> None:
    """Orders left incomplete by a short pick wait for stock as BACKORDERED."""
    order_ids = (
        s.execute(
            select(OrderLine.order_id)
            .join(PickTaskLine, PickTaskLine.order_line_id == OrderLine.id)
            .join(PickTask, PickTask.id == PickTaskLine.task_id)
            .where(PickTask.batch_id == batch_id)
            .distinct()
        )
    ).scalars()
    for order_id in sorted(order_ids):
        maybe_picked(s, order_id)
        order = s.get(SalesOrder, order_id)
        if order is not None and order.status == OrderStatus.IN_WAVE:
            open_elsewhere = (
                s.execute(
                    select(PickTask.id)
                    .join(PickTaskLine, PickTaskLine.task_id == PickTask.id)
                    .join(OrderLine, OrderLine.id == PickTaskLine.order_line_id)
                    .where(OrderLine.order_id == order_id, PickTask.status.in_(OPEN_TASK))
                )
            ).first()
            if open_elsewhere is None:
                order.status = OrderStatus.BACKORDERED
                order.updated_at = utcnow()
                s.flush()
                availability.refresh_open_status(s, order_id)


def _close_wave(s: Session, wave_id: int) -> None:
    busy = (
        s.execute(
            select(PickBatch.id).where(
                PickBatch.wave_id == wave_id, PickBatch.status.not_in(("done", "cancelled"))
            )
        )
    ).first()
    if busy is None:
        s.execute(update(Wave).where(Wave.id == wave_id).values(status="done"))


# The screens these writes answer with (one @answers transaction each).
paused: Callable[..., BatchView] = screen(_pause)
resumed: Callable[..., BatchView] = screen(_resume)
handed_over: Callable[..., BatchView] = screen(_handover)
finished: Callable[..., BatchView] = screen(_finish)
