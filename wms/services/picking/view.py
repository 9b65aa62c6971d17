"""The picker's screen: a batch's slots and totes, every stop in walk order (typed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from wms.db import answers, reads
from wms.errors import NotFound
from wms.models import Barcode, Location, Product, SalesOrder, Stock, User
from wms.models.picking import (
    PickBatch,
    PickSlot,
    PickTask,
    Tote,
)
from wms.services.picking.guards import OPEN_TASK

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


class LotHere(msgspec.Struct):
    """A lot the stop's location holds of its product (soonest expiry first)."""

    lot: str
    expiry: str | None
    on_hand: int


class Stop(msgspec.Struct):
    """A stop of the walk: where, what (and the barcodes proving it), how many, which tote."""

    task_id: int
    seq: int
    location: str
    check_code: str
    sku: str
    name: str
    barcodes: list[str]
    packs: dict[str, int]  # a pack's or case's barcode → the units it holds
    lot: str | None
    lots: list[LotHere]
    qty: int
    picked: int
    slot: int | None
    tote: str | None
    order_id: int | None
    status: str


class Slot(msgspec.Struct):
    """A cart slot: its order, its tote, and where to fetch the order's earlier tote from."""

    slot: int
    order_id: int | None
    order_ref: str | None
    tote: str | None
    fetch_from: str | None


class BatchView(msgspec.Struct):
    """The picker's screen: the answer of every picking call."""

    id: int
    wave_id: int
    kind: str
    status: str
    picker: str | None
    slots: list[Slot]
    stops: list[Stop]
    next_task_id: int | None
    drop_location: str | None
    drop_check_code: str | None
    distance_m: float


def screen(write: Callable[..., int]) -> Callable[..., BatchView]:
    """A write that names a batch, then the screen read in the same transaction.

    The screen is the request's answer (`@answers`): kept with the change it shows, so a
    crash between commit and answer cannot lose it.
    """

    @answers
    def answered(s: Session, *args: Any, **kwargs: Any) -> BatchView:
        batch_id = write(s, *args, **kwargs)
        s.flush()  # the view reads with Core statements: the ORM's changes must be there
        return batch_view(s, batch_id)

    answered.__name__ = answered.__qualname__ = f"{write.__name__.lstrip('_')}_screen"
    return answered


@reads
def batch_view(s: Session, batch_id: int) -> BatchView:
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
            Stop(
                task_id=r.id,
                seq=r.seq,
                location=r.code,
                check_code=r.check_code,
                sku=r.sku,
                name=r.name,
                barcodes=codes.get(r.product_id, []),
                packs=packs.get(r.product_id, {}),
                lot=r.lot or None,
                lots=lots.get((r.product_id, r.location_id), []) if r.lot else [],
                qty=r.qty,
                picked=r.picked,
                slot=r.slot,
                tote=slot.tote if slot else None,
                order_id=slot.order_id if slot else None,
                status=r.status,
            )
        )
    filled = {st.slot or 1 for st in stops if st.picked}
    return BatchView(
        id=batch.id,
        wave_id=batch.wave_id,
        kind=batch.kind,
        status=batch.status,
        picker=batch.username,
        slots=[
            Slot(
                slot=x.slot,
                order_id=x.order_id,
                order_ref=x.reference,
                tote=x.tote,
                # The order's tote from an earlier batch waits there: take it onto the cart.
                fetch_from=x.tote_at if x.slot not in filled else None,
            )
            for x in slots
        ],
        stops=stops,
        next_task_id=next((st.task_id for st in stops if st.status in OPEN_TASK), None),
        drop_location=batch.code,
        drop_check_code=batch.drop_check_code,
        distance_m=batch.distance_m,
    )


def _lots_here(conn: Any, rows: list[Any]) -> dict[tuple[int, int], list[LotHere]]:
    """(product, location) → the lots there with stock, soonest expiry first."""
    if not rows:
        return {}
    params = {
        "ids": sorted({r.product_id for r in rows}),
        "locs": sorted({r.location_id for r in rows}),
    }
    found: dict[tuple[int, int], list[LotHere]] = {}
    for x in conn.execute(_LOTS_HERE, params):
        expiry = x.expiry.isoformat() if x.expiry else None
        found.setdefault((x.product_id, x.location_id), []).append(
            LotHere(lot=x.lot, expiry=expiry, on_hand=x.on_hand)
        )
    return found
