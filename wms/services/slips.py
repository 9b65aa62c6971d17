"""Packing slips: what a parcel's slip says (the order, its recipient, the sender), drawn as PDF."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.orm import Session

from printers import Address
from printers.pdf import PackingSlipData, SlipLine, packing_slip_pdf
from wms.carriers import registry
from wms.db import Database, reads
from wms.models import OrderLine, SalesOrder
from wms.models.shipping import Parcel


def recipient(order: SalesOrder) -> Address:
    lines = tuple(x for x in (order.ship_line1, order.ship_line2) if x)
    return Address(
        order.ship_name, lines, order.ship_postal_code, order.ship_city, order.ship_country,
        order.ship_phone, region=order.ship_region,
    )  # fmt: skip


@reads
def slip_data(s: Session, parcel_id: int) -> PackingSlipData:
    """What the parcel's packing slip says."""
    parcel = s.get(Parcel, parcel_id)
    assert parcel is not None
    order = s.get(SalesOrder, parcel.order_id)
    assert order is not None
    by_id = {
        line.id: line for line in s.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
    }
    return PackingSlipData(
        order_ref=order.reference,
        ship_to=recipient(order),
        sender=registry.sender(),
        lines=[
            SlipLine(by_id[int(i)].sku, by_id[int(i)].name, n) for i, n in parcel.contents.items()
        ],
        # An order without a channel date (a CSV import, a manual order) has its own.
        order_date=(order.placed_at or order.created_at).date().isoformat(),
        tracking_number=parcel.tracking or "",
    )


async def draw_slip(db: Database, parcel_id: int) -> bytes:
    """The parcel's packing slip as a PDF, drawn outside any transaction."""
    data = await db.run(slip_data, parcel_id)
    return await asyncio.to_thread(packing_slip_pdf, data)
