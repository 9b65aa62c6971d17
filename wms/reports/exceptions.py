"""What a supervisor must act on: short picks, backorders, failed prints, holds, stalls, pushes,
counts waiting for approval, and open orders without a complete ship-to address."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from wms.db import reads
from wms.domain import addresses
from wms.domain.orders import OPEN_STATUSES, OrderStatus
from wms.models import Channel, Outbox, Product, SalesOrder, User
from wms.models.audit import StockCount
from wms.models.picking import FloorException, PickBatch, PickTask
from wms.models.shipping import Printer, PrintJob
from wms.reports import floor
from wms.reports.floor import _aware

FAILING_PUSH_ATTEMPTS = 3
HELD = (OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD)


def _failed_jobs() -> Any:
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


def _failing_pushes() -> Any:
    return select(Outbox).where(
        Outbox.kind != "print",
        (Outbox.status == "dead")
        | ((Outbox.status == "pending") & (Outbox.attempts >= FAILING_PUSH_ATTEMPTS)),
    )


class AddressException(msgspec.Struct):
    """An open order that no wave takes until its ship-to is complete, and why."""

    order_id: int
    reference: str
    channel: str
    status: str
    reason: str  # "no ship-to address: unpaid TikTok order", "postal code missing"
    missing: list[str]  # the fields a label needs that are empty


def _incomplete_address() -> Any:
    """Open orders whose ship-to lacks a field a label needs (the rules of
    wms.domain.addresses, as a filter; the reason is worded by the same rules)."""
    so = SalesOrder.__table__.c
    gaps = [so.ship_name == "", so.ship_line1 == "", so.ship_city == "", so.ship_postal_code == ""]
    gaps += [so.ship_country == ""]
    gaps.append(so.ship_country.in_(sorted(addresses.REGION_NEEDED)) & (so.ship_region == ""))
    return (
        select(SalesOrder, Channel.code, Channel.kind)
        .join(Channel, Channel.id == SalesOrder.channel_id)
        .where(
            SalesOrder.status.in_(sorted(OPEN_STATUSES)),
            SalesOrder.ship_masked.is_(False),  # type: ignore[attr-defined]
            or_(*gaps),
        )
    )


@reads
def address_exceptions(s: Session, limit: int = 200) -> list[AddressException]:
    """Open orders no wave takes for want of a complete ship-to address, oldest first."""
    out = []
    for o, code, kind in s.execute(_incomplete_address().order_by(SalesOrder.id).limit(limit)):
        to = addresses.of_row(o)
        out.append(
            AddressException(
                order_id=int(o.id), reference=o.reference or o.external_id, channel=code,
                status=o.status, reason=addresses.reason(to, o.status, kind),
                missing=addresses.missing(to),
            )
        )  # fmt: skip
    return out


def _how_many(q: Any) -> Any:
    return select(func.count()).select_from(q.subquery()).scalar_subquery()


# The alert strip's counts in one statement, built once: the board page and its live
# fragment read it, and eight round trips cost more than the counting.
_COUNTS = select(
    _how_many(select(FloorException.id).where(FloorException.status == "open")).label(
        "short_picks"
    ),
    _how_many(select(SalesOrder.id).where(SalesOrder.status == OrderStatus.BACKORDERED)).label(
        "backorders"
    ),
    _how_many(_failed_jobs()).label("failed_prints"),
    _how_many(select(Printer.id).where(Printer.status.not_in(("ready", "unknown")))).label(
        "printers_in_fault"
    ),
    _how_many(select(SalesOrder.id).where(SalesOrder.status.in_(HELD))).label("held_orders"),
    _how_many(_failing_pushes()).label("failing_pushes"),
    _how_many(select(StockCount.id).where(StockCount.status == "pending")).label("pending_counts"),
    _how_many(_incomplete_address()).label("no_address"),
)


@reads
def counts(s: Session, now: datetime) -> dict[str, int]:
    """How many of each kind are open (the board's alert strip)."""
    row = s.execute(_COUNTS).one()
    return {k: int(v) for k, v in row._mapping.items()} | {"stalled_batches": len(_stalled(s, now))}


@reads
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
            for j in s.execute(_failed_jobs().order_by(PrintJob.id)).scalars()
        ],  # fmt: skip
        "printers_in_fault": [
            {"url": p.url, "status": p.status, "message": p.message, "checked_at": p.checked_at}
            for p in s.execute(
                select(Printer).where(Printer.status.not_in(("ready", "unknown")))
            ).scalars()
        ],
        "held_orders": orders(*HELD),
        "no_address": [msgspec.to_builtins(x) for x in address_exceptions(s)],
        "stalled_batches": _stalled(s, now),
        "failing_pushes": [
            {
                "id": o.id,
                "kind": o.kind,
                "attempts": o.attempts,
                "status": o.status,
                "error": o.last_error,
            }
            for o in s.execute(_failing_pushes().order_by(Outbox.id).limit(200)).scalars()
        ],  # fmt: skip
    }
