"""Parcels (views, reprints; labels: packing_labels), handover on a manifest, tracking pushes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from wms.carriers import adapter_for
from wms.channels.adapter import TrackingPush
from wms.channels.registry import adapter_for as channel_adapter
from wms.db import Database, reads
from wms.domain.orders import OrderStatus
from wms.domain.scans import classify
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Channel, Location, OrderLine, SalesOrder
from wms.models.common import utcnow
from wms.models.shipping import Manifest, Parcel, PrintJob, Shipment
from wms.reports import margin_work_sql
from wms.services import (
    backorder_history,
    backorders,
    channels,
    events,
    outbox_rows,
    printing,
    tracking,
)
from wms.services.outbox_handlers import handles
from wms.services.stations import station_in

if TYPE_CHECKING:
    from wms.services.outbox import OutboxWorker


# -- stock ------------------------------------------------------------------------------------
# Picking takes units out of stock when they go into the tote (wms.services.picking: a
# `pick` move with no target), so packing and handover move no stock: the ledger already
# says they left the shelf. Returns bring units back in (wms.services.returns).


def location_named(s: Session, code: str) -> Location:
    loc = (s.execute(select(Location).where(Location.code == code))).scalar_one_or_none()
    if loc is None:
        raise NotFound("unknown_location", "Unknown location", f"no location {code!r}")
    return loc


# -- parcels --------------------------------------------------------------------------------


def queue_label_again(s: Session, parcel: Parcel, previous: PrintJob) -> PrintJob:
    station = station_in(s, parcel.station)
    parcel.label_job_id = printing.enqueue(
        s, printer_url=station.label_printer_url, kind="label", payload=previous.payload,
        content_type=previous.content_type, ref=f"reprint {previous.ref}"[:120],
        station=station.code, parcel_id=parcel.id, reprint_of=previous.id,
    )  # fmt: skip
    job = s.get(PrintJob, parcel.label_job_id)
    assert job is not None
    return job


# Columns, not ORM entities: the packer's screen shows the order's parcels after every scan.
_PARCEL_COLUMNS = select(
    Parcel.id, Parcel.number, Parcel.order_id, Parcel.carton, Parcel.weight_g, Parcel.carrier,
    Parcel.tracking, Parcel.sscc, Parcel.label_job_id, Parcel.slip_job_id, Parcel.status,
)  # fmt: skip
_PARCEL = _PARCEL_COLUMNS.where(Parcel.id == bindparam("parcel"))
_PARCELS = _PARCEL_COLUMNS.where(Parcel.order_id == bindparam("order")).order_by(Parcel.number)
_JOBS = select(
    PrintJob.id, PrintJob.status, PrintJob.printer_url, PrintJob.error, PrintJob.kind,
    PrintJob.ref, PrintJob.attempts, PrintJob.reprint_of,
).where(PrintJob.id.in_(bindparam("ids", expanding=True)))  # fmt: skip


def parcel_view(s: Session, parcel: Parcel) -> dict[str, Any]:
    return _parcel_views(s, _PARCEL, {"parcel": parcel.id})[0]


def parcels_of(s: Session, order_id: int) -> list[dict[str, Any]]:
    return _parcel_views(s, _PARCELS, {"order": order_id})


def _parcel_views(s: Session, query: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    rows = s.execute(query, params).all()
    ids = [r.label_job_id for r in rows if r.label_job_id]
    jobs = {job.id: printing.job_view(job) for job in s.execute(_JOBS, {"ids": ids})} if ids else {}
    return [
        {
            "id": r.id,
            "number": r.number,
            "order_id": r.order_id,
            "carton": r.carton,
            "weight_g": r.weight_g,
            "carrier": r.carrier,
            "tracking": r.tracking,
            "sscc": r.sscc,
            "label_job": jobs.get(r.label_job_id),
            "slip_job_id": r.slip_job_id,
            "status": r.status,
        }
        for r in rows
    ]


def parcel_for_scan(s: Session, raw: str) -> Parcel:
    """A parcel by its SSCC (plain or as GS1 (00)) or its tracking number."""
    scan = classify(raw)
    if scan.bad_check_digit:
        raise WmsError("bad_check_digit", "Bad check digit", f"{scan.text!r}: rescan")
    where = Parcel.sscc == scan.sscc if scan.sscc else Parcel.tracking == scan.text.upper()
    # Locked: the same parcel scanned twice at once (PostgreSQL) is handed over once.
    parcel = (s.execute(select(Parcel).where(where).with_for_update())).scalar_one_or_none()
    if parcel is None:
        raise NotFound("unknown_parcel", "Unknown parcel", f"no parcel {scan.text!r}")
    return parcel


# -- handover ----------------------------------------------------------------------------------


def open_manifest(s: Session, carrier: str, user_id: int | None) -> Manifest:
    manifest = Manifest(carrier=adapter_for(carrier).code, user_id=user_id)
    s.add(manifest)
    s.flush()
    return manifest


def manifest_in(s: Session, manifest_id: int) -> Manifest:
    manifest = s.get(Manifest, manifest_id)
    if manifest is None:
        raise NotFound("unknown_manifest", "Unknown manifest", f"no manifest {manifest_id}")
    return manifest


def hand_over(
    s: Session, manifest_id: int, scan: str, user_id: int | None
) -> tuple[Manifest, Parcel]:
    """Scan a parcel onto the manifest: it leaves the stock; the last one ships the order."""
    manifest = manifest_in(s, manifest_id)
    if manifest.status != "open":
        raise Conflict("manifest_closed", "Manifest closed", f"manifest {manifest_id} is closed")
    parcel = parcel_for_scan(s, scan)
    if parcel.status == "shipped":
        raise Conflict("already_shipped", "Already handed over", f"parcel {parcel.tracking}")
    if parcel.carrier != manifest.carrier:
        raise Conflict(
            "wrong_carrier", "Other carrier", f"parcel is {parcel.carrier}", expected=parcel.carrier
        )
    order = s.get(SalesOrder, parcel.order_id)
    assert order is not None
    if order.status != OrderStatus.PACKED:
        raise Conflict("order_not_packed", "Order not packed yet", f"{order.reference} packing")
    parcel.status, parcel.manifest_id, parcel.shipped_at = "shipped", manifest.id, utcnow()
    events.note(s, "ship", order=order.id)
    tracking.start(s, parcel, parcel.shipped_at)
    s.flush()
    left = (
        s.execute(
            select(func.count()).where(Parcel.order_id == order.id, Parcel.status != "shipped")
        )
    ).scalar()
    if not left:
        _ship(s, order)
        backorders.resolve_order(s, order.id, "order shipped", user_id)
        backorder_history.note(s, [order.id])  # type: ignore[list-item]
        margin_work_sql.keep(s.connection(), [order.id])  # type: ignore[list-item]
    return manifest, parcel


def _ship(s: Session, order: SalesOrder) -> None:
    order.status, order.updated_at = OrderStatus.SHIPPED, utcnow()
    shipment = (s.execute(select(Shipment).where(Shipment.order_id == order.id))).scalar_one()
    shipment.status, shipment.shipped_at = "shipped", utcnow()
    first = (
        (s.execute(select(Parcel).where(Parcel.order_id == order.id).order_by(Parcel.number)))
        .scalars()
        .first()
    )
    channel = s.get(Channel, order.channel_id)
    assert first is not None and channel is not None
    lines = (s.execute(select(OrderLine).where(OrderLine.order_id == order.id))).scalars()
    refs = [ref for line in lines for ref in line.external_line_ids.split(",") if ref]
    adapter = adapter_for(shipment.carrier)
    outbox_rows.add(
        s,
        [
            {
                "kind": "tracking_push",
                "channel_id": channel.id,
                "dedupe_key": f"tracking:{order.id}",
                "payload": {
                    "channel": channel.code,
                    "order_external_id": order.external_id,
                    "tracking": first.tracking,
                    "carrier": adapter.channel_carrier(channel.kind),
                    "line_refs": refs,
                    "tracking_url": first.tracking_url,  # from the carrier's answer
                },
            }
        ],
    )


def close_manifest(s: Session, manifest_id: int) -> Manifest:
    manifest = manifest_in(s, manifest_id)
    if manifest.status == "open":
        manifest.status, manifest.closed_at = "closed", utcnow()
    return manifest


def manifest_view(s: Session, manifest: Manifest) -> dict[str, Any]:
    rows = (
        s.execute(select(Parcel).where(Parcel.manifest_id == manifest.id).order_by(Parcel.id))
    ).scalars()
    parcels = [
        {"id": p.id, "order_id": p.order_id, "tracking": p.tracking, "sscc": p.sscc} for p in rows
    ]
    return {
        "id": manifest.id,
        "carrier": manifest.carrier,
        "status": manifest.status,
        "parcels": parcels,
        "count": len(parcels),
    }


# -- outbox handler ----------------------------------------------------------------------------


@handles("tracking_push")
async def deliver_tracking_push(
    worker: OutboxWorker, payload: dict[str, Any], event_id: str
) -> None:
    """Outbox handler for ``tracking_push`` rows: the channel's adapter tells it, off any
    transaction (and asks the channel first for what it needs, e.g. Shopify's
    fulfillment orders)."""
    _, config = await channels.config_for(worker.db, payload["channel"])
    push = TrackingPush(
        payload["order_external_id"], payload["tracking"], payload["carrier"],
        tuple(payload.get("line_refs", [])), payload.get("tracking_url", ""),
    )  # fmt: skip
    await channel_adapter(config.kind).push_tracking(config, push, event_id, worker.http)


# -- transactions (what the API calls) ---------------------------------------------------------


def _opened(s: Session, carrier: str, user_id: int | None) -> dict[str, Any]:
    return manifest_view(s, open_manifest(s, carrier, user_id))


@reads
def _manifest(s: Session, manifest_id: int) -> dict[str, Any]:
    return manifest_view(s, manifest_in(s, manifest_id))


def _scanned_on(s: Session, manifest_id: int, scan: str, user_id: int | None) -> dict[str, Any]:
    manifest, parcel = hand_over(s, manifest_id, scan, user_id)
    order = s.get(SalesOrder, parcel.order_id)
    return {
        "parcel": parcel_view(s, parcel),
        "order_status": order.status if order else None,
        "manifest": manifest_view(s, manifest),
    }


def _closed(s: Session, manifest_id: int) -> dict[str, Any]:
    return manifest_view(s, close_manifest(s, manifest_id))


@reads
def _parcel(s: Session, parcel_id: int) -> dict[str, Any]:
    parcel = s.get(Parcel, parcel_id)
    if parcel is None:
        raise NotFound("unknown_parcel", "Unknown parcel", f"no parcel {parcel_id}")
    return parcel_view(s, parcel)


async def open_manifest_for(db: Database, carrier: str, user_id: int | None) -> dict[str, Any]:
    return await db.run(_opened, carrier, user_id)


async def get_manifest(db: Database, manifest_id: int) -> dict[str, Any]:
    return await db.run(_manifest, manifest_id)


async def scan_onto_manifest(
    db: Database, manifest_id: int, scan: str, user_id: int | None
) -> dict[str, Any]:
    return await db.run(_scanned_on, manifest_id, scan, user_id)


async def close_manifest_by_id(db: Database, manifest_id: int) -> dict[str, Any]:
    return await db.run(_closed, manifest_id)


async def get_parcel(db: Database, parcel_id: int) -> dict[str, Any]:
    return await db.run(_parcel, parcel_id)
