"""Order intake from every channel: one shape, reserved atomically, exactly once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from wms.channels import fees
from wms.db import Database
from wms.domain.bounds import AmountOutOfRange, check_order_money, money_in_range
from wms.domain.orders import OPEN_STATUSES, OrderIn, OrderStatus
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Channel, InboundEvent, OrderLine, Product, SalesOrder
from wms.models.common import utcnow
from wms.services import availability, backorders, events, money_facts, statements
from wms.services.channels import to_config

MAX_LINES = 500
MAX_LINE_QTY = 10_000


@dataclass(frozen=True)
class IntakeResult:
    """The order as taken (or as it already was).

    Its model objects are built on first use: a webhook answers with the id and status
    alone, and building a SalesOrder and its OrderLines was about a quarter of an intake.
    """

    order_id: int
    status: str
    created: bool
    _build: Callable[[], tuple[SalesOrder, list[OrderLine]]] = field(repr=False, compare=False)

    @cached_property
    def _built(self) -> tuple[SalesOrder, list[OrderLine]]:
        return self._build()

    @property
    def order(self) -> SalesOrder:
        return self._built[0]

    @property
    def lines(self) -> list[OrderLine]:
        return self._built[1]


def _as_found(s: Session, order: SalesOrder) -> IntakeResult:
    lines = lines_of_sync(s, order.id)  # type: ignore[arg-type]
    return IntakeResult(order.id, order.status, False, lambda: (order, lines))  # type: ignore[arg-type]


def _validate(order: OrderIn) -> None:
    if not order.external_id or len(order.external_id) > 64:
        raise WmsError("bad_order_id", "Bad order id", "external id must be 1-64 characters")
    if not order.lines:
        raise WmsError("no_lines", "Order has no lines", "an order needs at least one line")
    if len(order.lines) > MAX_LINES:
        raise WmsError("too_many_lines", "Too many lines", f"at most {MAX_LINES} lines")
    for line in order.lines:
        if line.qty <= 0 or line.qty > MAX_LINE_QTY:
            raise WmsError(
                "bad_quantity", "Quantity must be >0", f"{line.sku}: quantity {line.qty}"
            )
        if line.unit_price < 0:
            raise WmsError("bad_price", "Price below zero", f"{line.sku}: {line.unit_price}")
    if len(order.currency) != 3 or not order.currency.isalpha():
        raise WmsError("bad_currency", "Bad currency", f"{order.currency!r} is not ISO 4217")
    try:
        check_order_money(order)
        money_in_range(fees.order_total(order), "total")
    except AmountOutOfRange as exc:
        raise WmsError("bad_amount", "Amount out of range", str(exc), field=exc.what) from None


def channel_by_code(s: Session, code: str) -> Channel:
    ch = s.execute(select(Channel).where(Channel.code == code)).scalar_one_or_none()
    if ch is None or not ch.active:
        raise NotFound("unknown_channel", "Unknown channel", f"no active channel {code!r}")
    return ch


def _existing(s: Session, channel_id: int, external_id: str) -> SalesOrder | None:
    return s.execute(
        select(SalesOrder).where(
            SalesOrder.channel_id == channel_id, SalesOrder.external_id == external_id
        )
    ).scalar_one_or_none()


def lines_of_sync(s: Session, order_id: int) -> list[OrderLine]:
    return list(
        s.execute(
            select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.line_no)
        ).scalars()
    )


async def intake(
    db: Database, channel_code: str, order: OrderIn, *, event_id: str = "", topic: str = ""
) -> IntakeResult:
    """Create the order and reserve every line, or return the order it already is.

    A replay (same event id, or same channel order id) changes nothing but the
    channel's status, which may move on (paid, cancelled) between deliveries.
    """
    _validate(order)
    for attempt in range(2):
        try:
            return await db.run(_intake, channel_code, order, event_id, topic)
        except IntegrityError:
            # Another process created the same order between our look-up and insert
            # (PostgreSQL with several servers): the second pass finds and returns it.
            if attempt:
                raise
    raise AssertionError("unreachable")


# Built once: a spike runs these thousands of times, and building a statement costs more
# than running it on SQLite.
# Rows, not model objects: loading an ORM entity cost more than the select itself.
_CHANNEL = select(Channel.__table__).where(Channel.__table__.c.code == bindparam("code"))
_SEEN = select(InboundEvent.id, InboundEvent.order_id).where(
    InboundEvent.channel_id == bindparam("cid"), InboundEvent.event_id == bindparam("eid")
)
_EVENT_DONE = (
    update(InboundEvent.__table__)
    .where(InboundEvent.__table__.c.id == bindparam("event_row"))
    .values(order_id=bindparam("order_id"), status="done")
)
_EXISTING = select(SalesOrder.id).where(
    SalesOrder.channel_id == bindparam("cid"), SalesOrder.external_id == bindparam("xid")
)
_PRODUCTS = select(Product.id, Product.sku, Product.name, Product.unit_cost, Product.active).where(
    Product.sku.in_(bindparam("skus", expanding=True))
)
_INSERT_ORDER = insert(SalesOrder.__table__).returning(SalesOrder.__table__.c.id)
_INSERT_LINES = insert(OrderLine.__table__)
_INSERT_EVENT = insert(InboundEvent.__table__)


def _intake(
    s: Session, channel_code: str, order: OrderIn, event_id: str, topic: str
) -> IntakeResult:
    conn = s.connection()  # Core: intake is the hot path of a spike
    channel = conn.execute(_CHANNEL, {"code": channel_code}).first()
    if channel is None or not channel.active:
        raise NotFound("unknown_channel", "Unknown channel", f"no active channel {channel_code!r}")
    seen = None
    if event_id:
        seen = conn.execute(_SEEN, {"cid": channel.id, "eid": event_id}).first()
        if seen is not None and seen.order_id is not None:
            existing = s.get(SalesOrder, seen.order_id)
            assert existing is not None
            return _as_found(s, existing)
    existing_id = conn.execute(_EXISTING, {"cid": channel.id, "xid": order.external_id}).scalar()
    if existing_id is not None:
        existing = s.get(SalesOrder, existing_id)
        assert existing is not None
        _follow_later_version(existing, channel, order)
        _apply_channel_status(s, existing, order)
        if event_id:
            _record_event(s, seen, channel.id, event_id, topic, order.external_id, existing_id)
        return _as_found(s, existing)

    skus = sorted({line.sku for line in order.lines})
    products = {row.sku: row for row in conn.execute(_PRODUCTS, {"skus": skus})}
    missing = [sku for sku in skus if sku not in products or not products[sku].active]
    if missing:
        raise NotFound(
            "unknown_sku", "Unknown SKU", f"unknown SKU(s): {', '.join(missing)}", skus=missing
        )
    # Reserve first, so the order row is written once, with the status its lines earned.
    reserved = [
        0
        if order.status == OrderStatus.CANCELLED
        else availability.reserve_sync(s, products[line.sku].id, line.qty)
        for line in order.lines
    ]
    values = _order_values(channel, order)
    if order.status in (OrderStatus.READY, OrderStatus.BACKORDERED):
        short = any(got < line.qty for got, line in zip(reserved, order.lines, strict=True))
        values["status"] = OrderStatus.BACKORDERED if short else OrderStatus.READY
    values["id"] = conn.execute(_INSERT_ORDER, values).scalar_one()
    lines = [
        {
            "order_id": values["id"],
            "line_no": n,
            "product_id": products[line.sku].id,
            "sku": line.sku,
            "name": (line.name or products[line.sku].name)[:200],
            "qty": line.qty,
            "unit_price": line.unit_price,
            "discount": line.discount,
            "unit_cost": products[line.sku].unit_cost,
            "external_line_ids": ",".join(line.external_line_ids)[:2000],
            "channel_product_ref": line.channel_product_ref,
            "reserved": got,
            "allocated": 0,
            "picked": 0,
            "packed": 0,
        }
        for n, (line, got) in enumerate(zip(order.lines, reserved, strict=True), start=1)
    ]
    conn.execute(_INSERT_LINES, lines)
    money_facts.record_intake(conn, values["id"], order, values["channel_fee"])
    if event_id:
        _record_event(s, seen, channel.id, event_id, topic, order.external_id, values["id"])
    availability.push_sellable_sync(s, [p.id for p in products.values()])
    return IntakeResult(
        values["id"],
        values["status"],
        True,
        lambda: (SalesOrder(**values), [OrderLine(**line) for line in lines]),
    )


def _order_values(channel: Row[Any], order: OrderIn) -> dict[str, Any]:
    now = utcnow()
    return dict(
        channel_id=channel.id,
        external_id=order.external_id,
        reference=order.reference or order.external_id,
        status=order.status,
        channel_status=order.channel_status,
        priority=order.priority,
        placed_at=order.placed_at,
        ship_by=order.ship_by,
        carrier=order.carrier,
        service=order.service,
        ship_name=order.ship_to.name,
        ship_line1=order.ship_to.line1,
        ship_line2=order.ship_to.line2,
        ship_city=order.ship_to.city,
        ship_region=order.ship_to.region,
        ship_postal_code=order.ship_to.postal_code,
        ship_country=order.ship_to.country[:2].upper(),
        ship_phone=order.ship_to.phone,
        ship_email=order.ship_to.email,
        ship_masked=order.ship_to.masked,
        currency=order.currency.upper(),
        subtotal=order.subtotal,
        shipping=order.shipping,
        discount=order.discount,
        tax=order.tax,
        total=fees.order_total(order),
        channel_fee=fees.channel_fee(to_config(channel), order),
        creator=order.attribution.creator,
        content_type=order.attribution.content_type,
        content_id=order.attribution.content_id,
        commission=order.attribution.commission,
        note=order.note[:500],
        created_at=now,
        updated_at=now,
    )


def _record_event(
    s: Session,
    seen: Row[Any] | None,
    channel_id: int,
    event_id: str,
    topic: str,
    external_id: str,
    order_id: int,
) -> None:
    if seen is not None:  # a notification recorded before its order was fetched
        s.connection().execute(_EVENT_DONE, {"event_row": seen.id, "order_id": order_id})
        return
    s.connection().execute(
        _INSERT_EVENT,
        {
            "channel_id": channel_id,
            "event_id": event_id[:120],
            "topic": topic[:60],
            "order_external_id": external_id,
            "status": "done",
            "attempts": 0,
            "error": "",
            "order_id": order_id,
            "received_at": utcnow(),
        },
    )


# Set at intake and never followed later: who the order is and what it is doing.
_FIXED = frozenset({"channel_id", "external_id", "status", "channel_status", "created_at"})


def _follow_later_version(row: SalesOrder, channel: Row[Any], order: OrderIn) -> None:
    """A later version of an order not yet on the floor: its fields replace ours.

    TikTok withholds the address until an order is paid: the paid version brings it, and
    whatever else changed meanwhile (ship-by, carrier, money). A version without an
    address (a late unpaid delivery, a status-only update) leaves the stored one alone;
    an older, unpaid version never overwrites a paid one. Lines are not changed here:
    their reservations stand.
    """
    if row.status not in OPEN_STATUSES or order.status == OrderStatus.CANCELLED:
        return
    if order.status == OrderStatus.AWAITING_PAYMENT and row.status != OrderStatus.AWAITING_PAYMENT:
        return
    has_address = any(
        (order.ship_to.line1, order.ship_to.city, order.ship_to.postal_code, order.ship_to.country)
    )
    for key, value in _order_values(channel, order).items():
        if key in _FIXED or (key.startswith("ship_") and key != "ship_by" and not has_address):
            continue
        if value is None and getattr(row, key) is not None:
            continue  # a version that does not say (placed_at, ship_by) keeps what we know
        if getattr(row, key) != value:
            setattr(row, key, value)


def _apply_channel_status(s: Session, row: SalesOrder, order: OrderIn) -> None:
    """A later delivery of a known order: follow payment, holds and cancellation."""
    if order.channel_status:
        row.channel_status = order.channel_status
    statements.on_channel_status(s, row, order)
    if order.status == OrderStatus.CANCELLED:
        _cancel(s, row)
    elif row.status in (OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD) and order.status in (
        OrderStatus.READY,
        OrderStatus.BACKORDERED,
        OrderStatus.ON_HOLD,
    ):
        row.status = order.status if order.status == OrderStatus.ON_HOLD else OrderStatus.READY
        s.flush()
        availability.refresh_open_status_sync(s, row.id)  # type: ignore[arg-type]
    row.updated_at = utcnow()
    events.note(s, "order", order=row.id)  # paid, held, cancelled: the alert strip's lists


def _cancel(s: Session, row: SalesOrder) -> None:
    """An open order cancelled: its reservations released and given to whoever waits."""
    if row.status == OrderStatus.CANCELLED:
        return
    if row.status not in OPEN_STATUSES:
        raise Conflict(
            "order_in_progress",
            "Order on the floor",
            f"order {row.reference} is {row.status}; cancel its wave work first",
        )
    touched = []
    for line in lines_of_sync(s, row.id):  # type: ignore[arg-type]
        if line.reserved:
            availability.release_sync(s, line.product_id, line.reserved)
            line.reserved = 0
            touched.append(line.product_id)
    row.status = OrderStatus.CANCELLED
    row.updated_at = utcnow()
    s.flush()
    backorders.resolve_order_sync(s, row.id, "order cancelled", None)  # type: ignore[arg-type]
    cause = backorders.Cause(f"cancel of {row.reference}")
    for product_id in touched:  # freed units go to whoever waits for them first
        availability.fill_backorders_sync(s, product_id, cause)
    availability.push_sellable_sync(s, touched)


cancel_sync = _cancel  # for services cancelling an order inside their own transaction


async def cancel(db: Database, order_id: int) -> SalesOrder:
    return await db.run(_cancel_by_id, order_id)


async def lines_of(s: AsyncSession, order_id: int) -> list[OrderLine]:
    return await s.run_sync(lines_of_sync, order_id)


def _cancel_by_id(s: Session, order_id: int) -> SalesOrder:
    row = s.get(SalesOrder, order_id)
    if row is None:
        raise NotFound("unknown_order", "Unknown order", f"no order {order_id}")
    _cancel(s, row)
    return row


async def cancel_external(
    db: Database, channel_id: int, external_id: str, *, event_id: str = "", topic: str = ""
) -> SalesOrder | None:
    """The channel cancelled an order: release it; an order we never saw is ignored.

    With an ``event_id`` the event is recorded with the cancel, and a replay of it is
    answered as the first delivery was, without cancelling again.
    """
    return await db.run(_cancel_external, channel_id, external_id, event_id, topic)


def _cancel_external(
    s: Session, channel_id: int, external_id: str, event_id: str = "", topic: str = ""
) -> SalesOrder | None:
    seen = None
    if event_id:
        seen = s.connection().execute(_SEEN, {"cid": channel_id, "eid": event_id}).first()
        if seen is not None:
            return s.get(SalesOrder, seen.order_id) if seen.order_id is not None else None
    row = _existing(s, channel_id, external_id)
    if row is not None:
        _cancel(s, row)
    if event_id:
        s.connection().execute(
            _INSERT_EVENT,
            {
                "channel_id": channel_id,
                "event_id": event_id[:120],
                "topic": topic[:60],
                "order_external_id": external_id,
                "status": "done",
                "attempts": 0,
                "error": "",
                "order_id": row.id if row is not None else None,
                "received_at": utcnow(),
            },
        )
    return row


async def get(db: Database, order_id: int) -> tuple[SalesOrder, list[OrderLine], str]:
    """The order, its lines, and its channel's code."""
    async with db.read() as s:
        row = await s.get(SalesOrder, order_id)
        if row is None:
            raise NotFound("unknown_order", "Unknown order", f"no order {order_id}")
        code = await s.scalar(select(Channel.code).where(Channel.id == row.channel_id))
        return row, await lines_of(s, order_id), code or ""


async def intake_many(db: Database, channel_code: str, batch: list[OrderIn]) -> list[IntakeResult]:
    """Several orders in one transaction (a CSV import): all are taken, or none."""
    for order in batch:
        _validate(order)
    return await db.run_long(
        lambda s: [_intake(s, channel_code, order, "", "csv") for order in batch]
    )
