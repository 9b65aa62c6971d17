"""The checks every picking call makes before it changes anything, and the shared tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session

from wms.domain import scans
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Barcode, Location, OrderLine, Product, Stock
from wms.models.picking import (
    PickBatch,
    PickSlot,
    PickTask,
    PickTaskLine,
)

ACTIVE = ("assigned", "picking", "paused")
OPEN_TASK = ("open", "skipped")
PB = PickBatch.__table__
PT = PickTask.__table__
PTL = PickTaskLine.__table__
OL = OrderLine.__table__


@dataclass(frozen=True)
class Picker:
    user_id: int
    role: str


def wrong(code: str, title: str, expected: Any, detail: str = "", **extra: Any) -> WmsError:
    """A wrong scan: 422 with what the screen should show instead."""
    return WmsError(code, title, detail or title, expected=expected, **extra)


def current_batch(s: Session, user_id: int) -> int | None:
    return (
        s.execute(
            select(PickBatch.id)
            .where(PickBatch.picker_id == user_id, PickBatch.status.in_(ACTIVE))
            .order_by(PickBatch.id)
            .limit(1)
        )
    ).scalar()


def own_batch(s: Session, batch_id: int, picker: Picker) -> PickBatch:
    batch = s.get(PickBatch, batch_id)
    if batch is None:
        raise NotFound("unknown_batch", "Unknown batch", f"no batch {batch_id}")
    check_owner(batch_id, batch.picker_id, batch.status, picker)
    return batch


def check_owner(batch_id: int, picker_id: int | None, status: str, picker: Picker) -> None:
    if picker_id != picker.user_id:
        raise Conflict("not_your_batch", "Not your batch", f"batch {batch_id} is someone else's")
    if status not in ACTIVE:
        raise Conflict("batch_closed", "Batch is " + status, f"batch {batch_id}")


def check_open(task_id: int, task_status: str, batch_status: str) -> None:
    if batch_status == "paused":
        raise Conflict("batch_paused", "Batch is paused", "resume the batch first")
    if task_status not in OPEN_TASK:
        raise Conflict("task_done", "Stop already done", f"task {task_id} is {task_status}")


def own_task(s: Session, task_id: int, picker: Picker) -> tuple[PickTask, PickBatch]:
    task = s.get(PickTask, task_id)
    if task is None:
        raise NotFound("unknown_task", "Unknown task", f"no pick task {task_id}")
    batch = own_batch(s, task.batch_id, picker)
    check_open(task_id, task.status, batch.status)
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


def load_stop(s: Session, task_id: int) -> Any:
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


def check_item(s: Session, stop: Any, raw: str, lot: str | None = None) -> int:
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
        raise wrong("wrong_item", "Wrong item", stop.sku, f"expected {stop.sku}")
    chosen = (lot or "").strip().upper() or None
    if scan.lot and chosen and scan.lot.upper() != chosen:
        raise wrong("wrong_lot", "Wrong lot", stop.lot or None, "the scan names another lot")
    given = scan.lot or chosen
    units = int(pack) * (scan.count or 1)
    if not stop.lot:
        return units
    if given is None:
        here = s.connection().execute(
            _LOTS_AT, {"product_id": stop.product_id, "location_id": stop.location_id}
        )
        if set(here.scalars()) != {stop.lot}:
            raise wrong("lot_required", "Scan the lot", stop.lot, f"lot {stop.lot} needed")
    elif given.upper() != stop.lot.upper():
        raise wrong("wrong_lot", "Wrong lot", stop.lot, f"expected lot {stop.lot}")
    return units


def units_for(qty: int | None, pack: int, remaining: int) -> int:
    """Units a confirm takes: `qty` (whole packs when a pack was scanned), else one scan's."""
    units = pack if qty is None else qty
    if pack > 1:
        if units % pack:
            raise wrong(
                "not_whole_packs", "Whole packs only", pack, f"a pack holds {pack}; {units} asked"
            )
        if units > remaining:
            raise wrong(
                "pack_exceeds_qty",
                "Pack too big",
                remaining,
                f"the pack holds {pack}, {remaining} left at this stop: scan a unit",
                pack_qty=pack,
            )
    if units < 1 or units > remaining:
        raise wrong("too_many", "Too many", remaining, f"{remaining} left at this stop")
    return units


def check_tote(stop: Any, raw: str | None) -> str:
    expected: str | None = stop.tote
    if expected is None:
        raise wrong("wrong_tote", "Bind a tote first", None, "no tote is bound to this slot")
    if (raw or "").strip().upper() != expected.upper():
        raise wrong("wrong_tote", "Wrong tote", expected, f"expected tote {expected}")
    return expected


LINKS = (
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
