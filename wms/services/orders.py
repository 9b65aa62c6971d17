"""Order intake from every channel: one shape, reserved atomically, exactly once.

Later changes of a known order (a later version, the channel's status, a cancel) are in
`order_changes`; the statements both share in `order_rows`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wms.channels import fees
from wms.db import Database, long_running
from wms.domain.bounds import AmountOutOfRange, check_order_money, money_in_range
from wms.domain.orders import OrderIn, OrderStatus
from wms.errors import NotFound, WmsError
from wms.models import OrderLine, SalesOrder
from wms.reports import margin_work_sql
from wms.services import availability, backorder_history, money_facts
from wms.services.order_changes import (
    apply_channel_status,
    cancel,
    cancel_external,
    cancel_row,
    follow_later_version,
    get,
)
from wms.services.order_rows import (
    CHANNEL,
    EXISTING,
    INSERT_LINES,
    INSERT_ORDER,
    PRODUCTS,
    SEEN,
    lines_of,
    order_values,
    record_event,
)

# Changes of a known order live in `order_changes`; importable from here as before.
__all__ = ["IntakeResult", "cancel", "cancel_external", "cancel_row", "get", "intake",
           "intake_many", "lines_of"]  # fmt: skip

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
    lines = lines_of(s, order.id)  # type: ignore[arg-type]
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


def _intake(
    s: Session, channel_code: str, order: OrderIn, event_id: str, topic: str
) -> IntakeResult:
    conn = s.connection()  # Core: intake is the hot path of a spike
    channel = conn.execute(CHANNEL, {"code": channel_code}).first()
    if channel is None or not channel.active:
        raise NotFound("unknown_channel", "Unknown channel", f"no active channel {channel_code!r}")
    seen = None
    if event_id:
        seen = conn.execute(SEEN, {"cid": channel.id, "eid": event_id}).first()
        if seen is not None and seen.order_id is not None:
            existing = s.get(SalesOrder, seen.order_id)
            assert existing is not None
            return _as_found(s, existing)
    existing_id = conn.execute(EXISTING, {"cid": channel.id, "xid": order.external_id}).scalar()
    if existing_id is not None:
        existing = s.get(SalesOrder, existing_id)
        assert existing is not None
        follow_later_version(existing, channel, order)
        apply_channel_status(s, existing, order)
        if event_id:
            record_event(s, seen, channel.id, event_id, topic, order.external_id, existing_id)
        return _as_found(s, existing)

    skus = sorted({line.sku for line in order.lines})
    products = {row.sku: row for row in conn.execute(PRODUCTS, {"skus": skus})}
    missing = [sku for sku in skus if sku not in products or not products[sku].active]
    if missing:
        raise NotFound(
            "unknown_sku", "Unknown SKU", f"unknown SKU(s): {', '.join(missing)}", skus=missing
        )
    # Reserve first, so the order row is written once, with the status its lines earned.
    reserved = [
        0
        if order.status == OrderStatus.CANCELLED
        else availability.reserve(s, products[line.sku].id, line.qty)
        for line in order.lines
    ]
    values = order_values(channel, order)
    if order.status in (OrderStatus.READY, OrderStatus.BACKORDERED):
        short = any(got < line.qty for got, line in zip(reserved, order.lines, strict=True))
        values["status"] = OrderStatus.BACKORDERED if short else OrderStatus.READY
    values["id"] = conn.execute(INSERT_ORDER, values).scalar_one()
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
    conn.execute(INSERT_LINES, lines)
    if any(line["reserved"] < line["qty"] for line in lines):
        backorder_history.note(s, [values["id"]])  # an oversell avoided: its record begins
    if values["status"] in margin_work_sql.SHIPPED:  # shipped outside the WMS: no work
        margin_work_sql.keep(conn, [values["id"]])
    money_facts.record_intake(conn, values["id"], order, values["channel_fee"])
    if event_id:
        record_event(s, seen, channel.id, event_id, topic, order.external_id, values["id"])
    availability.push_sellable(s, [p.id for p in products.values()])
    return IntakeResult(
        values["id"],
        values["status"],
        True,
        lambda: (SalesOrder(**values), [OrderLine(**line) for line in lines]),
    )


async def intake_many(db: Database, channel_code: str, batch: list[OrderIn]) -> list[IntakeResult]:
    """Several orders in one transaction (a CSV import): all are taken, or none."""
    for order in batch:
        _validate(order)
    return await db.run(_intake_many, channel_code, batch)


@long_running
def _intake_many(s: Session, channel_code: str, batch: list[OrderIn]) -> list[IntakeResult]:
    return [_intake(s, channel_code, order, "", "csv") for order in batch]
