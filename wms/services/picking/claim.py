"""Claiming a released batch, and binding totes to its slots."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from wms.domain import scans
from wms.errors import Conflict, NotFound
from wms.models.common import utcnow
from wms.models.picking import (
    PickBatch,
    PickSlot,
    PickTask,
    Tote,
)
from wms.services import events
from wms.services.picking.guards import PB, Picker, current_batch, own_batch, wrong
from wms.services.picking.view import BatchView, screen


def _claim(s: Session, picker: Picker) -> int:
    current = current_batch(s, picker.user_id)
    if current is not None:
        return current
    while True:
        candidate = (
            s.execute(
                select(PickBatch.id)
                .where(PickBatch.status == "released", PickBatch.picker_id.is_(None))
                .order_by(PickBatch.wave_id, PickBatch.id)
                .limit(1)
            )
        ).scalar()
        if candidate is None:
            raise NotFound("no_work", "No work", "no released batch is waiting")
        # The claim is conditional: of two pickers racing for one batch (several
        # server processes on PostgreSQL), exactly one UPDATE matches the row.
        result = s.execute(
            update(PB)
            .where(PB.c.id == candidate, PB.c.status == "released", PB.c.picker_id.is_(None))
            .values(picker_id=picker.user_id, status="assigned", assigned_at=utcnow())
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            _follow_up_totes(s, candidate)
            events.note(s, "batch", batch=candidate)
            return candidate


_TT = Tote.__table__
_SL = PickSlot.__table__


def _follow_up_totes(s: Session, batch_id: int) -> None:
    """One order, one tote: an order already in a tote on the floor (a follow-up pick after a
    backorder) gets that tote on its slot; the batch view says where to fetch it."""
    conn = s.connection()
    slots = conn.execute(
        select(_SL.c.id, _SL.c.order_id).where(
            _SL.c.batch_id == batch_id, _SL.c.order_id.is_not(None), _SL.c.tote.is_(None)
        )
    ).all()
    for slot in slots:
        code = conn.execute(
            select(_TT.c.code)
            .where(_TT.c.order_id == slot.order_id, _TT.c.batch_id.is_(None))
            .order_by(_TT.c.updated_at.desc(), _TT.c.code)
            .limit(1)
        ).scalar()
        if code is None:
            continue
        conn.execute(update(_SL).where(_SL.c.id == slot.id).values(tote=code))
        conn.execute(
            update(_TT).where(_TT.c.code == code).values(batch_id=batch_id, updated_at=utcnow())
        )


def _bind_tote(s: Session, batch_id: int, slot_no: int, raw: str, picker: Picker) -> int:
    code = raw.strip().upper()
    batch = own_batch(s, batch_id, picker)
    slot = (
        s.execute(select(PickSlot).where(PickSlot.batch_id == batch_id, PickSlot.slot == slot_no))
    ).scalar_one_or_none()
    if slot is None:
        raise wrong("bad_slot", "No such slot", None, f"batch {batch_id} has no slot {slot_no}")
    if not scans.looks_like_tote(code):
        raise NotFound("unknown_tote", "Not a tote", f"{raw!r} is not a tote label")
    if slot.tote == code:
        return batch_id
    tote = s.get(Tote, code)
    # The order's own tote from an earlier batch may come back onto the cart for it.
    own = (
        tote is not None
        and slot.order_id is not None
        and tote.order_id == slot.order_id
        and tote.batch_id in (None, batch_id)
    )
    if tote is not None and not own and (tote.batch_id is not None or tote.order_id is not None):
        raise Conflict("tote_in_use", "Tote in use", f"tote {code} holds other work")
    if slot.tote is not None:
        if _slot_has_picks(s, batch_id, slot_no):
            raise Conflict("tote_in_use", "Slot has a tote", f"slot {slot_no} has picks")
        # A tote that already holds the order's earlier picks stays the order's.
        keep = _holds_earlier_picks(s, slot.tote, slot.order_id, batch_id)
        s.execute(
            update(Tote)
            .where(Tote.code == slot.tote)
            .values(batch_id=None, **({} if keep else {"order_id": None}))
        )
    if tote is None:
        tote = Tote(code=code)
        s.add(tote)
    tote.batch_id, tote.order_id, tote.location_id = batch_id, slot.order_id, None
    tote.updated_at = utcnow()
    slot.tote = code
    if batch.status == "assigned":
        batch.status = "picking"
    s.flush()
    return batch_id


def _holds_earlier_picks(s: Session, code: str, order_id: int | None, batch_id: int) -> bool:
    if order_id is None:
        return False
    earlier = s.execute(
        select(PickSlot.id).where(
            PickSlot.tote == code, PickSlot.order_id == order_id, PickSlot.batch_id != batch_id
        )
    ).first()
    return earlier is not None


def _slot_has_picks(s: Session, batch_id: int, slot_no: int) -> bool:
    # Bulk stops have no slot and go into slot 1's tote.
    into = or_(PickTask.slot == slot_no, and_(PickTask.slot.is_(None), slot_no == 1))
    picked = (
        s.execute(
            select(func.coalesce(func.sum(PickTask.picked), 0)).where(
                PickTask.batch_id == batch_id, into
            )
        )
    ).scalar()
    return bool(picked)


# The screens these writes answer with (one @answers transaction each).
claimed: Callable[..., BatchView] = screen(_claim)
tote_bound: Callable[..., BatchView] = screen(_bind_tote)
