"""Picking a cart batch: claim, bind totes, confirm, short, skip, pause, hand over, finish.

Every call is one write transaction that checks everything before it changes anything,
so a wrong scan leaves the database as it was (invariant 7). A confirmed pick moves the
units out of the location (ledger) and out of the line's reservation in the same breath,
so `wms check` holds after every call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from wms.db import Database
from wms.domain import scans
from wms.domain.layout import Geometry
from wms.domain.orders import OrderStatus
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Barcode, Location, OrderLine, Product, SalesOrder, User
from wms.models.common import utcnow
from wms.models.picking import (
    FloorException,
    PickBatch,
    PickSlot,
    PickTask,
    PickTaskLine,
    Tote,
    Wave,
)
from wms.services import availability, money_facts, stock, waves

ACTIVE = ("assigned", "picking", "paused")
OPEN_TASK = ("open", "skipped")
PB = PickBatch.__table__


@dataclass(frozen=True)
class Picker:
    user_id: int
    role: str


def _wrong(code: str, title: str, expected: Any, detail: str = "") -> WmsError:
    """A wrong scan: 422 with what the screen should show instead."""
    return WmsError(code, title, detail or title, expected=expected)


# -- claim --------------------------------------------------------------------------------


async def next_batch(db: Database, picker: Picker) -> dict[str, Any]:
    """The caller's current batch, or the oldest released one, claimed for them alone."""
    return await get_batch(db, await db.run(_claim, picker))


def _claim(s: Session, picker: Picker) -> int:
    current = _current(s, picker.user_id)
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
            return candidate


def _current(s: Session, user_id: int) -> int | None:
    return (
        s.execute(
            select(PickBatch.id)
            .where(PickBatch.picker_id == user_id, PickBatch.status.in_(ACTIVE))
            .order_by(PickBatch.id)
            .limit(1)
        )
    ).scalar()


async def get_batch(db: Database, batch_id: int) -> dict[str, Any]:
    return await db.read_run(batch_view, batch_id)


# -- the view -----------------------------------------------------------------------------


_DROP = Location.__table__.alias("drop_location")
# Columns, not ORM entities: a terminal asks for this view after every scan, and loading
# whole Location/Product objects cost most of the call.
_BATCH = (
    select(
        PickBatch.id,
        PickBatch.wave_id,
        PickBatch.kind,
        PickBatch.status,
        PickBatch.distance_m,
        User.username,
        _DROP.c.code,
    )
    .outerjoin(User, User.id == PickBatch.picker_id)
    .outerjoin(_DROP, _DROP.c.id == PickBatch.drop_location_id)
    .where(PickBatch.id == bindparam("batch_id"))
)
_SLOTS = (
    select(PickSlot.slot, PickSlot.order_id, SalesOrder.reference, PickSlot.tote)
    .outerjoin(SalesOrder, SalesOrder.id == PickSlot.order_id)
    .where(PickSlot.batch_id == bindparam("batch_id"))
    .order_by(PickSlot.slot)
)
_STOPS = (
    select(
        PickTask.id,
        PickTask.seq,
        Location.code,
        Location.check_code,
        Product.id.label("product_id"),
        Product.sku,
        Product.name,
        PickTask.lot,
        PickTask.qty,
        PickTask.picked,
        PickTask.slot,
        PickTask.status,
    )
    .join(Location, Location.id == PickTask.location_id)
    .join(Product, Product.id == PickTask.product_id)
    .where(PickTask.batch_id == bindparam("batch_id"), PickTask.status != "cancelled")
    .order_by(PickTask.seq, PickTask.id)
)
_CODES = (
    select(Barcode.value, Barcode.product_id)
    .where(Barcode.product_id.in_(bindparam("ids", expanding=True)))
    .order_by(Barcode.pack_qty, Barcode.value)
)


