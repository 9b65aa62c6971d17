"""Scan-and-ship for single-unit bulk orders: a scanned unit goes to the oldest order waiting.

The label is bought between two short transactions, as a parcel close does
(wms.services.packing_labels).
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.carriers import LabelResult
from wms.db import Database, answers
from wms.errors import NotFound, WmsError
from wms.models import OrderLine, Product, SalesOrder
from wms.models.common import utcnow
from wms.models.shipping import PackSession, Parcel
from wms.services import events
from wms.services import packing_labels as labels
from wms.services import shipping as parcels
from wms.services.orders import lines_of
from wms.services.packing import PACKABLE, finish_order
from wms.services.packing_cartons import suggest_carton
from wms.services.packing_labels import LabelJob
from wms.services.packing_scans import product_for_scan
from wms.services.stations import get_station, read_scale


class ScanShipped(msgspec.Struct):
    """A scanned unit shipped: the order it went to, and its parcel."""

    order_id: int
    reference: str
    parcel: dict[str, Any]


def open_scan_and_ship(
    s: Session, station: str, scan: str, weight_g: int | None, user_id: int | None
) -> LabelJob:
    """Single-unit bulk orders, step 1: the unit goes to the oldest order waiting for it,
    in a labelling parcel (or finishes the one this station left labelling for it)."""
    product, units = product_for_scan(s, scan)
    if units != 1:
        raise WmsError("one_unit_only", "Scan one unit", "scan-and-ship takes single units")
    waiting = _labelling_for(s, station, product)
    if waiting is not None:
        order = s.get(SalesOrder, waiting.order_id)
        assert order is not None
        return labels.label_job(s, order, waiting)
    order, line = _oldest_waiting(s, product)
    session = PackSession(
        order_id=order.id,
        station=station,
        user_id=user_id,
        verified={str(line.id): 1},  # type: ignore[arg-type]
    )
    s.add(session)
    carton = suggest_carton(s, [(product, 1)])
    weight = weight_g or max(1, product.weight_g + carton.tare_g)
    return labels.open_parcel(s, order, {line.id: 1}, carton, weight, station)  # type: ignore[dict-item]


def _labelling_for(s: Session, station: str, product: Product) -> Parcel | None:
    """A scan-and-ship parcel of this product this station left labelling (a cut-short scan)."""
    query = (
        select(Parcel)
        .join(OrderLine, OrderLine.order_id == Parcel.order_id)
        .where(
            Parcel.status == labels.LABELLING,
            Parcel.station == station,
            OrderLine.product_id == product.id,
            OrderLine.qty == 1,
            OrderLine.packed == 0,
        )
        .order_by(Parcel.id)
    )
    for parcel in s.execute(query.limit(20)).scalars():
        if len(lines_of(s, parcel.order_id)) == 1:
            return parcel
    return None


def finish_scan_and_ship(s: Session, job: LabelJob, label: LabelResult) -> ScanShipped:
    """Scan-and-ship, step 3: the label recorded, the order packed."""
    order = s.get(SalesOrder, job.order_id)
    assert order is not None
    session = (
        s.execute(select(PackSession).where(PackSession.order_id == order.id).with_for_update())
    ).scalar_one()
    lines = lines_of(s, job.order_id)
    parcel = labels.record_label(s, job.parcel_id, lines, label)
    if parcel is not None:
        session.status, session.closed_at = "done", utcnow()
        finish_order(s, order)
        events.note(s, "pack", order=order.id)
    else:  # recorded meanwhile by another scan: its answer
        parcel = s.get(Parcel, job.parcel_id)
        assert parcel is not None
    return ScanShipped(
        order_id=order.id,  # type: ignore[arg-type]
        reference=order.reference,
        parcel=parcels.parcel_view(s, parcel),
    )


def _oldest_waiting(s: Session, product: Product) -> tuple[SalesOrder, OrderLine]:
    started = select(PackSession.order_id)
    query = (
        select(SalesOrder, OrderLine)
        .join(OrderLine, OrderLine.order_id == SalesOrder.id)
        .where(
            SalesOrder.status.in_([str(x) for x in PACKABLE]),
            OrderLine.product_id == product.id,
            OrderLine.qty == 1,
            OrderLine.picked == 1,
            OrderLine.packed == 0,
            SalesOrder.id.not_in(started),
        )
        .order_by(SalesOrder.placed_at.is_(None), SalesOrder.placed_at, SalesOrder.id)
    )
    if s.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        # Two packers scanning the same SKU at once must not get the same order.
        query = query.with_for_update(skip_locked=True, of=SalesOrder)
    for order, line in (s.execute(query.limit(20))).all():
        count = len(lines_of(s, order.id))
        if count == 1:
            return order, line
    raise NotFound(
        "no_waiting_order", "No order waits", f"no single-unit order waits for {product.sku}",
        sku=product.sku,
    )  # fmt: skip


@answers
def _scanned_and_shipped(s: Session, job: LabelJob, label: LabelResult) -> ScanShipped:
    return finish_scan_and_ship(s, job, label)


async def scan_and_ship_item(
    db: Database, station: str, scan: str, user_id: int | None
) -> ScanShipped:
    bench = await get_station(db, station)
    weight = await read_scale(bench) if bench.scale_url else None
    job = await db.run(open_scan_and_ship, station, scan, weight, user_id)
    label = await labels.label_for(db, job, with_session=True)
    return await db.run(_scanned_and_shipped, job, label)
