"""Orders and products as the console shows them: search, an order's timeline, a product's stock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wms.db import long_reads, reads
from wms.domain.orders import OrderStatus
from wms.errors import NotFound, WmsError
from wms.models import (
    Channel,
    Location,
    OrderLine,
    Outbox,
    Product,
    ProductAvailability,
    SalesOrder,
    Stock,
    StockMove,
    User,
)
from wms.models.picking import PickBatch, PickTask, PickTaskLine
from wms.models.shipping import PackSession, Parcel, PrintJob, Return
from wms.reports.floor import _aware

STATUSES = [s.value for s in OrderStatus]
PAGE = 100


@reads
def channel_codes(s: Session) -> list[str]:
    return list(s.execute(select(Channel.code).order_by(Channel.code)).scalars())


def _day(raw: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(raw), time(0), tzinfo=UTC)
    except ValueError as exc:
        raise WmsError("bad_query", "Bad date", f"{raw!r} is not YYYY-MM-DD") from exc


@long_reads
def search(s: Session, q: dict[str, str]) -> list[dict[str, Any]]:
    """Orders by channel, status, SKU, external id or reference, customer name, day placed."""
    query = (
        select(SalesOrder, Channel.code)
        .join(Channel, Channel.id == SalesOrder.channel_id)
        .order_by(SalesOrder.id.desc())
        .limit(PAGE)
    )
    if q.get("channel"):
        query = query.where(Channel.code == q["channel"])
    if q.get("status"):
        query = query.where(SalesOrder.status == q["status"])
    if q.get("sku"):
        query = query.where(
            select(OrderLine.id)
            .where(OrderLine.order_id == SalesOrder.id, OrderLine.sku == q["sku"].upper())
            .exists()
        )
    if q.get("q"):
        like = f"%{q['q']}%"
        query = query.where(
            or_(
                SalesOrder.external_id.ilike(like),
                SalesOrder.reference.ilike(like),
                SalesOrder.ship_name.ilike(like),
            )
        )
    if q.get("customer"):
        query = query.where(SalesOrder.ship_name.ilike(f"%{q['customer']}%"))
    if q.get("from"):
        query = query.where(SalesOrder.created_at >= _day(q["from"]))
    if q.get("to"):
        query = query.where(SalesOrder.created_at < _day(q["to"]) + timedelta(days=1))
    return [
        {
            "id": o.id,
            "channel": code,
            "external_id": o.external_id,
            "reference": o.reference,
            "status": o.status,
            "customer": o.ship_name,
            "carrier": o.carrier,
            "created_at": _aware(o.created_at),
        }
        for o, code in s.execute(query)
    ]


@reads
def detail(s: Session, order_id: int) -> dict[str, Any]:
    """One order, its lines and its timeline: who did what to it, when."""
    row = s.execute(
        select(SalesOrder, Channel.code)
        .join(Channel, Channel.id == SalesOrder.channel_id)
        .where(SalesOrder.id == order_id)
    ).first()
    if row is None:
        raise NotFound("unknown_order", "Unknown order", f"no order {order_id}")
    order, channel = row
    lines = list(
        s.execute(
            select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.line_no)
        ).scalars()
    )
    names = dict(s.execute(select(User.id, func.coalesce(User.name, User.username))).all())
    events: list[tuple[datetime, str, str]] = [
        (order.created_at, "intake", f"received from {channel} as {order.external_id}"),
    ]
    line_ids = [ln.id for ln in lines]
    for task, sku, loc, batch in s.execute(
        select(PickTask, Product.sku, Location.code, PickBatch)
        .join(PickTaskLine, PickTaskLine.task_id == PickTask.id)
        .join(Product, Product.id == PickTask.product_id)
        .join(Location, Location.id == PickTask.location_id)
        .join(PickBatch, PickBatch.id == PickTask.batch_id)
        .where(PickTaskLine.order_line_id.in_(line_ids))
        .order_by(PickTask.id)
    ).unique():
        events.append(
            (batch.created_at, "wave", f"wave {batch.wave_id}, batch {batch.id}: {sku} at {loc}")
        )
        if task.picked_at:
            verb = "short" if task.status == "short" else "pick"
            events.append(
                (task.picked_at, verb,
                 f"{task.picked} × {sku} from {loc} by {names.get(task.picked_by, '?')}"
                 + (f", {task.shorted} missing" if task.shorted else ""))
            )  # fmt: skip
    for ps in s.execute(select(PackSession).where(PackSession.order_id == order_id)).scalars():
        who = names.get(ps.user_id, "?")
        events.append((ps.started_at, "pack", f"packing started at {ps.station} by {who}"))
    for p in s.execute(select(Parcel).where(Parcel.order_id == order_id)).scalars():
        events.append(
            (p.created_at, "pack",
             f"parcel {p.number} closed: {p.carton}, {p.weight_g} g, {p.carrier} {p.tracking}")
        )  # fmt: skip
        if p.shipped_at:
            events.append((p.shipped_at, "handover", f"parcel {p.number} handed to {p.carrier}"))
        jobs = select(PrintJob).where(PrintJob.parcel_id == p.id).order_by(PrintJob.id)
        for j in s.execute(jobs).scalars():
            state = j.status + (f" ({j.error})" if j.error else "")
            events.append((j.printed_at or j.created_at, "label", f"{j.kind} job {j.id}: {state}"))
    for o in s.execute(
        select(Outbox).where(
            Outbox.kind == "tracking_push", Outbox.dedupe_key == f"tracking:{order_id}"
        )
    ).scalars():
        when = o.sent_at or o.created_at
        events.append((when, "tracking", f"tracking push {o.status} ({o.attempts} tries)"))
    for r in s.execute(select(Return).where(Return.order_id == order_id)).scalars():
        events.append((r.created_at, "return", f"return {r.id} {r.status}: {r.reason}"))
    events.sort(key=lambda e: _aware(e[0]) or datetime.min.replace(tzinfo=UTC))
    return {
        "order": order,
        "channel": channel,
        "lines": lines,
        "timeline": [{"at": _aware(at), "kind": k, "text": t} for at, k, t in events],
    }


@reads
def product(s: Session, sku: str) -> dict[str, Any]:
    """On hand per location and lot, reserved, sellable per channel, last pushes."""
    prod = s.execute(select(Product).where(Product.sku == sku.upper())).scalar_one_or_none()
    if prod is None:
        raise NotFound("unknown_sku", "Unknown SKU", f"no product {sku}")
    stock = s.execute(
        select(Stock, Location.code, Location.kind)
        .join(Location, Location.id == Stock.location_id)
        .where(Stock.product_id == prod.id, Stock.on_hand > 0)
        .order_by(Location.code, Stock.lot)
    ).all()
    avail = s.get(ProductAvailability, prod.id)
    free = (avail.on_hand_pickable - avail.reserved) if avail else 0
    channels = [
        {"code": c.code, "buffer": c.buffer, "sellable": max(0, free - c.buffer)}
        for c in s.execute(select(Channel).where(Channel.active.is_(True))).scalars()
    ]
    codes = {c.id: c.code for c in s.execute(select(Channel)).scalars()}
    pushes = [
        {"channel": codes.get(o.channel_id, "?"), "payload": o.payload, "status": o.status,
         "attempts": o.attempts, "at": _aware(o.sent_at or o.created_at), "error": o.last_error}
        for o in s.execute(
            select(Outbox)
            .where(Outbox.kind == "stock_push", Outbox.dedupe_key.like(f"stock:%:{prod.id}"))
            .order_by(Outbox.id.desc())
            .limit(20)
        ).scalars()
    ]  # fmt: skip
    moves = s.execute(
        select(StockMove).where(StockMove.product_id == prod.id).order_by(StockMove.id.desc())
        .limit(20)
    ).scalars()  # fmt: skip
    return {
        "product": prod,
        "stock": [
            {
                "location": code,
                "kind": kind,
                "lot": st.lot,
                "expiry": st.expiry,
                "on_hand": st.on_hand,
                "allocated": st.allocated,
            }
            for st, code, kind in stock
        ],  # fmt: skip
        "on_hand_pickable": avail.on_hand_pickable if avail else 0,
        "reserved": avail.reserved if avail else 0,
        "channels": channels,
        "pushes": pushes,
        "moves": list(moves),
    }