def batch_view(s: Session, batch_id: int) -> dict[str, Any]:
    """What the picker's screen shows: slots and totes, every stop in walk order."""
    conn = s.connection()
    batch = conn.execute(_BATCH, {"batch_id": batch_id}).one_or_none()
    if batch is None:
        raise NotFound("unknown_batch", "Unknown batch", f"no batch {batch_id}")
    slots = conn.execute(_SLOTS, {"batch_id": batch_id}).all()
    by_slot = {slot.slot: slot for slot in slots}
    rows = conn.execute(_STOPS, {"batch_id": batch_id}).all()
    codes: dict[int, list[str]] = {}
    for value, pid in conn.execute(_CODES, {"ids": sorted({r.product_id for r in rows})}):
        codes.setdefault(pid, []).append(value)
    stops = []
    for r in rows:
        slot = by_slot.get(r.slot) if r.slot is not None else None
        stops.append(
            {
                "task_id": r.id,
                "seq": r.seq,
                "location": r.code,
                "check_code": r.check_code,
                "sku": r.sku,
                "name": r.name,
                "barcodes": codes.get(r.product_id, []),
                "lot": r.lot or None,
                "qty": r.qty,
                "picked": r.picked,
                "slot": r.slot,
                "tote": slot.tote if slot else None,
                "order_id": slot.order_id if slot else None,
                "status": r.status,
            }
        )
    return {
        "id": batch.id,
        "wave_id": batch.wave_id,
        "kind": batch.kind,
        "status": batch.status,
        "picker": batch.username,
        "slots": [
            {"slot": x.slot, "order_id": x.order_id, "order_ref": x.reference, "tote": x.tote}
            for x in slots
        ],
        "stops": stops,
        "next_task_id": next((st["task_id"] for st in stops if st["status"] in OPEN_TASK), None),
        "drop_location": batch.code,
        "distance_m": batch.distance_m,
    }


# -- guards -------------------------------------------------------------------------------


def _own_batch(s: Session, batch_id: int, picker: Picker) -> PickBatch:
    batch = s.get(PickBatch, batch_id)
    if batch is None:
        raise NotFound("unknown_batch", "Unknown batch", f"no batch {batch_id}")
    _check_owner(batch_id, batch.picker_id, batch.status, picker)
    return batch


def _check_owner(batch_id: int, picker_id: int | None, status: str, picker: Picker) -> None:
    if picker_id != picker.user_id:
        raise Conflict("not_your_batch", "Not your batch", f"batch {batch_id} is someone else's")
    if status not in ACTIVE:
        raise Conflict("batch_closed", "Batch is " + status, f"batch {batch_id}")


def _check_open(task_id: int, task_status: str, batch_status: str) -> None:
    if batch_status == "paused":
        raise Conflict("batch_paused", "Batch is paused", "resume the batch first")
    if task_status not in OPEN_TASK:
        raise Conflict("task_done", "Stop already done", f"task {task_id} is {task_status}")


def _own_task(s: Session, task_id: int, picker: Picker) -> tuple[PickTask, PickBatch]:
    task = s.get(PickTask, task_id)
    if task is None:
        raise NotFound("unknown_task", "Unknown task", f"no pick task {task_id}")
    batch = _own_batch(s, task.batch_id, picker)
    _check_open(task_id, task.status, batch.status)
    return task, batch


# One read for everything a pick checks and moves: the stop, its batch, location, product
# and tote. A confirm is the floor's commonest call; loading ORM objects cost most of it.
_SLOT_OF_STOP = PickSlot.__table__.alias("stop_slot")
_STOP = (
    select(
        PickTask.id,
        PickTask.batch_id,
        PickTask.product_id,
        PickTask.location_id,
        PickTask.lot,
        PickTask.qty,
        PickTask.picked,
        PickTask.status,
        PickBatch.picker_id,
        PickBatch.status.label("batch_status"),
        Location.code.label("location_code"),
        Location.check_code,
        Location.kind.label("location_kind"),
        Product.sku,
        _SLOT_OF_STOP.c.tote,
    )
    .join(PickBatch, PickBatch.id == PickTask.batch_id)
    .join(Location, Location.id == PickTask.location_id)
    .join(Product, Product.id == PickTask.product_id)
    .outerjoin(
        _SLOT_OF_STOP,
        and_(
            _SLOT_OF_STOP.c.batch_id == PickTask.batch_id,
            # A bulk stop (no slot) goes into the bulk tote, slot 1.
            _SLOT_OF_STOP.c.slot == func.coalesce(PickTask.slot, 1),
        ),
    )
    .where(PickTask.id == bindparam("task_id"))
)


