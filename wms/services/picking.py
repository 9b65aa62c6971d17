"""Picking a cart batch: claim, bind totes, confirm, short, skip, pause, hand over, finish.

Every call is one write transaction that checks everything before it changes anything,
so a wrong scan leaves the database as it was (invariant 7). A confirmed pick moves the
units out of the location (ledger) and out of the line's reservation in the same breath,
so `wms check` holds after every call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from wms.db import Database
from wms.domain import scans
from wms.domain.layout import Geometry, Point
from wms.domain.orders import OrderStatus
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Barcode, Location, OrderLine, Product, SalesOrder, Stock, User
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
from wms.services import availability, backorders, events, money_facts, stock, waves

ACTIVE = ("assigned", "picking", "paused")
OPEN_TASK = ("open", "skipped")
PB = PickBatch.__table__


@dataclass(frozen=True)
class Picker:
    user_id: int
    role: str


def _wrong(code: str, title: str, expected: Any, detail: str = "", **extra: Any) -> WmsError:
    """A wrong scan: 422 with what the screen should show instead."""
    return WmsError(code, title, detail or title, expected=expected, **extra)


# -- claim --------------------------------------------------------------------------------


async def next_batch(db: Database, picker: Picker) -> dict[str, Any]:
    """The caller's current batch, or the oldest released one, claimed for them alone."""
    return await db.run_answer(_viewed, _claim, picker)


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
        _DROP.c.check_code.label("drop_check_code"),
    )
    .outerjoin(User, User.id == PickBatch.picker_id)
    .outerjoin(_DROP, _DROP.c.id == PickBatch.drop_location_id)
    .where(PickBatch.id == bindparam("batch_id"))
)
_TOTE_AT = Location.__table__.alias("tote_at")
_SLOTS = (
    select(
        PickSlot.slot,
        PickSlot.order_id,
        SalesOrder.reference,
        PickSlot.tote,
        _TOTE_AT.c.code.label("tote_at"),
    )
    .outerjoin(SalesOrder, SalesOrder.id == PickSlot.order_id)
    .outerjoin(Tote, Tote.code == PickSlot.tote)
    .outerjoin(_TOTE_AT, _TOTE_AT.c.id == Tote.location_id)
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
        PickTask.location_id,
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
    select(Barcode.value, Barcode.product_id, Barcode.pack_qty)
    .where(Barcode.product_id.in_(bindparam("ids", expanding=True)))
    .order_by(Barcode.pack_qty, Barcode.value)
)
# The lots a lot-tracked stop's location holds of its product: one lot there means the
# plain barcode proves the pick; several mean the picker says which (scan or list).
_LOTS_HERE = (
    select(Stock.product_id, Stock.location_id, Stock.lot, Stock.expiry, Stock.on_hand)
    .where(
        Stock.product_id.in_(bindparam("ids", expanding=True)),
        Stock.location_id.in_(bindparam("locs", expanding=True)),
        Stock.on_hand > 0,
    )
    .order_by(Stock.expiry, Stock.lot)
)


