"""Packing at a station: start an order, verify each item, close parcels (label + slip), reprint."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from wms.carriers import LabelResult
from wms.db import Database, answers, reads
from wms.domain.orders import OrderStatus
from wms.domain.scans import classify, looks_like_tote
from wms.errors import Conflict, NotFound, WmsError
from wms.models import CartonType, SalesOrder
from wms.models.common import utcnow
from wms.models.picking import Tote
from wms.models.shipping import PackSession, PackStation, Parcel, PrintJob, Shipment
from wms.services import events
from wms.services import packing_labels as labels
from wms.services import shipping as parcels
from wms.services.orders import lines_of
from wms.services.packing_labels import LabelJob
from wms.services.packing_scans import order_for_scan, product_for_scan
from wms.services.packing_view import PackView, missing_totes, totes_of, view_of
from wms.services.printing import UNKNOWN, job_view
from wms.services.stations import read_scale, station_in

PACKABLE = (OrderStatus.PICKED, OrderStatus.IN_WAVE)


def session_for(s: Session, order_id: int) -> tuple[SalesOrder, PackSession]:
    order = s.get(SalesOrder, order_id)
    if order is None:
        raise NotFound("unknown_order", "Unknown order", f"no order {order_id}")
    # FOR UPDATE: two scans of one order at once (PostgreSQL) must not both count; SQLite
    # already runs one write transaction at a time.
    session = (
        s.execute(select(PackSession).where(PackSession.order_id == order_id).with_for_update())
    ).scalar_one_or_none()
    if session is None or session.status != "packing":
        if order.status == OrderStatus.PACKED or (session and session.status == "done"):
            raise Conflict("already_packed", "Already packed", f"order {order.reference} packed")
        raise Conflict("not_packing", "Scan the order first", f"{order.reference} is not started")
    return order, session


def start(s: Session, station: str, scan: str, user_id: int | None) -> int:
    """The order (by tote or reference) starts packing at `station`; returns its id."""
    station_in(s, station)
    order = order_for_scan(s, scan)
    lines = lines_of(s, order.id)  # type: ignore[arg-type]
    if order.status == OrderStatus.CANCELLED:
        raise Conflict("order_cancelled", "Order cancelled", f"{order.reference} was cancelled")
    if order.status in (OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.DELIVERED,
                        OrderStatus.RETURNED):  # fmt: skip
        raise Conflict("already_packed", "Already packed", f"{order.reference} is {order.status}")
    if order.status not in PACKABLE or any(line.picked < line.qty for line in lines):
        raise Conflict(
            "not_picked", "Not picked yet", f"{order.reference} is {order.status}, not all picked"
        )
    session = (
        s.execute(select(PackSession).where(PackSession.order_id == order.id))
    ).scalar_one_or_none()
    if session is None:
        session = PackSession(order_id=order.id, station=station, user_id=user_id)  # type: ignore[arg-type]
        s.add(session)
    else:  # taken over at another bench, or another of its totes: what was verified stays
        session.station, session.user_id = station, user_id
    _tote_arrived(session, scan)
    s.flush()
    return order.id  # type: ignore[return-value]


def _tote_arrived(session: PackSession, scan: str) -> bool:
    """A tote scanned at the bench is here; True when the scan was a tote."""
    code = classify(scan).text.upper()
    if not looks_like_tote(code):
        return False
    if code not in session.totes:
        session.totes = [*session.totes, code]  # a new list, so the JSON column is written
    return True


def verify(s: Session, order_id: int, scan: str) -> None:
    order, session = session_for(s, order_id)
    text = classify(scan).text.upper()
    if looks_like_tote(text):  # another tote of the order arrives at the bench
        tote = s.get(Tote, text)
        if tote is None or tote.order_id != order.id:
            raise WmsError(
                "wrong_tote", "Tote not this order", f"tote {text} is not {order.reference}'s",
                expected=missing_totes(totes_of(s, order_id, session.totes)),
            )  # fmt: skip
        _tote_arrived(session, text)
        return
    product, units = product_for_scan(s, scan)
    lines = lines_of(s, order_id)
    verified = dict(session.verified)
    mine = [line for line in lines if line.product_id == product.id]
    if not mine:
        raise WmsError(
            "not_in_order",
            "Not in this order",
            f"{product.sku} is not in order {order.reference}",
            sku=product.sku,
            expected=[ln.sku for ln in lines if verified.get(str(ln.id), 0) < ln.picked],
        )
    room = sum(line.picked - verified.get(str(line.id), 0) for line in mine)
    if units > room:
        if units > 1:  # an inner pack or case: it counts all its units, or none of them
            raise WmsError(
                "pack_exceeds_qty", "Pack too big",
                f"the pack holds {units}, {room} of {product.sku} left: scan a unit",
                sku=product.sku, pack_qty=units, expected=room,
            )  # fmt: skip
        raise WmsError(
            "too_many", "One too many", f"all {product.sku} of {order.reference} verified",
            sku=product.sku,
        )  # fmt: skip
    left = units
    for line in mine:  # one product on two lines: fill them in order
        have = verified.get(str(line.id), 0)
        k = min(left, line.picked - have)
        if k > 0:
            verified[str(line.id)] = have + k
            left -= k
    session.verified = verified  # a new dict, so the JSON column is written


def open_close(
    s: Session,
    order_id: int,
    carton_code: str,
    weight_g: int,
    user_id: int | None,
) -> LabelJob:
    """Step 1 of a close: a labelling parcel of what was verified and not yet packed.

    A parcel left labelling by a close cut short is finished first (its contents stay).
    """
    order, session = session_for(s, order_id)
    lines = lines_of(s, order_id)
    contents = {
        line.id: session.verified.get(str(line.id), 0) - line.packed
        for line in lines
        if session.verified.get(str(line.id), 0) > line.packed
    }
    waiting = labels.labelling_parcel(s, order_id)
    if waiting is not None:
        return labels.label_job(s, order, waiting)
    if not contents:
        raise Conflict("nothing_verified", "Scan items first", "no verified item to pack")
    missing = missing_totes(totes_of(s, order_id, session.totes))
    if missing:
        also = ", ".join(missing)
        raise Conflict(
            "totes_missing", "Scan every tote", f"{order.reference} is also in {also}",
            expected=missing,
        )  # fmt: skip
    carton = s.get(CartonType, carton_code)
    if carton is None:
        raise NotFound("unknown_carton", "Unknown carton", f"no carton {carton_code!r}")
    return labels.open_parcel(s, order, contents, carton, weight_g, session.station)  # type: ignore[arg-type]


def finish_close(s: Session, job: LabelJob, label: LabelResult) -> int:
    """Step 3 of a close: the label recorded, the units packed; the order packed when done."""
    order, session = session_for(s, job.order_id)
    lines = lines_of(s, job.order_id)
    parcel = labels.record_label(s, job.parcel_id, lines, label)
    if parcel is None:  # another close of the order recorded it meanwhile
        return job.parcel_id
    events.note(s, "pack", order=job.order_id)
    if all(line.packed >= line.qty for line in lines):
        session.status, session.closed_at = "done", utcnow()
        finish_order(s, order)
    return job.parcel_id


def finish_order(s: Session, order: SalesOrder) -> None:
    """The order packed: its shipment packed, its totes freed."""
    order.status, order.updated_at = OrderStatus.PACKED, utcnow()
    conn = s.connection()  # Core: an ORM query here would flush the whole parcel first
    conn.execute(_SHIPMENT_PACKED, {"order": order.id})
    # The order's totes go back into circulation (the picking model frees them at packing).
    conn.execute(_TOTES_FREED, {"order": order.id, "now": utcnow()})


_SHIPMENT_PACKED = (
    update(Shipment).where(Shipment.order_id == bindparam("order")).values(status="packed")
)
_TOTES_FREED = (
    update(Tote)
    .where(Tote.order_id == bindparam("order"))
    .values(order_id=None, batch_id=None, updated_at=bindparam("now"))
)


def reprint(s: Session, parcel_id: int, label_missing: bool = False) -> tuple[PrintJob, bool]:
    """A new label job for the parcel, or the one still waiting (so it never prints twice).

    A label whose printing was cut short (`unknown`) may be on the printer already: it is
    printed again only once someone there says it did not come out (`label_missing`).
    """
    parcel = s.get(Parcel, parcel_id)
    if parcel is None:
        raise NotFound("unknown_parcel", "Unknown parcel", f"no parcel {parcel_id}")
    current = s.get(PrintJob, parcel.label_job_id) if parcel.label_job_id else None
    if current is None:
        raise Conflict("no_label", "Parcel has no label", f"parcel {parcel_id} was not labelled")
    if current.status in ("queued", "printing"):
        return current, False
    if current.status == UNKNOWN:
        if not label_missing:
            raise Conflict(
                "label_may_have_printed",
                "Label out? Check",
                f"the last label of parcel {parcel_id} may have printed: look at the printer; "
                "reprint with label_missing=true only if it did not come out",
                job=current.id,
            )
        current.status, current.error = "failed", "did not come out (checked at the printer)"
    job = parcels.queue_label_again(s, parcel, current)
    return job, True


# -- transactions (what the API calls) ---------------------------------------------------
# Each write ends in one `@answers` transaction: the screen the packer sees is read in the same
# transaction and kept there as the request's answer, so a crash after the commit cannot
# leave the change made and its answer lost (a retry gets it).


class ParcelClosed(msgspec.Struct):
    """A parcel closed: the parcel (wms.services.shipping's view) and the packer's screen."""

    parcel: dict[str, Any]
    view: PackView


@answers
def _started(s: Session, station: str, scan: str, user_id: int | None) -> PackView:
    order_id = start(s, station, scan, user_id)
    s.flush()  # the view reads with Core statements
    return view_of(s, order_id)


@answers
def _verified(s: Session, order_id: int, scan: str) -> PackView:
    verify(s, order_id, scan)
    s.flush()
    return view_of(s, order_id)


async def start_order(db: Database, station: str, scan: str, user_id: int | None) -> PackView:
    return await db.run(_started, station, scan, user_id)


async def verify_item(db: Database, order_id: int, scan: str) -> PackView:
    return await db.run(_verified, order_id, scan)


async def close_parcel_weighed(
    db: Database, order_id: int, carton: str, weight_g: int | None, user_id: int | None
) -> ParcelClosed:
    """Close a parcel; no weight means the station's scale (read before the transaction).

    Three steps (wms.services.packing_labels): the parcel opened labelling, the carrier's
    label bought outside any transaction, then the label recorded with the answer. The
    packing slip is queued with the label and drawn by the print dispatcher.
    """
    if weight_g is None:
        station = await db.run(_station_packing, order_id)
        weight_g = await read_scale(station)
    job = await db.run(open_close, order_id, carton, weight_g, user_id)
    label = await labels.label_for(db, job)
    return await db.run(_closed, job, label)


@answers
def _closed(s: Session, job: LabelJob, label: LabelResult) -> ParcelClosed:
    parcel_id = finish_close(s, job, label)
    s.flush()
    parcel = s.get(Parcel, parcel_id)
    assert parcel is not None
    return ParcelClosed(parcel=parcels.parcel_view(s, parcel), view=view_of(s, job.order_id))


@reads
def _station_packing(s: Session, order_id: int) -> PackStation:
    _, session = session_for(s, order_id)
    return station_in(s, session.station)


async def reprint_label(
    db: Database, parcel_id: int, label_missing: bool = False
) -> tuple[dict[str, Any], bool]:
    job, created = await db.run(reprint, parcel_id, label_missing)
    return job_view(job), created