def _stop(s: Session, task_id: int) -> Any:
    row = s.connection().execute(_STOP, {"task_id": task_id}).one_or_none()
    if row is None:
        raise NotFound("unknown_task", "Unknown task", f"no pick task {task_id}")
    return row


_PRODUCTS_OF = select(Barcode.product_id).where(
    Barcode.value.in_(bindparam("codes", expanding=True))
)


def _check_item(s: Session, stop: Any, raw: str) -> None:
    """The item must be proven by a barcode (typing the SKU would prove nothing)."""
    scan = scans.classify(raw)
    found = s.connection().execute(_PRODUCTS_OF, {"codes": scan.barcode_candidates()}).scalars()
    if stop.product_id not in set(found):
        raise _wrong("wrong_item", "Wrong item", stop.sku, f"expected {stop.sku}")
    if stop.lot:
        if not scan.lot:
            raise _wrong("lot_required", "Scan the lot", stop.lot, f"lot {stop.lot} needed")
        if scan.lot != stop.lot:
            raise _wrong("wrong_lot", "Wrong lot", stop.lot, f"expected lot {stop.lot}")


def _check_tote(stop: Any, raw: str | None) -> str:
    expected: str | None = stop.tote
    if expected is None:
        raise _wrong("wrong_tote", "Bind a tote first", None, "no tote is bound to this slot")
    if (raw or "").strip().upper() != expected.upper():
        raise _wrong("wrong_tote", "Wrong tote", expected, f"expected tote {expected}")
    return expected


# -- totes --------------------------------------------------------------------------------


async def bind_tote(
    db: Database, batch_id: int, slot_no: int, raw: str, picker: Picker
) -> dict[str, Any]:
    return await get_batch(db, await db.run(_bind_tote, batch_id, slot_no, raw, picker))


def _bind_tote(s: Session, batch_id: int, slot_no: int, raw: str, picker: Picker) -> int:
    code = raw.strip().upper()
    batch = _own_batch(s, batch_id, picker)
    slot = (
        s.execute(select(PickSlot).where(PickSlot.batch_id == batch_id, PickSlot.slot == slot_no))
    ).scalar_one_or_none()
    if slot is None:
        raise _wrong("bad_slot", "No such slot", None, f"batch {batch_id} has no slot {slot_no}")
    if not scans.looks_like_tote(code):
        raise NotFound("unknown_tote", "Not a tote", f"{raw!r} is not a tote label")
    if slot.tote == code:
        return batch_id
    tote = s.get(Tote, code)
    if tote is not None and (tote.batch_id is not None or tote.order_id is not None):
        raise Conflict("tote_in_use", "Tote in use", f"tote {code} holds other work")
    if slot.tote is not None:
        if _slot_has_picks(s, batch_id, slot_no):
            raise Conflict("tote_in_use", "Slot has a tote", f"slot {slot_no} has picks")
        s.execute(update(Tote).where(Tote.code == slot.tote).values(batch_id=None, order_id=None))
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


# -- confirm, short, skip -----------------------------------------------------------------


async def confirm(
    db: Database, task_id: int, *, location: str, item: str, qty: int, tote: str, picker: Picker
) -> dict[str, Any]:
    batch_id = await db.run(
        _confirm, task_id, location=location, item=item, qty=qty, tote=tote, picker=picker
    )
    # The answer is read after the commit: the write lock is held for the pick alone.
    return await get_batch(db, batch_id)


def _confirm(
    s: Session, task_id: int, *, location: str, item: str, qty: int, tote: str, picker: Picker
) -> int:
    stop = _stop(s, task_id)
    _check_owner(stop.batch_id, stop.picker_id, stop.batch_status, picker)
    _check_open(task_id, stop.status, stop.batch_status)
    scanned = location.strip().upper()
    if scanned not in (stop.location_code.upper(), stop.check_code):
        code = stop.location_code
        raise _wrong("wrong_location", "Wrong location", code, f"go to {code}")
    _check_item(s, stop, item)
    remaining = stop.qty - stop.picked
    if qty < 1 or qty > remaining:
        raise _wrong("too_many", "Too many", remaining, f"{remaining} left at this stop")
    _pick(s, stop, qty, _check_tote(stop, tote), picker)
    if stop.batch_status != "picking":
        s.execute(update(PB).where(PB.c.id == stop.batch_id).values(status="picking"))
    return stop.batch_id  # type: ignore[no-any-return]