def _viewed(s: Session, write: Callable[..., int], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Run a write that names a batch, then read the screen in the same transaction.

    The screen is the request's answer: read here, it is kept with the change it shows
    (`Database.run_answer`), and a crash between commit and answer cannot lose it.
    """
    batch_id = write(s, *args, **kwargs)
    s.flush()  # the view reads with Core statements: the ORM's changes must be there
    return batch_view(s, batch_id)


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
    packs: dict[int, dict[str, int]] = {}
    for value, pid, pack_qty in conn.execute(_CODES, {"ids": sorted({r.product_id for r in rows})}):
        codes.setdefault(pid, []).append(value)
        if pack_qty > 1:
            packs.setdefault(pid, {})[value] = pack_qty
    lots = _lots_here(conn, [r for r in rows if r.lot])
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
                "packs": packs.get(r.product_id, {}),
                "lot": r.lot or None,
                "lots": lots.get((r.product_id, r.location_id), []) if r.lot else [],
                "qty": r.qty,
                "picked": r.picked,
                "slot": r.slot,
                "tote": slot.tote if slot else None,
                "order_id": slot.order_id if slot else None,
                "status": r.status,
            }
        )
    filled = {st["slot"] or 1 for st in stops if st["picked"]}
    return {
        "id": batch.id,
        "wave_id": batch.wave_id,
        "kind": batch.kind,
        "status": batch.status,
        "picker": batch.username,
        "slots": [
            {
                "slot": x.slot,
                "order_id": x.order_id,
                "order_ref": x.reference,
                "tote": x.tote,
                # The order's tote from an earlier batch waits there: take it onto the cart.
                "fetch_from": x.tote_at if x.slot not in filled else None,
            }
            for x in slots
        ],
        "stops": stops,
        "next_task_id": next((st["task_id"] for st in stops if st["status"] in OPEN_TASK), None),
        "drop_location": batch.code,
        "drop_check_code": batch.drop_check_code,
        "distance_m": batch.distance_m,
    }


def _lots_here(conn: Any, rows: list[Any]) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """(product, location) → the lots there with stock, soonest expiry first."""
    if not rows:
        return {}
    params = {
        "ids": sorted({r.product_id for r in rows}),
        "locs": sorted({r.location_id for r in rows}),
    }
    found: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for x in conn.execute(_LOTS_HERE, params):
        found.setdefault((x.product_id, x.location_id), []).append(
            {
                "lot": x.lot,
                "expiry": x.expiry.isoformat() if x.expiry else None,
                "on_hand": x.on_hand,
            }
        )
    return found


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
        PickTask.stock_id,
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


_PRODUCTS_OF = select(Barcode.value, Barcode.product_id, Barcode.pack_qty).where(
    Barcode.value.in_(bindparam("codes", expanding=True))
)


_LOTS_AT = select(Stock.lot).where(
    Stock.product_id == bindparam("product_id"),
    Stock.location_id == bindparam("location_id"),
    Stock.on_hand > 0,
)


def _check_item(s: Session, stop: Any, raw: str, lot: str | None = None) -> int:
    """The item must be proven by a barcode (typing the SKU would prove nothing).

    Returns the units the scan stands for: an inner pack or case barcode counts its
    `pack_qty` (times a GS1 count, AI 37, when the label carries one). A lot-tracked stop
    also needs its lot: from the GS1 scan, or `lot` as the picker chose it (a lot barcode
    or the keypad list), or nothing when the location holds that lot only.
    """
    scan = scans.classify(raw)
    candidates = scan.barcode_candidates()
    found = {
        value: (pid, pack)
        for value, pid, pack in s.connection().execute(_PRODUCTS_OF, {"codes": candidates})
    }
    # The first form of the scan that names the stop's product: the value as scanned
    # before the shorter GTINs derived from it.
    pack = next(
        (found[v][1] for v in candidates if v in found and found[v][0] == stop.product_id), None
    )
    if pack is None:
        raise _wrong("wrong_item", "Wrong item", stop.sku, f"expected {stop.sku}")
    chosen = (lot or "").strip().upper() or None
    if scan.lot and chosen and scan.lot.upper() != chosen:
        raise _wrong("wrong_lot", "Wrong lot", stop.lot or None, "the scan names another lot")
    given = scan.lot or chosen
    units = int(pack) * (scan.count or 1)
    if not stop.lot:
        return units
    if given is None:
        here = s.connection().execute(
            _LOTS_AT, {"product_id": stop.product_id, "location_id": stop.location_id}
        )
        if set(here.scalars()) != {stop.lot}:
            raise _wrong("lot_required", "Scan the lot", stop.lot, f"lot {stop.lot} needed")
    elif given.upper() != stop.lot.upper():
        raise _wrong("wrong_lot", "Wrong lot", stop.lot, f"expected lot {stop.lot}")
    return units


def _units(qty: int | None, pack: int, remaining: int) -> int:
    """Units a confirm takes: `qty` (whole packs when a pack was scanned), else one scan's."""
    units = pack if qty is None else qty
    if pack > 1:
        if units % pack:
            raise _wrong(
                "not_whole_packs", "Whole packs only", pack, f"a pack holds {pack}; {units} asked"
            )
        if units > remaining:
            raise _wrong(
                "pack_exceeds_qty",
                "Pack too big",
                remaining,
                f"the pack holds {pack}, {remaining} left at this stop: scan a unit",
                pack_qty=pack,
            )
    if units < 1 or units > remaining:
        raise _wrong("too_many", "Too many", remaining, f"{remaining} left at this stop")
    return units


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
    return await db.run_answer(_viewed, _bind_tote, batch_id, slot_no, raw, picker)


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


# -- confirm, short, skip -----------------------------------------------------------------


async def confirm(
    db: Database,
    task_id: int,
    *,
    location: str,
    item: str,
    qty: int | None,
    tote: str,
    picker: Picker,
    lot: str | None = None,
) -> dict[str, Any]:
    return await db.run_answer(
        _viewed,
        _confirm,
        task_id,
        location=location,
        item=item,
        qty=qty,
        tote=tote,
        picker=picker,
        lot=lot,
    )


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
    stop = _stop(s, task_id)
    _check_owner(stop.batch_id, stop.picker_id, stop.batch_status, picker)
    _check_open(task_id, stop.status, stop.batch_status)
    scanned = location.strip().upper()
    if scanned not in (stop.location_code.upper(), stop.check_code):
        code = stop.location_code
        raise _wrong("wrong_location", "Wrong location", code, f"go to {code}")
    pack = _check_item(s, stop, item, lot)
    qty = _units(qty, pack, stop.qty - stop.picked)
    _pick(s, stop, qty, _check_tote(stop, tote), picker)
    if stop.batch_status != "picking":
        s.execute(update(PB).where(PB.c.id == stop.batch_id).values(status="picking"))
    events.note(s, "pick", batch=stop.batch_id)
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
    availability.release(s, stop.product_id, qty)
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
    return await db.run_answer(
        _viewed, _short, geo, task_id, found=found, item=item, tote=tote, picker=picker
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
    """A short pick is a count of the place: `found` units were all it held of the stop's item.

    The found units go into the tote; every open stop on that stock row (this one's rest,
    the picker's later stops there, other batches' stops) lets go of it and is re-planned:
    from free stock elsewhere as new stops in route order, else backordered. Then the
    ledger learns the count (`short_count`, the variance in its ref) and the supervisor
    gets a count task for the place.
    """
    stop = _stop(s, task_id)
    _check_owner(stop.batch_id, stop.picker_id, stop.batch_status, picker)
    _check_open(task_id, stop.status, stop.batch_status)
    remaining = stop.qty - stop.picked
    if found < 0 or found >= remaining:
        raise _wrong("too_many", "Too many", remaining - 1, f"short means < {remaining}")
    into = None
    if found:
        _check_item(s, stop, item or "")
        into = _check_tote(stop, tote)
    conn = s.connection()
    # FOR UPDATE (PostgreSQL): two shorts on one place at once must not both count it.
    believed = conn.execute(
        select(_ST.c.on_hand).where(_ST.c.id == stop.stock_id).with_for_update()
    ).scalar_one()
    if found:
        _pick(s, stop, found, into, picker)
    needs = _let_go(s, stop)
    free = waves.free_stock_sync(s, [stop.product_id]).get(stop.product_id, [])
    # The counted row holds nothing now, whatever its figures say until the count below.
    free = [r for r in free if r.stock_id != stop.stock_id]
    elsewhere = sum(r.free for r in free)
    touched: dict[int, int | None] = {stop.batch_id: stop.location_id}
    for need in needs:
        placed = _replan(s, geo, need, free)
        touched.setdefault(need.batch_id, None)
        _raise_short(s, stop, need, found, elsewhere, placed, picker)
    variance = believed - found
    stock.apply_move(
        s,
        product=stock.ProductKey(stop.product_id, stop.sku),
        qty=variance,
        reason="short_count",
        source=stock.PlaceKey(stop.location_id, stop.location_code, stop.location_kind),
        lot=stop.lot,
        user_id=picker.user_id,
        ref=f"short pick task {stop.id}: counted {found}, system {believed} (-{variance})",
        push=True,
    )
    _raise_count_task(s, stop, found, believed, picker)
    # What the count let go of (reservations of lines nothing could re-allocate) goes to
    # whoever waits first, should any of it be sellable somewhere the walk does not reach.
    availability.fill_backorders(
        s,
        stop.product_id,
        backorders.Cause(f"short count at {stop.location_code}", picker.user_id),
    )
    for batch_id, start in touched.items():
        _route_order(s, geo, batch_id, start)
    conn.execute(update(PB).where(PB.c.id == stop.batch_id).values(status="picking"))
    events.note(s, "pick", batch=stop.batch_id, short=remaining - found)
    return stop.batch_id  # type: ignore[no-any-return]


_ST = stock.ST
_PTL = PickTaskLine.__table__


@dataclass(frozen=True)
class _Need:
    """Units an order line still needs after its stop lost the shelf it was planned from."""

    task_id: int
    batch_id: int
    slot: int | None
    line_id: int
    order_id: int
    sku: str
    qty: int
    shorted: bool  # the picker's own stop (else a stop re-planned because of it)


def _let_go(s: Session, stop: Any) -> list[_Need]:
    """Every open stop on the counted stock row gives its units back; returns what they needed.

    A stop keeps what was picked at it: its quantity becomes that (the picker's stop is
    `short`; another becomes `done`, or `cancelled` when nothing was picked there).
    """
    conn = s.connection()
    tasks = conn.execute(
        select(_PT.c.id, _PT.c.batch_id, _PT.c.slot, _PT.c.qty, _PT.c.picked)
        .join(PB, PB.c.id == _PT.c.batch_id)
        .where(
            _PT.c.stock_id == stop.stock_id,
            _PT.c.status.in_(OPEN_TASK),
            _PT.c.qty > _PT.c.picked,
            PB.c.status.not_in(("done", "cancelled")),
        )
        .order_by(_PT.c.id != stop.id, _PT.c.batch_id, _PT.c.seq, _PT.c.id)
    ).all()
    needs: list[_Need] = []
    released = 0
    for t in tasks:
        mine = t.id == stop.id
        for link in conn.execute(_LINKS, {"task_id": t.id}).all():
            k = link.qty - link.picked
            if k <= 0:
                continue
            conn.execute(update(_PTL).where(_PTL.c.id == link.id).values(qty=link.picked))
            conn.execute(
                update(_OL).where(_OL.c.id == link.line_id).values(allocated=_OL.c.allocated - k)
            )
            needs.append(
                _Need(t.id, t.batch_id, t.slot, link.line_id, link.order_id, stop.sku, k, mine)
            )
        rest = t.qty - t.picked
        released += rest
        values: dict[str, Any] = {"qty": t.picked}
        if mine:
            values |= {
                "status": "short",
                "shorted": _PT.c.shorted + rest,
                "picked_by": stop.picker_id,
                "picked_at": utcnow(),
            }
        else:
            values["status"] = "done" if t.picked else "cancelled"
        conn.execute(update(_PT).where(_PT.c.id == t.id).values(**values))
    conn.execute(
        update(_ST).where(_ST.c.id == stop.stock_id).values(allocated=_ST.c.allocated - released)
    )
    return needs


def _replan(
    s: Session, geo: Geometry, need: _Need, free: list[waves.Free]
) -> list[tuple[waves.Free, int]]:
    """New stops for `need` from free stock (lowering `free`); what cannot be had is
    backordered: the line lets go of its reservation and waits for stock."""
    conn = s.connection()
    available = sum(r.free for r in free)
    taken = waves.choose(geo, free, min(need.qty, available)) if available else []
    for row, n in taken:
        result = conn.execute(
            _PT.insert().values(
                batch_id=need.batch_id,
                seq=0,  # placed in route order by _route_order
                location_id=row.location_id,
                stock_id=row.stock_id,
                product_id=row.product_id,
                lot=row.lot,
                qty=n,
                picked=0,
                shorted=0,
                slot=need.slot,
                status="open",
            )
        )
        new_id = result.inserted_primary_key[0]  # type: ignore[index]
        waves.allocate_stock_sync(s, row.stock_id, n)
        conn.execute(_PTL.insert().values(task_id=new_id, order_line_id=need.line_id, qty=n))
        conn.execute(
            update(_OL).where(_OL.c.id == need.line_id).values(allocated=_OL.c.allocated + n)
        )
    rest = need.qty - sum(n for _, n in taken)
    if rest:
        product_id = conn.execute(
            select(_OL.c.product_id).where(_OL.c.id == need.line_id)
        ).scalar_one()
        availability.release(s, product_id, rest)
        conn.execute(
            update(_OL).where(_OL.c.id == need.line_id).values(reserved=_OL.c.reserved - rest)
        )
    return taken


def _raise_short(
    s: Session,
    stop: Any,
    need: _Need,
    found: int,
    elsewhere: int,
    placed: list[tuple[waves.Free, int]],
    picker: Picker,
) -> None:
    """The supervisor's record of each line the count touched; open while it waits for stock."""
    moved = sum(n for _, n in placed)
    rest = need.qty - moved
    at = stop.location_code
    head = (
        f"{need.sku}: {need.qty} short at {at}"
        if need.shorted
        else f"{need.sku}: {need.qty} no longer at {at} (counted {found})"
    )
    places = ", ".join(sorted({row.code for row, _ in placed}))
    if not elsewhere:
        tail = "none sellable elsewhere; backordered"
    elif not rest:
        tail = f"{elsewhere} sellable elsewhere, re-allocated to {places}"
    elif moved:
        tail = (
            f"{elsewhere} sellable elsewhere, {moved} re-allocated to {places}, {rest} backordered"
        )
    else:
        tail = f"{elsewhere} sellable elsewhere, none free; backordered"
    s.connection().execute(
        FloorException.__table__.insert().values(
            kind="short_pick",
            status="open" if rest else "resolved",
            batch_id=need.batch_id,
            task_id=need.task_id,
            order_id=need.order_id,
            product_id=stop.product_id,
            location_id=stop.location_id,
            qty=need.qty,
            message=f"{head}; {tail}"[:300],
            user_id=picker.user_id,
            created_at=utcnow(),
            resolved_at=None if rest else utcnow(),
            resolution="" if rest else f"re-allocated to {places}"[:300],
        )
    )


def _raise_count_task(s: Session, stop: Any, found: int, believed: int, picker: Picker) -> None:
    """The place should be counted by someone who can look at all of it (one task per place)."""
    fe = FloorException.__table__
    conn = s.connection()
    already = conn.execute(
        select(fe.c.id).where(
            fe.c.kind == "count_task",
            fe.c.status == "open",
            fe.c.location_id == stop.location_id,
            fe.c.product_id == stop.product_id,
        )
    ).first()
    if already is not None:
        return
    conn.execute(
        fe.insert().values(
            kind="count_task",
            status="open",
            batch_id=stop.batch_id,
            task_id=stop.id,
            product_id=stop.product_id,
            location_id=stop.location_id,
            qty=believed - found,
            message=(
                f"Count {stop.location_code}: {stop.sku} short pick found {found}, "
                f"system said {believed}"
            )[:300],
            user_id=picker.user_id,
            created_at=utcnow(),
            resolution="",
        )
    )


def _route_order(s: Session, geo: Geometry, batch_id: int, start_location: int | None) -> None:
    """The batch's open stops in walking order again, new stops put where they cost least.

    The planned stops keep their order; each new one is inserted into the rest of the walk
    (from where the picker stands, back to the depot) at the cheapest place. Skipped stops
    stay last. Stops done already keep their numbers; the rest are numbered after them.
    """
    conn = s.connection()
    rows = conn.execute(
        select(_PT.c.id, _PT.c.seq, _PT.c.status, Location.x, Location.y, Location.aisle)
        .join(Location, Location.id == _PT.c.location_id)
        .where(_PT.c.batch_id == batch_id, _PT.c.status.in_(OPEN_TASK))
        .order_by(_PT.c.seq, _PT.c.id)
    ).all()
    if not rows:
        return

    def point(r: Any) -> Any:
        return geo.depot if r.aisle is None else Point(r.x, r.y, r.aisle - 1)

    start = geo.depot
    if start_location is None:  # another picker's batch: they stand where they last picked
        start_location = conn.execute(
            select(_PT.c.location_id)
            .where(_PT.c.batch_id == batch_id, _PT.c.picked_at.is_not(None))
            .order_by(_PT.c.picked_at.desc(), _PT.c.id.desc())
            .limit(1)
        ).scalar()
    if start_location is not None:
        loc = conn.execute(
            select(Location.x, Location.y, Location.aisle).where(Location.id == start_location)
        ).one()
        start = point(loc)
    route = [r for r in rows if r.seq > 0 and r.status == "open"]
    for new in (r for r in rows if r.seq == 0):
        stops = [start] + [point(r) for r in route] + [geo.depot]
        p = point(new)
        costs = [
            geo.distance(stops[i], p)
            + geo.distance(p, stops[i + 1])
            - geo.distance(stops[i], stops[i + 1])
            for i in range(len(stops) - 1)
        ]
        route.insert(costs.index(min(costs)), new)
    last = conn.execute(select(func.max(_PT.c.seq)).where(_PT.c.batch_id == batch_id)).scalar()
    ordered = route + [r for r in rows if r.seq > 0 and r.status != "open"]
    for n, r in enumerate(ordered, start=(last or 0) + 1):
        conn.execute(update(_PT).where(_PT.c.id == r.id).values(seq=n))


async def skip(db: Database, task_id: int, picker: Picker) -> dict[str, Any]:
    return await db.run_answer(_viewed, _skip, task_id, picker)


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
    return await db.run_answer(_viewed, _pause, batch_id, picker)


def _pause(s: Session, batch_id: int, picker: Picker) -> int:
    batch = _own_batch(s, batch_id, picker)
    batch.status = "paused"
    s.flush()
    return batch_id


async def resume(db: Database, batch_id: int, picker: Picker) -> dict[str, Any]:
    return await db.run_answer(_viewed, _resume, batch_id, picker)


def _resume(s: Session, batch_id: int, picker: Picker) -> int:
    batch = _own_batch(s, batch_id, picker)
    if batch.status == "paused":
        batch.status = "picking"
    s.flush()
    return batch_id


async def handover(db: Database, batch_id: int, badge: str, picker: Picker) -> dict[str, Any]:
    """Another picker takes the cart over (end of shift): the batch becomes theirs, paused."""
    return await db.run_answer(_viewed, _handover, batch_id, badge, picker)


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
    return await db.run_answer(_viewed, _finish, batch_id, drop, picker)


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


# -- exceptions ---------------------------------------------------------------------------


async def exceptions(db: Database, status: str | None = "open") -> list[dict[str, Any]]:
    return await db.read_run(_exceptions, status)


_RESOLVER = User.__table__.alias("resolver")


def _exceptions(s: Session, status: str | None) -> list[dict[str, Any]]:
    fe = FloorException.__table__
    query = (
        select(fe, Product.sku, Location.code, _RESOLVER.c.username.label("resolver"))
        .outerjoin(Product, Product.id == fe.c.product_id)
        .outerjoin(Location, Location.id == fe.c.location_id)
        .outerjoin(_RESOLVER, _RESOLVER.c.id == fe.c.resolved_by)
        .order_by(fe.c.id)
    )
    if status and status != "all":
        query = query.where(fe.c.status == status)
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "status": e.status,
            "batch_id": e.batch_id,
            "task_id": e.task_id,
            "order_id": e.order_id,
            "sku": e.sku,
            "location": e.code,
            "qty": e.qty,
            "message": e.message,
            "created_at": e.created_at.isoformat(),
            # Who resolved it: a user, or "system" when its cause went away by itself.
            "resolved_by": (e.resolver or "system") if e.status == "resolved" else None,
            "resolved_at": e.resolved_at.isoformat() if e.resolved_at else None,
            "resolution": e.resolution,
        }
        for e in s.connection().execute(query).all()
    ]


