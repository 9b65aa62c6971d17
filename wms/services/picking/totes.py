"""What a tote holds: its order and the units picked into it, and where it stands."""

from __future__ import annotations

import msgspec
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from wms.db import reads
from wms.errors import NotFound
from wms.models import Location, Product
from wms.models.picking import (
    PickSlot,
    PickTask,
    Tote,
)


class ToteItem(msgspec.Struct):
    sku: str
    name: str
    lot: str | None
    qty: int


class ToteContents(msgspec.Struct):
    """A tote: its order (or a bulk batch's units), what was picked into it, where it is."""

    tote: str
    order_id: int | None
    batch_id: int | None
    location: str | None
    items: list[ToteItem]


@reads
def tote_contents(s: Session, code: str) -> ToteContents:
    tote = s.get(Tote, code)
    if tote is None:
        raise NotFound("unknown_tote", "Unknown tote", f"no tote {code}")
    slot = (
        s.execute(
            select(PickSlot).where(PickSlot.tote == code).order_by(PickSlot.id.desc()).limit(1)
        )
    ).scalar_one_or_none()
    items: list[ToteItem] = []
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
            ToteItem(sku=sku, name=name, lot=lot or None, qty=qty) for sku, name, lot, qty in rows
        ]
    loc = s.get(Location, tote.location_id) if tote.location_id else None
    return ToteContents(
        tote=code,
        order_id=tote.order_id,
        batch_id=slot.batch_id if slot else None,
        location=loc.code if loc else None,
        items=items,
    )