_LINKS = (
    select(
        PickTaskLine.id,
        PickTaskLine.qty,
        PickTaskLine.picked,
        OrderLine.id.label("line_id"),
        OrderLine.order_id,
    )
    .join(OrderLine, OrderLine.id == PickTaskLine.order_line_id)
    .where(PickTaskLine.task_id == bindparam("task_id"))
    .order_by(PickTaskLine.id)
)
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
_PT = PickTask.__table__
_TASK_PICKED = (
    update(_PT)
    .where(_PT.c.id == bindparam("task_id"))
    .values(
        picked=_PT.c.picked + bindparam("k"),
        picked_by=bindparam("user_id"),
        picked_at=bindparam("at"),
        status=case((_PT.c.picked + bindparam("k") >= _PT.c.qty, "done"), else_=_PT.c.status),
    )
)
_SO = SalesOrder.__table__
_OL = OrderLine.__table__
# An order whose every unit is in a tote is PICKED: packing may start.
_ORDER_PICKED = (
    update(_SO)
    .where(
        _SO.c.id == bindparam("order_id"),
        _SO.c.status == OrderStatus.IN_WAVE,
        ~select(_OL.c.id).where(_OL.c.order_id == _SO.c.id, _OL.c.picked < _OL.c.qty).exists(),
    )
    .values(status=OrderStatus.PICKED, updated_at=bindparam("at"))
)


def _pick(s: Session, stop: Any, qty: int, tote: str, picker: Picker) -> None:
    """Move `qty` units from the location into the tote; the lines' reservations go with them."""
    conn = s.connection()
    left = qty
    touched: set[int] = set()
    picks: list[tuple[int, int, int]] = []  # (order, line, units): their goods cost
    for link in conn.execute(_LINKS, {"task_id": stop.id}).all():
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
    availability.release_sync(s, stop.product_id, qty)
    _off_the_shelf(s, stop, qty, "pick", f"task {stop.id} tote {tote}", picker, push=False)
    conn.execute(
        _TASK_PICKED, {"task_id": stop.id, "k": qty, "user_id": picker.user_id, "at": utcnow()}
    )
    for order_id in sorted(touched):
        _maybe_picked(s, order_id)


