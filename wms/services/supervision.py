"""What a supervisor does about trouble: a stalled batch back to the queue or to another
picker, a failed print job sent to another printer, a backordered order reserved again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.domain.orders import OrderStatus
from wms.errors import Conflict, NotFound, WmsError
from wms.models import OrderLine, SalesOrder, User
from wms.models.common import utcnow
from wms.models.picking import PickBatch
from wms.models.shipping import Parcel, PrintJob
from wms.services import availability, backorder_history, events, printing

ACTIVE = ("assigned", "picking", "paused")
PB = PickBatch.__table__


async def release_batch(db: Database, batch_id: int) -> dict[str, Any]:
    """Take a batch from its picker: back in the queue, for whoever asks next."""
    return await db.run(_reassign, batch_id, None)


async def reassign_batch(db: Database, batch_id: int, username: str) -> dict[str, Any]:
    """Give a batch to another picker, who must not be on another batch already."""
    return await db.run(_reassign, batch_id, username)


def _reassign(s: Session, batch_id: int, username: str | None) -> dict[str, Any]:
    status = s.execute(select(PB.c.status).where(PB.c.id == batch_id)).scalar()
    if status is None:
        raise NotFound("unknown_batch", "Unknown batch", f"no batch {batch_id}")
    if status not in ACTIVE:
        raise Conflict("batch_not_active", "Batch not active", f"batch {batch_id} is {status}")
    values: dict[str, Any]
    if username is None:
        values = {"picker_id": None, "status": "released", "assigned_at": None}
    else:
        user = s.execute(
            select(User.id, User.active, User.role).where(User.username == username)
        ).first()
        if user is None or not user.active or user.role != "picker":
            raise NotFound("unknown_picker", "Unknown picker", f"no active picker {username!r}")
        busy = s.execute(
            select(PB.c.id).where(
                PB.c.picker_id == user.id, PB.c.status.in_(ACTIVE), PB.c.id != batch_id
            )
        ).first()
        if busy is not None:
            raise Conflict("picker_busy", "Picker is busy", f"{username} is on batch {busy[0]}")
        values = {"picker_id": user.id, "status": "paused" if status == "paused" else "assigned",
                  "assigned_at": utcnow()}  # fmt: skip
    # Conditional on the status read above: a picker finishing meanwhile wins.
    done = s.execute(update(PB).where(PB.c.id == batch_id, PB.c.status == status).values(**values))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("batch_changed", "Batch changed", "the batch moved on: look again")
    events.note(s, "batch", batch=batch_id)
    return {"id": batch_id, "status": values["status"], "picker": username}


async def print_elsewhere(db: Database, job_id: int, printer_url: str) -> dict[str, Any]:
    """The same label or document again, on another printer (the first one is broken)."""
    return await db.run(_print_elsewhere, job_id, printer_url.strip())


def _print_elsewhere(s: Session, job_id: int, printer_url: str) -> dict[str, Any]:
    job = s.get(PrintJob, job_id)
    if job is None:
        raise NotFound("unknown_job", "Unknown print job", f"no print job {job_id}")
    if not printer_url or "://" not in printer_url:
        raise WmsError("bad_printer", "Bad printer URL", "a printer is a URL like tcp://host:9100")
    if job.status in ("queued", "printing"):
        raise Conflict("job_waiting", "Job still waiting", f"job {job_id} is {job.status}")
    new_id = printing.enqueue(
        s, printer_url=printer_url, kind=job.kind, payload=job.payload,
        content_type=job.content_type, ref=f"reprint {job.ref}"[:120], station=job.station,
        parcel_id=job.parcel_id, reprint_of=job.id,
    )  # fmt: skip
    parcel = s.get(Parcel, job.parcel_id) if job.parcel_id is not None else None
    if parcel is not None and job.kind == "label":
        parcel.label_job_id = new_id  # the parcel's label is now the new job
    return {"id": new_id, "printer_url": printer_url, "reprint_of": job_id}


async def known_printers(db: Database) -> list[str]:
    return await db.run(_known_printers)


@reads
def _known_printers(s: Session) -> list[str]:
    from wms.models.shipping import Printer

    return list(s.execute(select(Printer.url).order_by(Printer.url)).scalars())


async def pickers(db: Database) -> list[str]:
    return await db.run(_pickers)


@reads
def _pickers(s: Session) -> list[str]:
    query = select(User.username).where(User.role == "picker", User.active.is_(True))
    return list(s.execute(query.order_by(User.username)).scalars())


async def reserve_again(db: Database, order_id: int) -> dict[str, Any]:
    """A backordered order: reserve what is sellable now for its short lines (oldest first
    is the rule when stock arrives; this is the supervisor asking again for one order)."""
    return await db.run(_reserve_again, order_id)


def _reserve_again(s: Session, order_id: int) -> dict[str, Any]:
    order = s.get(SalesOrder, order_id)
    if order is None:
        raise NotFound("unknown_order", "Unknown order", f"no order {order_id}")
    if order.status != OrderStatus.BACKORDERED:
        raise Conflict("not_backordered", "Not backordered", f"order is {order.status}")
    got_total, touched = 0, []
    lines = s.execute(select(OrderLine).where(OrderLine.order_id == order_id)).scalars()
    for line in lines:
        need = line.qty - line.reserved - line.picked
        if need > 0:
            got = availability.reserve(s, line.product_id, need)
            line.reserved += got
            got_total += got
            if got:
                touched.append(line.product_id)
    s.flush()
    availability.refresh_open_status(s, order_id)
    backorder_history.note(s, [order_id])
    availability.push_sellable(s, touched)  # what is left to sell went down
    return {"id": order_id, "status": order.status, "reserved": got_total}
