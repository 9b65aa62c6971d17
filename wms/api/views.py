"""The order answer built from its rows (one place, so every endpoint agrees)."""

from __future__ import annotations

from wms.api.answers.orders import Attribution, Line, Money, OrderView, ShipTo
from wms.models import OrderLine, SalesOrder


def order_view(order: SalesOrder, lines: list[OrderLine], channel_code: str = "") -> OrderView:
    return OrderView(
        id=order.id,  # type: ignore[arg-type]
        channel=channel_code,
        external_id=order.external_id,
        reference=order.reference,
        status=order.status,
        channel_status=order.channel_status,
        priority=order.priority,
        placed_at=order.placed_at.isoformat() if order.placed_at else None,
        ship_by=order.ship_by.isoformat() if order.ship_by else None,
        carrier=order.carrier,
        service=order.service,
        ship_to=ShipTo(
            name=order.ship_name,
            line1=order.ship_line1,
            line2=order.ship_line2,
            city=order.ship_city,
            region=order.ship_region,
            postal_code=order.ship_postal_code,
            country=order.ship_country,
            masked=order.ship_masked,
        ),
        currency=order.currency,
        money=Money(
            subtotal=str(order.subtotal),
            shipping=str(order.shipping),
            discount=str(order.discount),
            tax=str(order.tax),
            total=str(order.total),
            channel_fee=str(order.channel_fee),
        ),
        attribution=Attribution(
            creator=order.creator,
            content_type=order.content_type,
            content_id=order.content_id,
            commission=str(order.commission),
        ),
        lines=[
            Line(
                line_no=line.line_no,
                sku=line.sku,
                name=line.name,
                qty=line.qty,
                unit_price=str(line.unit_price),
                reserved=line.reserved,
                backordered=line.backordered,
                allocated=line.allocated,
                picked=line.picked,
                packed=line.packed,
            )
            for line in lines
        ],
    )