def _off_the_shelf(
    s: Session, stop: Any, qty: int, reason: str, ref: str, picker: Picker, *, push: bool
) -> None:
    """`qty` of the stop's allocated units leave its location, with a ledger line."""
    stock.apply_move_sync(
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


def _links(s: Session, task_id: int) -> list[tuple[PickTaskLine, OrderLine]]:
    return [
        (link, line)
        for link, line in (
            s.execute(
                select(PickTaskLine, OrderLine)
                .join(OrderLine, OrderLine.id == PickTaskLine.order_line_id)
                .where(PickTaskLine.task_id == task_id)
                .order_by(PickTaskLine.id)
            )
        ).all()
    ]


def _maybe_picked(s: Session, order_id: int) -> None:
    """An order whose every unit is in a tote is PICKED: packing may start."""
    s.flush()
    s.connection().execute(_ORDER_PICKED, {"order_id": order_id, "at": utcnow()})


async def short(
    db: Database,
    geo: Geometry,
    task_id: int,
    *,
    found: int,
    item: str | None,
    tote: str | None,
    picker: Picker,
) -> dict[str, Any]:
    """Fewer units than planned: pick what is there, write off the rest, find it elsewhere."""
    return await get_batch(
        db, await db.run(_short, geo, task_id, found=found, item=item, tote=tote, picker=picker)
    )


def _short(
    s: Session,
    geo: Geometry,
    task_id: int,
    *,
    found: int,
    item: str | None,
    tote: str | None,
    picker: Picker,
) -> int:
    task, batch = _own_task(s, task_id, picker)
    stop = _stop(s, task_id)
    remaining = task.qty - task.picked
    if found < 0 or found >= remaining:
        raise _wrong("too_many", "Too many", remaining - 1, f"short means < {remaining}")
    if found:
        _check_item(s, stop, item or "")
        _pick(s, stop, found, _check_tote(stop, tote), picker)
        s.refresh(task)  # the pick wrote the task's row directly
    missing = remaining - found
    _write_off(s, task, stop, missing, picker)
    _reallocate(s, geo, task, batch, missing, picker)
    batch.status = "picking"
    s.flush()
    return batch.id  # type: ignore[return-value]


def _write_off(s: Session, task: PickTask, stop: Any, missing: int, picker: Picker) -> None:
    """The location had fewer than the ledger said: the ledger learns it (a `short` move)."""
    _off_the_shelf(s, stop, missing, "short", f"short pick task {task.id}", picker, push=True)
    task.qty -= missing
    task.shorted += missing
    task.status = "short"
    task.picked_by, task.picked_at = picker.user_id, utcnow()


def _reallocate(
    s: Session, geo: Geometry, task: PickTask, batch: PickBatch, missing: int, picker: Picker
) -> None:
    """Each line's missing units: a new stop at the end of this batch, else a backorder."""
    links = _links(s, task.id)  # type: ignore[arg-type]
    free = (waves.free_stock_sync(s, [task.product_id])).get(task.product_id, [])
    seq = (
        s.execute(select(func.max(PickTask.seq)).where(PickTask.batch_id == batch.id))
    ).scalar() or 0
    for link, line in links:
        k = min(missing, link.qty - link.picked)
        if k <= 0:
            continue
        missing -= k
        link.qty -= k
        line.allocated -= k
        # The shorted location's figures are not to be trusted now; look elsewhere.
        taken = waves.choose(geo, free, k, exclude={task.location_id})
        for row, n in taken:
            seq += 1
            new = PickTask(
                batch_id=batch.id,  # type: ignore[arg-type]
                seq=seq,
                location_id=row.location_id,
                stock_id=row.stock_id,
                product_id=row.product_id,
                lot=row.lot,
                qty=n,
                slot=task.slot,
            )
            s.add(new)
            s.flush()
            waves.allocate_stock_sync(s, row.stock_id, n)
            s.add(PickTaskLine(task_id=new.id, order_line_id=line.id, qty=n))  # type: ignore[arg-type]
            line.allocated += n
        if not taken:
            _backorder(s, task, batch, line, k, picker)
    s.flush()


def _backorder(
    s: Session, task: PickTask, batch: PickBatch, line: OrderLine, k: int, picker: Picker
) -> None:
    """No free stock anywhere: the line lets go of `k` units and a supervisor is told."""
    availability.release_sync(s, line.product_id, k)
    line.reserved -= k
    s.flush()
    # The write-off may have taken reservations from newer orders; what we let go is theirs.
    availability.fill_backorders_sync(s, line.product_id)
    s.add(
        FloorException(
            kind="short_pick",
            batch_id=batch.id,
            task_id=task.id,
            order_id=line.order_id,
            product_id=line.product_id,
            location_id=task.location_id,
            qty=k,
            message=f"{line.sku}: {k} short, no stock to re-allocate; backordered",
            user_id=picker.user_id,
        )
    )


async def skip(db: Database, task_id: int, picker: Picker) -> dict[str, Any]:
    return await get_batch(db, await db.run(_skip, task_id, picker))


def _skip(s: Session, task_id: int, picker: Picker) -> int:
    task, batch = _own_task(s, task_id, picker)
    last = (
        s.execute(select(func.max(PickTask.seq)).where(PickTask.batch_id == batch.id))
    ).scalar() or 0
    task.seq = last + 1
    task.status = "skipped"
    s.flush()
    return batch.id  # type: ignore[return-value]


# -- pause, resume, handover, finish ------------------------------------------------------


async def pause(db: Database, batch_id: int, picker: Picker) -> dict[str, Any]:
    return await get_batch(db, await db.run(_pause, batch_id, picker))


def _pause(s: Session, batch_id: int, picker: Picker) -> int:
    batch = _own_batch(s, batch_id, picker)
    batch.status = "paused"
    s.flush()
    return batch_id


async def resume(db: Database, batch_id: int, picker: Picker) -> dict[str, Any]:
    return await get_batch(db, await db.run(_resume, batch_id, picker))


def _resume(s: Session, batch_id: int, picker: Picker) -> int:
    batch = _own_batch(s, batch_id, picker)
    if batch.status == "paused":
        batch.status = "picking"
    s.flush()
    return batch_id


async def handover(db: Database, batch_id: int, badge: str, picker: Picker) -> dict[str, Any]:
    """Another picker takes the cart over (end of shift): the batch becomes theirs, paused."""
    return await get_batch(db, await db.run(_handover, batch_id, badge, picker))


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
    if to.id != batch.picker_id and _current(s, to.id) is not None:  # type: ignore[arg-type]
        raise Conflict("picker_busy", "Picker has a batch", f"{to.username} has work")
    batch.picker_id = to.id
    batch.status = "paused"
    s.flush()
    return batch_id


async def finish(db: Database, batch_id: int, drop: str, picker: Picker) -> dict[str, Any]:
    return await get_batch(db, await db.run(_finish, batch_id, drop, picker))


def _finish(s: Session, batch_id: int, drop: str, picker: Picker) -> int:
    batch = _own_batch(s, batch_id, picker)
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
        raise _wrong("wrong_location", "Wrong drop", loc.code, f"drop at {loc.code}")
    if loc is None:
        loc = stock.location_by_code_sync(s, scanned)
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
        _maybe_picked(s, order_id)
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
                availability.refresh_open_status_sync(s, order_id)


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


# -- exceptions ---------------------------------------------------------------------------


async def exceptions(db: Database, status: str | None = "open") -> list[dict[str, Any]]:
    return await db.read_run(_exceptions, status)


def _exceptions(s: Session, status: str | None) -> list[dict[str, Any]]:
    query = (
        select(FloorException, Product.sku, Location.code)
        .outerjoin(Product, Product.id == FloorException.product_id)
        .outerjoin(Location, Location.id == FloorException.location_id)
        .order_by(FloorException.id)
    )
    if status:
        query = query.where(FloorException.status == status)
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "status": e.status,
            "batch_id": e.batch_id,
            "task_id": e.task_id,
            "order_id": e.order_id,
            "sku": sku,
            "location": code,
            "qty": e.qty,
            "message": e.message,
            "created_at": e.created_at.isoformat(),
        }
        for e, sku, code in (s.execute(query)).all()
    ]


