"""Parcels (carrier label, SSCC, print jobs), handover on a carrier manifest, tracking pushes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from printers import Address
from printers.pdf import PackingSlipData, SlipLine, packing_slip_pdf
from wms.carriers import LabelRequest, adapter_for, registry
from wms.channels.pushes import build_tracking_push
from wms.channels.shopify_fulfillment import (
    build_fulfillment_orders_request,
    fulfillable_order_ids,
)
from wms.db import Database
from wms.domain.orders import ChannelKind, OrderStatus
from wms.domain.scans import classify
from wms.errors import Conflict, NotFound, WmsError
from wms.models import CartonType, Channel, Location, OrderLine, SalesOrder
from wms.models.common import utcnow
from wms.models.shipping import Manifest, Parcel, PrintJob, Shipment
from wms.services import backorders, channels, events, money_facts, outbox_rows, printing, tracking
from wms.services.stations import station_in_sync

if TYPE_CHECKING:
    from wms.services.outbox import OutboxWorker


# -- stock ------------------------------------------------------------------------------------
# Picking takes units out of stock when they go into the tote (wms.services.picking: a
# `pick` move with no target), so packing and handover move no stock: the ledger already
# says they left the shelf. Returns bring units back in (wms.services.returns).


async def location_named(s: AsyncSession, code: str) -> Location:
    loc = (await s.execute(select(Location).where(Location.code == code))).scalar_one_or_none()
    if loc is None:
        raise NotFound("unknown_location", "Unknown location", f"no location {code!r}")
    return loc


# -- parcels --------------------------------------------------------------------------------


def recipient(order: SalesOrder) -> Address:
    lines = tuple(x for x in (order.ship_line1, order.ship_line2) if x)
    return Address(
        order.ship_name, lines, order.ship_postal_code, order.ship_city, order.ship_country,
        order.ship_phone, region=order.ship_region,
    )  # fmt: skip


def close(
    s: Session,
    order: SalesOrder,
    lines: list[OrderLine],
    contents: dict[int, int],
    carton: CartonType,
    weight_g: int,
    station_code: str,
    user_id: int | None,
) -> Parcel:
    """One parcel: label from the carrier, its units counted as packed, the label queued.

    The packing slip is queued here but drawn by the print dispatcher when it delivers
    the job (`draw_slip`): the packer waits for the label, not for the PDF.
    """
    if weight_g > carton.max_weight_g:
        raise WmsError(
            "too_heavy", "Too heavy for carton", f"{weight_g} g > {carton.max_weight_g} g"
        )
    station = station_in_sync(s, station_code)
    shipment = (
        s.execute(select(Shipment).where(Shipment.order_id == order.id))
    ).scalar_one_or_none()
    adapter = adapter_for(order.carrier)
    if shipment is None:
        shipment = Shipment(order_id=order.id, carrier=adapter.code, service=order.service)  # type: ignore[arg-type]
        s.add(shipment)
        s.flush()
    count = (s.execute(select(func.count()).where(Parcel.order_id == order.id))).scalar() or 0
    parcel = Parcel(
        shipment_id=shipment.id,  # type: ignore[arg-type]
        order_id=order.id,  # type: ignore[arg-type]
        number=count + 1,
        station=station.code,
        carton=carton.code,
        weight_g=weight_g,
        carrier=adapter.code,
        service=order.service,
        contents={str(k): v for k, v in contents.items()},
    )
    s.add(parcel)
    s.flush()
    try:
        label = adapter.create_label(
            LabelRequest(
                parcel_id=parcel.id,  # type: ignore[arg-type]
                order_ref=order.reference,
                sender=registry.sender(),
                recipient=recipient(order),
                service=order.service,
                weight_g=weight_g,
                length_mm=carton.length_mm,
                width_mm=carton.width_mm,
                height_mm=carton.height_mm,
                parcel_index=parcel.number,
                parcel_count=parcel.number,
                dpi=station.label_dpi,
            )
        )
    except (KeyError, ValueError) as exc:
        raise WmsError("bad_address", "Address incomplete", f"cannot label: {exc}") from exc
    parcel.tracking, parcel.sscc = label.tracking, label.sscc
    parcel.tracking_url = label.tracking_url[:300]
    by_id = {line.id: line for line in lines}
    ref = f"order {order.reference} parcel {parcel.number}"
    for line_id, n in contents.items():
        by_id[line_id].packed += n
    money_facts.record_parcel(
        s, order.id, contents, carton.cost, label.rate, shipping_currency=label.rate_currency,  # type: ignore[arg-type]
    )  # fmt: skip
    parcel.label_job_id = printing.enqueue(
        s, printer_url=station.label_printer_url, kind="label", payload=label.label_zpl,
        content_type="application/zpl", ref=f"{ref} label", station=station.code,
        parcel_id=parcel.id,
    )  # fmt: skip
    if station.document_printer_url:
        parcel.slip_job_id = printing.enqueue(
            s, printer_url=station.document_printer_url, kind="document", payload=b"",
            content_type="application/pdf", ref=f"{ref} slip", station=station.code,
            parcel_id=parcel.id,
        )  # fmt: skip
    s.flush()
    return parcel


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
    data = await db.read_run(slip_data, parcel_id)
    return await asyncio.to_thread(packing_slip_pdf, data)


def queue_label_again(s: Session, parcel: Parcel, previous: PrintJob) -> PrintJob:
    station = station_in_sync(s, parcel.station)
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


async def parcel_for_scan(s: AsyncSession, raw: str) -> Parcel:
    """A parcel by its SSCC (plain or as GS1 (00)) or its tracking number."""
    scan = classify(raw)
    if scan.bad_check_digit:
        raise WmsError("bad_check_digit", "Bad check digit", f"{scan.text!r}: rescan")
    where = Parcel.sscc == scan.sscc if scan.sscc else Parcel.tracking == scan.text.upper()
    # Locked: the same parcel scanned twice at once (PostgreSQL) is handed over once.
    parcel = (await s.execute(select(Parcel).where(where).with_for_update())).scalar_one_or_none()
    if parcel is None:
        raise NotFound("unknown_parcel", "Unknown parcel", f"no parcel {scan.text!r}")
    return parcel


# -- handover ----------------------------------------------------------------------------------


async def open_manifest(s: AsyncSession, carrier: str, user_id: int | None) -> Manifest:
    manifest = Manifest(carrier=adapter_for(carrier).code, user_id=user_id)
    s.add(manifest)
    await s.flush()
    return manifest


async def manifest_in(s: AsyncSession, manifest_id: int) -> Manifest:
    manifest = await s.get(Manifest, manifest_id)
    if manifest is None:
        raise NotFound("unknown_manifest", "Unknown manifest", f"no manifest {manifest_id}")
    return manifest


async def hand_over(
    s: AsyncSession, manifest_id: int, scan: str, user_id: int | None
) -> tuple[Manifest, Parcel]:
    """Scan a parcel onto the manifest: it leaves the stock; the last one ships the order."""
    manifest = await manifest_in(s, manifest_id)
    if manifest.status != "open":
        raise Conflict("manifest_closed", "Manifest closed", f"manifest {manifest_id} is closed")
    parcel = await parcel_for_scan(s, scan)
    if parcel.status == "shipped":
        raise Conflict("already_shipped", "Already handed over", f"parcel {parcel.tracking}")
    if parcel.carrier != manifest.carrier:
        raise Conflict(
            "wrong_carrier", "Other carrier", f"parcel is {parcel.carrier}", expected=parcel.carrier
        )
    order = await s.get(SalesOrder, parcel.order_id)
    assert order is not None
    if order.status != OrderStatus.PACKED:
        raise Conflict("order_not_packed", "Order not packed yet", f"{order.reference} packing")
    parcel.status, parcel.manifest_id, parcel.shipped_at = "shipped", manifest.id, utcnow()
    events.note(s, "ship", order=order.id)
    tracking.start(s, parcel, parcel.shipped_at)
    await s.flush()
    left = (
        await s.execute(
            select(func.count()).where(Parcel.order_id == order.id, Parcel.status != "shipped")
        )
    ).scalar()
    if not left:
        await _ship(s, order)
        await s.run_sync(backorders.resolve_order, order.id, "order shipped", user_id)
    return manifest, parcel


async def _ship(s: AsyncSession, order: SalesOrder) -> None:
    order.status, order.updated_at = OrderStatus.SHIPPED, utcnow()
    shipment = (await s.execute(select(Shipment).where(Shipment.order_id == order.id))).scalar_one()
    shipment.status, shipment.shipped_at = "shipped", utcnow()
    first = (
        (await s.execute(select(Parcel).where(Parcel.order_id == order.id).order_by(Parcel.number)))
        .scalars()
        .first()
    )
    channel = await s.get(Channel, order.channel_id)
    assert first is not None and channel is not None
    lines = (await s.execute(select(OrderLine).where(OrderLine.order_id == order.id))).scalars()
    refs = [ref for line in lines for ref in line.external_line_ids.split(",") if ref]
    adapter = adapter_for(shipment.carrier)
    await s.run_sync(
        outbox_rows.add,
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


async def close_manifest(s: AsyncSession, manifest_id: int) -> Manifest:
    manifest = await manifest_in(s, manifest_id)
    if manifest.status == "open":
        manifest.status, manifest.closed_at = "closed", utcnow()
    return manifest


async def manifest_view(s: AsyncSession, manifest: Manifest) -> dict[str, Any]:
    rows = (
        await s.execute(select(Parcel).where(Parcel.manifest_id == manifest.id).order_by(Parcel.id))
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


async def deliver_tracking_push(
    worker: OutboxWorker, payload: dict[str, Any], event_id: str
) -> None:
    """Outbox handler for ``tracking_push`` rows, in the channel's own format."""
    from wms.services.outbox import DeliveryError, send_request

    _, config = await channels.config_for(worker.db, payload["channel"])
    refs = list(payload.get("line_refs", []))
    if config.kind == ChannelKind.SHOPIFY:
        # Shopify fulfils fulfillment orders, whose ids exist only on Shopify's side.
        ask = build_fulfillment_orders_request(config, payload["order_external_id"])
        response = await worker.http.request(ask.method, ask.url, headers=ask.headers)
        if response.status_code >= 300:
            raise DeliveryError(f"fulfillment orders: HTTP {response.status_code}")
        refs = fulfillable_order_ids(response.json(), config.location_id)
        if not refs:
            return  # nothing open to fulfil any more (fulfilled on Shopify already)
    request = build_tracking_push(
        config, payload["order_external_id"], payload["tracking"], payload["carrier"], refs,
        event_id, tracking_url=payload.get("tracking_url", ""),
    )  # fmt: skip
    await send_request(worker.http, request)


