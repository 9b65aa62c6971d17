"""Generators of channel payloads in the real formats, from the fixture files, for many orders."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "channels"


@cache
def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def fixture(name: str) -> dict[str, Any]:
    """A deep copy of a JSON fixture from fixtures/channels/."""
    return copy.deepcopy(_fixture(name))


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _sku_num(sku: str) -> int:
    return int(sku.rsplit("-", 1)[-1]) if sku.rsplit("-", 1)[-1].isdigit() else 0


def make_tiktok_order(
    order_id: str,
    lines: Mapping[str, int],
    *,
    status: str = "AWAITING_SHIPMENT",
    price: str = "10.00",
) -> dict[str, Any]:
    """A Get Order Detail ``orders[]`` object: one line item per unit, as TikTok sends it."""
    order = fixture("tiktok_order_detail.json")["data"]["orders"][0]
    template = order["line_items"][0]
    items = []
    n = 0
    for sku, qty in lines.items():
        for _ in range(qty):
            n += 1
            item = dict(template)
            item.update(
                id=f"{order_id[:12]}{n:06d}",
                seller_sku=sku,
                sku_id=str(1729500000000000000 + _sku_num(sku)),
                product_id=str(1729000000000000000 + _sku_num(sku)),
                sale_price=price,
                original_price=price,
                seller_discount="0.00",
                platform_discount="0.00",
            )
            items.append(item)
    subtotal = Decimal(price) * n
    order.update(id=order_id, status=status, line_items=items)
    order["payment"].update(
        sub_total=str(subtotal),
        seller_discount="0.00",
        platform_discount="0.00",
        tax="0.00",
        total_amount=str(subtotal + Decimal(order["payment"]["shipping_fee"])),
    )
    if status in ("UNPAID", "ON_HOLD"):
        order.pop("recipient_address", None)  # TikTok withholds it until the hold ends
    return order


def make_tiktok_webhook(order_id: str, notification_id: str, status: str) -> dict[str, Any]:
    envelope = fixture("tiktok_webhook_order_status.json")
    envelope["tts_notification_id"] = notification_id
    envelope["data"].update(order_id=order_id, order_status=status)
    return envelope


def make_shopify_order(order_id: int, lines: Mapping[str, int], price: str = "10.00") -> dict:
    order = fixture("shopify_orders_create.json")
    template = order["line_items"][0]
    items = []
    for n, (sku, qty) in enumerate(lines.items(), start=1):
        item = dict(template)
        item.update(
            id=order_id * 100 + n,
            sku=sku,
            quantity=qty,
            fulfillable_quantity=qty,
            price=price,
            total_discount="0.00",
        )
        items.append(item)
    total = Decimal(price) * sum(lines.values())
    order.update(
        id=order_id,
        name=f"#{order_id}",
        order_number=order_id,
        line_items=items,
        subtotal_price=str(total),
        total_discounts="0.00",
        total_tax="0.00",
        total_price=str(total + Decimal("6.95")),
    )
    return order


def make_woo_order(order_id: int, lines: Mapping[str, int], price: str = "10.00") -> dict:
    order = fixture("woocommerce_order_created.json")
    template = order["line_items"][0]
    items = []
    for n, (sku, qty) in enumerate(lines.items(), start=1):
        item = dict(template)
        amount = str(Decimal(price) * qty)
        item.update(
            id=order_id * 100 + n,
            sku=sku,
            quantity=qty,
            subtotal=amount,
            total=amount,
            price=float(price),
        )
        items.append(item)
    total = Decimal(price) * sum(lines.values())
    order.update(
        id=order_id,
        number=str(order_id),
        line_items=items,
        discount_total="0.00",
        total_tax="0.00",
        total=str(total + Decimal(order["shipping_total"])),
    )
    return order
