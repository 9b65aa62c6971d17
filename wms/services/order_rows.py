"""An order's rows: the statements intake and later changes share, the order's values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from wms.channels import fees
from wms.domain.orders import OrderIn
from wms.errors import NotFound
from wms.models import Channel, InboundEvent, OrderLine, Product, SalesOrder
from wms.models.common import utcnow
from wms.services.channels import to_config


def channel_by_code(s: Session, code: str) -> Channel:
    ch = s.execute(select(Channel).where(Channel.code == code)).scalar_one_or_none()
    if ch is None or not ch.active:
        raise NotFound("unknown_channel", "Unknown channel", f"no active channel {code!r}")
    return ch


def existing_order(s: Session, channel_id: int, external_id: str) -> SalesOrder | None:
    return s.execute(
        select(SalesOrder).where(
            SalesOrder.channel_id == channel_id, SalesOrder.external_id == external_id
        )
    ).scalar_one_or_none()


def lines_of(s: Session, order_id: int) -> list[OrderLine]:
    return list(
        s.execute(
            select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.line_no)
        ).scalars()
    )


# Built once: a spike runs these thousands of times, and building a statement costs more
# than running it on SQLite.
# Rows, not model objects: loading an ORM entity cost more than the select itself.
CHANNEL = select(Channel.__table__).where(Channel.__table__.c.code == bindparam("code"))
SEEN = select(InboundEvent.id, InboundEvent.order_id).where(
    InboundEvent.channel_id == bindparam("cid"), InboundEvent.event_id == bindparam("eid")
)
EVENT_DONE = (
    update(InboundEvent.__table__)
    .where(InboundEvent.__table__.c.id == bindparam("event_row"))
    .values(order_id=bindparam("order_id"), status="done")
)
EXISTING = select(SalesOrder.id).where(
    SalesOrder.channel_id == bindparam("cid"), SalesOrder.external_id == bindparam("xid")
)
PRODUCTS = select(Product.id, Product.sku, Product.name, Product.unit_cost, Product.active).where(
    Product.sku.in_(bindparam("skus", expanding=True))
)
INSERT_ORDER = insert(SalesOrder.__table__).returning(SalesOrder.__table__.c.id)
INSERT_LINES = insert(OrderLine.__table__)
INSERT_EVENT = insert(InboundEvent.__table__)


def order_values(channel: Row[Any], order: OrderIn) -> dict[str, Any]:
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


def record_event(
    s: Session,
    seen: Row[Any] | None,
    channel_id: int,
    event_id: str,
    topic: str,
    external_id: str,
    order_id: int,
) -> None:
    if seen is not None:  # a notification recorded before its order was fetched
        s.connection().execute(EVENT_DONE, {"event_row": seen.id, "order_id": order_id})
        return
    s.connection().execute(
        INSERT_EVENT,
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