async def resolve_exception(
    db: Database, exception_id: int, user_id: int | None = None, note: str = ""
) -> dict[str, Any]:
    return await db.run(_resolve_exception, exception_id, user_id, note)


def _resolve_exception(
    s: Session, exception_id: int, user_id: int | None, note: str
) -> dict[str, Any]:
    e = s.get(FloorException, exception_id)
    if e is None:
        raise NotFound("unknown_exception", "Unknown exception", f"no exception {exception_id}")
    if e.status != "resolved":
        e.status, e.resolved_at, e.resolved_by = "resolved", utcnow(), user_id
        e.resolution = (note or "resolved by hand")[:300]
    return {
        "id": e.id,
        "status": e.status,
        "resolved_at": e.resolved_at.isoformat() if e.resolved_at else None,
        "resolution": e.resolution,
    }


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
        # An order's tote may have been on several carts for it (a follow-up pick after a
        # backorder): it holds what each of them put in.
        slots = [(slot.batch_id, slot.slot)]
        if tote.order_id is not None:
            slots = [
                (b, n)
                for b, n in s.execute(
                    select(PickSlot.batch_id, PickSlot.slot).where(
                        PickSlot.tote == code, PickSlot.order_id == tote.order_id
                    )
                ).all()
            ] or slots
        into = or_(
            *(
                and_(
                    PickTask.batch_id == b,
                    or_(PickTask.slot == n, and_(PickTask.slot.is_(None), n == 1)),
                )
                for b, n in slots
            )
        )
        rows = s.execute(
            select(Product.sku, Product.name, PickTask.lot, func.sum(PickTask.picked))
            .join(Product, Product.id == PickTask.product_id)
            .where(into, PickTask.picked > 0)
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


def add_stops_sync(
    s: Session, geo: Geometry, task_id: int, line_id: int, qty: int
) -> list[tuple[waves.Free, int]]:
    """New stops in the batch of pick task `task_id` for `qty` reserved units of a line, from
    free stock (in route order); units no stock can give are let go (the line waits)."""
    query = select(_PT.c.batch_id, _PT.c.slot, _PT.c.product_id).where(_PT.c.id == task_id)
    t = s.connection().execute(query).one()
    line = s.get(OrderLine, line_id)
    assert line is not None
    free = waves.free_stock_sync(s, [t.product_id]).get(t.product_id, [])
    need = _Need(task_id, t.batch_id, t.slot, line_id, line.order_id, line.sku, qty, False)
    placed = _replan(s, geo, need, free)
    if placed:
        _route_order(s, geo, t.batch_id, None)
    return placed
