"""JSON shapes the API returns for orders (one place, so every endpoint agrees)."""

from __future__ import annotations

from typing import Any

from wms.models import OrderLine, SalesOrder


def order_view(order: SalesOrder, lines: list[OrderLine], channel_code: str = "") -> dict[str, Any]:
    return {
        "id": order.id,
        "channel": channel_code,
        "external_id": order.external_id,
        "reference": order.reference,
        "status": order.status,
        "channel_status": order.channel_status,
        "priority": order.priority,
        "placed_at": order.placed_at.isoformat() if order.placed_at else None,
        "ship_by": order.ship_by.isoformat() if order.ship_by else None,
        "carrier": order.carrier,
        "service": order.service,
        "ship_to": {
            "name": order.ship_name,
            "line1": order.ship_line1,
            "line2": order.ship_line2,
            "city": order.ship_city,
            "region": order.ship_region,
            "postal_code": order.ship_postal_code,
            "country": order.ship_country,
            "masked": order.ship_masked,
        },
        "currency": order.currency,
        "money": {
            "subtotal": str(order.subtotal),
            "shipping": str(order.shipping),
            "discount": str(order.discount),
            "tax": str(order.tax),
            "total": str(order.total),
            "channel_fee": str(order.channel_fee),
        },
        "attribution": {
            "creator": order.creator,
            "content_type": order.content_type,
            "content_id": order.content_id,
            "commission": str(order.commission),
        },
        "lines": [
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "name": line.name,
                "qty": line.qty,
                "unit_price": str(line.unit_price),
                "reserved": line.reserved,
                "backordered": line.backordered,
                "allocated": line.allocated,
                "picked": line.picked,
                "packed": line.packed,
            }
            for line in lines
        ],
    }
