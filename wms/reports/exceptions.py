"""What a supervisor must act on: short picks, backorders, failed prints, holds, stalls, pushes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from wms.domain.orders import OrderStatus
from wms.models import Outbox, Product, SalesOrder, User
from wms.models.picking import FloorException, PickBatch, PickTask
from wms.models.shipping import Printer, PrintJob
from wms.reports import floor
from wms.reports.floor import _aware

FAILING_PUSH_ATTEMPTS = 3
HELD = (OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD)


def _failed_jobs(s: Session) -> Any:
    again = aliased(PrintJob)
    return select(PrintJob).where(
        PrintJob.status == "failed",
        ~select(again.id).where(again.reprint_of == PrintJob.id).exists(),
    )


def _stalled(s: Session, now: datetime) -> list[dict[str, Any]]:
    last = func.max(PickTask.picked_at).label("last_scan")
    rows = s.execute(
        select(
            PickBatch.id, PickBatch.wave_id, PickBatch.assigned_at, User.name, User.username, last
        )  # fmt: skip
        .outerjoin(PickTask, PickTask.batch_id == PickBatch.id)
        .outerjoin(User, User.id == PickBatch.picker_id)
        .where(PickBatch.status.in_(("assigned", "picking", "paused")))
        .group_by(PickBatch.id, User.name, User.username)
    ).all()
    out = []
    for r in rows:
        seen = _aware(r.last_scan) or _aware(r.assigned_at)
        if seen is not None and (now - seen) >= timedelta(seconds=floor.STALLED_S):
            out.append(
                {"batch_id": r.id, "wave_id": r.wave_id, "picker": r.name or r.username,
                 "age_s": int((now - seen).total_seconds())}
            )  # fmt: skip
    return out


def _failing_pushes(s: Session) -> Any:
    return select(Outbox).where(
        Outbox.kind != "print",
        (Outbox.status == "dead")
        | ((Outbox.status == "pending") & (Outbox.attempts >= FAILING_PUSH_ATTEMPTS)),
    )


def counts(s: Session, now: datetime) -> dict[str, int]:
    """How many of each kind are open (the board's alert strip)."""

    def n(q: Any) -> int:
        return int(s.execute(select(func.count()).select_from(q.subquery())).scalar_one())

    return {
        "short_picks": n(select(FloorException.id).where(FloorException.status == "open")),
        "backorders": n(select(SalesOrder.id).where(SalesOrder.status == OrderStatus.BACKORDERED)),
        "failed_prints": n(_failed_jobs(s)),
        "printers_in_fault": n(
            select(Printer.id).where(Printer.status.not_in(("ready", "unknown")))
        ),
        "held_orders": n(select(SalesOrder.id).where(SalesOrder.status.in_(HELD))),
        "stalled_batches": len(_stalled(s, now)),
        "failing_pushes": n(_failing_pushes(s)),
    }


def everything(s: Session, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Each open exception with what the console needs to act on it."""
    shorts = s.execute(
        select(FloorException, Product.sku)
        .outerjoin(Product, Product.id == FloorException.product_id)
        .where(FloorException.status == "open")
        .order_by(FloorException.id)
    ).all()

    def orders(*statuses: str) -> list[dict[str, Any]]:
        rows = s.execute(
            select(SalesOrder).where(SalesOrder.status.in_(statuses)).order_by(SalesOrder.id)
            .limit(200)
        ).scalars()  # fmt: skip
        return [
            {"id": o.id, "reference": o.reference or o.external_id, "status": o.status,
             "carrier": o.carrier, "placed_at": o.placed_at}
            for o in rows
        ]  # fmt: skip

    return {
        "short_picks": [
            {
                "id": e.id,
                "batch_id": e.batch_id,
                "order_id": e.order_id,
                "sku": sku,
                "qty": e.qty,
                "message": e.message,
                "created_at": e.created_at,
            }
            for e, sku in shorts
        ],  # fmt: skip
        "backorders": orders(OrderStatus.BACKORDERED),
        "failed_prints": [
            {
                "id": j.id,
                "ref": j.ref,
                "kind": j.kind,
                "printer": j.printer_url,
                "parcel_id": j.parcel_id,
                "error": j.error,
                "station": j.station,
            }
            for j in s.execute(_failed_jobs(s).order_by(PrintJob.id)).scalars()
        ],  # fmt: skip
        "printers_in_fault": [
            {"url": p.url, "status": p.status, "message": p.message, "checked_at": p.checked_at}
            for p in s.execute(
                select(Printer).where(Printer.status.not_in(("ready", "unknown")))
            ).scalars()
        ],
        "held_orders": orders(*HELD),
        "stalled_batches": _stalled(s, now),
        "failing_pushes": [
            {
                "id": o.id,
                "kind": o.kind,
                "attempts": o.attempts,
                "status": o.status,
                "error": o.last_error,
            }
            for o in s.execute(_failing_pushes(s).order_by(Outbox.id).limit(200)).scalars()
        ],  # fmt: skip
    }