async def resolve_exception(db: Database, exception_id: int) -> dict[str, Any]:
    return await db.run(_resolve_exception, exception_id)


def _resolve_exception(s: Session, exception_id: int) -> dict[str, Any]:
    e = s.get(FloorException, exception_id)
    if e is None:
        raise NotFound("unknown_exception", "Unknown exception", f"no exception {exception_id}")
    e.status = "resolved"
    return {"id": e.id, "status": e.status}


# -- totes --------------------------------------------------------------------------------


async def tote_contents(db: Database, code: str) -> dict[str, Any]:
    """What a tote holds: its order and the units picked into it, and where it stands."""
    return await db.read_run(_tote_contents, code.strip().upper())


def _tote_contents(s: Session, code: str) -> dict[str, Any]:
    tote = s.get(Tote, code)
    if tote is None:
        raise NotFound("unknown_tote", "Unknown tote", f"no tote {code}")
    slot = (
        s.execute(
            select(PickSlot).where(PickSlot.tote == code).order_by(PickSlot.id.desc()).limit(1)
        )
    ).scalar_one_or_none()
    items: list[dict[str, Any]] = []
    if slot is not None:
        into = or_(PickTask.slot == slot.slot, and_(PickTask.slot.is_(None), slot.slot == 1))
        rows = s.execute(
            select(Product.sku, Product.name, PickTask.lot, func.sum(PickTask.picked))
            .join(Product, Product.id == PickTask.product_id)
            .where(PickTask.batch_id == slot.batch_id, into, PickTask.picked > 0)
            .group_by(Product.sku, Product.name, PickTask.lot)
            .order_by(Product.sku)
        )
        items = [
            {"sku": sku, "name": name, "lot": lot or None, "qty": qty}
            for sku, name, lot, qty in rows
        ]
    loc = s.get(Location, tote.location_id) if tote.location_id else None
    return {
        "tote": code,
        "order_id": tote.order_id,
        "batch_id": slot.batch_id if slot else None,
        "location": loc.code if loc else None,
        "items": items,
    }