OUTBOX_HANDLERS = {
    "tracking_push": deliver_tracking_push,
    "tracking_event": tracking.deliver_tracking_event,
    "print": printing.deliver_print,
}


# -- transactions (what the API calls) ---------------------------------------------------------


async def open_manifest_for(db: Database, carrier: str, user_id: int | None) -> dict[str, Any]:
    async with db.write() as s:
        return await manifest_view(s, await open_manifest(s, carrier, user_id))


async def get_manifest(db: Database, manifest_id: int) -> dict[str, Any]:
    async with db.read() as s:
        return await manifest_view(s, await manifest_in(s, manifest_id))


async def scan_onto_manifest(
    db: Database, manifest_id: int, scan: str, user_id: int | None
) -> dict[str, Any]:
    async with db.write() as s:
        manifest, parcel = await hand_over(s, manifest_id, scan, user_id)
        order = await s.get(SalesOrder, parcel.order_id)
        return {
            "parcel": await s.run_sync(parcel_view, parcel),
            "order_status": order.status if order else None,
            "manifest": await manifest_view(s, manifest),
        }


async def close_manifest_by_id(db: Database, manifest_id: int) -> dict[str, Any]:
    async with db.write() as s:
        return await manifest_view(s, await close_manifest(s, manifest_id))


async def get_parcel(db: Database, parcel_id: int) -> dict[str, Any]:
    async with db.read() as s:
        parcel = await s.get(Parcel, parcel_id)
        if parcel is None:
            raise NotFound("unknown_parcel", "Unknown parcel", f"no parcel {parcel_id}")
        return await s.run_sync(parcel_view, parcel)
