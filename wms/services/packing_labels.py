"""A parcel's label in three steps: open it labelling, buy it outside a transaction, record it.

The carrier's label call is a network call (karrio), so it never runs inside a transaction
or on the event loop (issue 15 point 2). A close is:

1. a short write that checks what the close relies on (the order's pack session, what is
   verified and not packed, the station, the carton) and adds the parcel as ``labelling``,
   its units not yet counted as packed;
2. the carrier's call in a worker thread, no transaction open. The parcel's id is the
   booking's key: the generic carrier numbers by it (the same parcel gets the same label),
   karrio sends it as the parcel's reference, so a retry books the same parcel again
   rather than another one;
3. a short ``@answers`` write that finds the parcel still ``labelling`` and records the
   label, the packed units, the money facts and the print jobs.

A refusal (``carrier_refused``, a bad address) removes the labelling parcel: nothing lasting
is written. Any other failure (unreachable, a crash between the steps) leaves it labelling,
and the order's next close (a retry, or a new one) finds it and finishes it, once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from wms.carriers import LabelRequest, LabelResult, adapter_for, registry
from wms.db import Database
from wms.errors import Conflict, WmsError
from wms.models import CartonType, OrderLine, SalesOrder
from wms.models.shipping import PackSession, Parcel, Shipment
from wms.services import money_facts, printing
from wms.services.slips import recipient
from wms.services.stations import station_in

LABELLING = "labelling"
# Refusals that say no label was booked: the labelling parcel goes, nothing stays.
REFUSED = ("carrier_refused", "bad_address")


@dataclass(frozen=True)
class LabelJob:
    """What step 2 needs, read in step 1: the parcel and the carrier's request for it."""

    parcel_id: int
    order_id: int
    carrier: str
    request: LabelRequest


def labelling_parcel(s: Session, order_id: int) -> Parcel | None:
    """The order's parcel waiting for its label (a close cut short), if there is one."""
    query = select(Parcel).where(Parcel.order_id == order_id, Parcel.status == LABELLING)
    return s.execute(query.with_for_update()).scalars().first()


def open_parcel(
    s: Session,
    order: SalesOrder,
    contents: dict[int, int],
    carton: CartonType,
    weight_g: int,
    station_code: str,
) -> LabelJob:
    """Step 1: a new parcel of ``contents`` in ``carton``, labelling (nothing packed yet)."""
    if weight_g > carton.max_weight_g:
        raise WmsError(
            "too_heavy", "Too heavy for carton", f"{weight_g} g > {carton.max_weight_g} g"
        )
    station = station_in(s, station_code)
    adapter = adapter_for(order.carrier)
    shipment = (
        s.execute(select(Shipment).where(Shipment.order_id == order.id))
    ).scalar_one_or_none()
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
        status=LABELLING,
    )
    s.add(parcel)
    s.flush()
    return label_job(s, order, parcel)


def label_job(s: Session, order: SalesOrder, parcel: Parcel) -> LabelJob:
    station = station_in(s, parcel.station)
    carton = s.get(CartonType, parcel.carton)
    assert carton is not None and parcel.id is not None
    request = LabelRequest(
        parcel_id=parcel.id,
        order_ref=order.reference,
        sender=registry.sender(),
        recipient=recipient(order),
        service=order.service,
        weight_g=parcel.weight_g,
        length_mm=carton.length_mm,
        width_mm=carton.width_mm,
        height_mm=carton.height_mm,
        parcel_index=parcel.number,
        parcel_count=parcel.number,
        dpi=station.label_dpi,
        sscc=registry.generic().sscc(parcel.id),
    )
    return LabelJob(parcel.id, parcel.order_id, parcel.carrier, request)


async def buy_label(job: LabelJob) -> LabelResult:
    """Step 2: the carrier's label, in a worker thread (adapters block; karrio is HTTP)."""
    adapter = adapter_for(job.carrier)
    try:
        return await asyncio.to_thread(adapter.create_label, job.request)
    except (KeyError, ValueError) as exc:
        raise WmsError("bad_address", "Address incomplete", f"cannot label: {exc}") from exc


async def label_for(db: Database, job: LabelJob, with_session: bool = False) -> LabelResult:
    """Step 2 with its refusal: a refused label removes the labelling parcel, then raises."""
    try:
        return await buy_label(job)
    except WmsError as refusal:
        if refusal.code in REFUSED:
            await db.run(drop_parcel, job.parcel_id, with_session)
        raise


def drop_parcel(s: Session, parcel_id: int, with_session: bool = False) -> None:
    """After a refusal: the labelling parcel goes (and its shipment, if it was its only one).

    ``with_session``: the pack session was opened for this parcel alone (scan-and-ship),
    so it goes too and the order waits again as before.
    """
    parcel = s.get(Parcel, parcel_id)
    if parcel is None or parcel.status != LABELLING:
        return  # another close finished it meanwhile
    shipment_id, order_id = parcel.shipment_id, parcel.order_id
    s.delete(parcel)
    s.flush()
    others = s.execute(select(func.count()).where(Parcel.order_id == order_id)).scalar()
    if not others:
        s.execute(delete(Shipment).where(Shipment.id == shipment_id))
    if with_session:
        s.execute(delete(PackSession).where(PackSession.order_id == order_id))


def record_label(
    s: Session, parcel_id: int, lines: list[OrderLine], label: LabelResult
) -> Parcel | None:
    """Step 3: the label on the parcel, its units packed, money facts and print jobs.

    None when another close of the order recorded it meanwhile (nothing to do again).
    """
    parcel = s.execute(select(Parcel).where(Parcel.id == parcel_id).with_for_update()).scalar()
    if parcel is None:
        raise Conflict("parcel_gone", "Parcel was voided", f"parcel {parcel_id} is gone")
    if parcel.status != LABELLING:
        return None
    contents = {int(k): v for k, v in parcel.contents.items()}
    by_id = {line.id: line for line in lines}
    if any(line_id not in by_id for line_id in contents):
        raise Conflict("parcel_gone", "Parcel was voided", f"parcel {parcel_id}: lines changed")
    station = station_in(s, parcel.station)
    order = s.get(SalesOrder, parcel.order_id)
    assert order is not None
    parcel.status = "packed"
    parcel.tracking, parcel.sscc = label.tracking, label.sscc
    parcel.tracking_url = label.tracking_url[:300]
    for line_id, n in contents.items():
        by_id[line_id].packed += n
    carton = s.get(CartonType, parcel.carton)
    assert carton is not None
    money_facts.record_parcel(
        s, order.id, contents, carton.cost, label.rate, shipping_currency=label.rate_currency,  # type: ignore[arg-type]
    )  # fmt: skip
    ref = f"order {order.reference} parcel {parcel.number}"
    parcel.label_job_id = printing.enqueue(
        s, printer_url=station.label_printer_url, kind="label", payload=label.label_zpl,
        content_type="application/zpl", ref=f"{ref} label", station=station.code,
        parcel_id=parcel.id,
    )  # fmt: skip
    # The packing slip is drawn by the print dispatcher when it delivers the job
    # (`draw_slip`): the packer waits for the label, not for the PDF.
    if station.document_printer_url:
        parcel.slip_job_id = printing.enqueue(
            s, printer_url=station.document_printer_url, kind="document", payload=b"",
            content_type="application/pdf", ref=f"{ref} slip", station=station.code,
            parcel_id=parcel.id,
        )  # fmt: skip
    s.flush()
    return parcel
