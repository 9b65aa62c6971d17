"""Shopify: webhook verification, topics, REST Order object → OrderIn."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from wms.channels.common import (
    as_str,
    check_currency,
    check_signature,
    decode_json_object,
    from_iso,
    hmac_b64,
    lower_headers,
    merge_lines,
    require_header,
    require_secret,
    to_decimal,
)
from wms.channels.config import ChannelConfig
from wms.channels.errors import BadPayload, UnknownTopic
from wms.channels.events import EventKind, WebhookEvent
from wms.domain.orders import (
    Address,
    Attribution,
    ChannelKind,
    OrderIn,
    OrderLineIn,
    OrderStatus,
)

ORDER_TOPICS = {
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "orders/fulfilled",
    "orders/partially_fulfilled",
    "orders/edited",
}
IGNORED_PREFIXES = ("products/", "inventory_", "customers/", "shop/", "app/", "fulfillment")

FINANCIAL_STATUS = {
    "pending": OrderStatus.AWAITING_PAYMENT,
    "partially_paid": OrderStatus.AWAITING_PAYMENT,
    # authorized: captured at fulfilment by many merchants; the money is secured.
    "authorized": OrderStatus.READY,
    "paid": OrderStatus.READY,
    "partially_refunded": OrderStatus.READY,
    "refunded": OrderStatus.CANCELLED,  # RETURNED when it had been fulfilled
    "voided": OrderStatus.CANCELLED,
}


def verify_signature(config: ChannelConfig, headers: Mapping[str, str], body: bytes) -> None:
    """``X-Shopify-Hmac-Sha256`` = base64 HMAC-SHA256(app secret, raw body)."""
    given = require_header(lower_headers(headers), "X-Shopify-Hmac-Sha256")
    check_signature(given, hmac_b64(require_secret(config.secret, config.code), body))


def map_status(order: dict[str, Any]) -> OrderStatus:
    if order.get("cancelled_at"):
        return OrderStatus.CANCELLED
    financial = as_str(order.get("financial_status")) or "pending"
    fulfilled = order.get("fulfillment_status") == "fulfilled"
    if financial == "refunded" and fulfilled:
        return OrderStatus.RETURNED
    try:
        status = FINANCIAL_STATUS[financial]
    except KeyError:
        raise BadPayload(f"unknown Shopify financial_status {financial!r}") from None
    if fulfilled and status is OrderStatus.READY:
        return OrderStatus.SHIPPED  # fulfilled outside the WMS
    return status


def _address(order: dict[str, Any]) -> Address:
    raw = order.get("shipping_address") or order.get("billing_address") or {}
    if not isinstance(raw, dict):
        raise BadPayload("Shopify shipping_address is not an object")
    name = as_str(raw.get("name")) or " ".join(
        v for v in (as_str(raw.get("first_name")), as_str(raw.get("last_name"))) if v
    )
    company = as_str(raw.get("company"))
    return Address(
        name=f"{name} ({company})" if company and name else name or company,
        line1=as_str(raw.get("address1")),
        line2=as_str(raw.get("address2")),
        city=as_str(raw.get("city")),
        region=as_str(raw.get("province_code")) or as_str(raw.get("province")),
        postal_code=as_str(raw.get("zip")),
        country=as_str(raw.get("country_code")).upper(),
        phone=as_str(raw.get("phone")) or as_str(order.get("phone")),
        email=as_str(order.get("email")) or as_str(order.get("contact_email")),
    )


def _lines(order: dict[str, Any]) -> tuple[OrderLineIn, ...]:
    items = order.get("line_items")
    if not isinstance(items, list) or not items:
        raise BadPayload(f"Shopify order {order.get('id')} has no line_items")
    lines: list[OrderLineIn] = []
    for item in items:
        if not isinstance(item, dict) or item.get("id") is None:
            raise BadPayload("Shopify line item without id")
        if item.get("requires_shipping") is False or item.get("gift_card"):
            continue  # nothing leaves the warehouse for digital goods and gift cards
        what = f"line {item['id']}"
        qty = item.get("quantity")
        # fulfillable_quantity would drop units already shipped elsewhere; we want the order.
        if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
            raise BadPayload(f"{what} quantity must be a positive integer")
        lines.append(
            OrderLineIn(
                sku=as_str(item.get("sku")),
                qty=qty,
                unit_price=to_decimal(item.get("price"), f"{what} price"),
                external_line_ids=(as_str(item["id"]),),
                channel_product_ref=as_str(item.get("variant_id")),
                name=as_str(item.get("name")) or as_str(item.get("title")),
                discount=to_decimal(item.get("total_discount"), f"{what} discount", Decimal(0)),
            )
        )
    return merge_lines(lines)  # empty when only digital goods: nothing for the warehouse


def _attribution(order: dict[str, Any]) -> Attribution:
    """Creator/content from note_attributes, else from utm_* on the landing site."""
    notes = {
        as_str(a.get("name")).lower(): as_str(a.get("value"))
        for a in order.get("note_attributes") or []
        if isinstance(a, dict)
    }
    landing = as_str(order.get("landing_site"))
    utm = {k: v[0] for k, v in parse_qs(urlsplit(landing).query).items() if v}
    creator = notes.get("creator") or notes.get("utm_source") or utm.get("utm_source", "")
    return Attribution(
        creator=creator,
        content_type=(notes.get("content_type") or notes.get("utm_medium") or "").upper(),
        content_id=notes.get("content_id")
        or notes.get("utm_content")
        or utm.get("utm_content")
        or utm.get("utm_campaign", ""),
    )


def map_order(order: dict[str, Any]) -> OrderIn:
    """The REST Order object (the body of orders/* webhooks) → OrderIn."""
    if order.get("id") is None:
        raise BadPayload("Shopify order without id")
    zero = Decimal("0")
    shipping_lines = [s for s in order.get("shipping_lines") or [] if isinstance(s, dict)]
    shipping = sum(
        (to_decimal(s.get("price"), "shipping_lines.price", zero) for s in shipping_lines), zero
    )
    first_ship = shipping_lines[0] if shipping_lines else {}
    source = as_str(first_ship.get("source")).lower()
    return OrderIn(
        channel_kind=ChannelKind.SHOPIFY,
        external_id=as_str(order["id"]),
        status=map_status(order),
        currency=check_currency(order.get("currency")),
        lines=_lines(order),
        reference=as_str(order.get("name")) or as_str(order.get("order_number")),
        placed_at=from_iso(order.get("created_at"), "created_at"),
        # source is the rate's origin: "shopify" for merchant-defined rates (no carrier chosen),
        # a carrier's name ("usps", "ups") for carrier-calculated ones.
        carrier="" if source in ("", "shopify") else source,
        service=as_str(first_ship.get("title")),
        ship_to=_address(order),
        subtotal=to_decimal(order.get("subtotal_price"), "subtotal_price", zero),
        shipping=shipping,
        discount=to_decimal(order.get("total_discounts"), "total_discounts", zero),
        tax=to_decimal(order.get("total_tax"), "total_tax", zero),
        total=to_decimal(order.get("total_price"), "total_price"),
        attribution=_attribution(order),
        channel_status=as_str(order.get("financial_status")),
        note=as_str(order.get("note")),
    )


def parse_webhook(config: ChannelConfig, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
    verify_signature(config, headers, body)
    h = lower_headers(headers)
    topic = h.get("x-shopify-topic", "").strip()
    # Shopify: a retried delivery keeps its event id; the webhook id is per delivery.
    event_id = h.get("x-shopify-event-id", "").strip() or h.get("x-shopify-webhook-id", "").strip()
    if not topic or not event_id:
        raise BadPayload("missing X-Shopify-Topic or X-Shopify-Event-Id/-Webhook-Id")
    payload = decode_json_object(body)

    def event(kind: EventKind, order_id: Any, order: OrderIn | None = None) -> WebhookEvent:
        return WebhookEvent(
            channel_kind=ChannelKind.SHOPIFY,
            event_id=event_id,
            topic=topic,
            kind=kind,
            external_order_id=as_str(order_id),
            order=order,
            channel_status=order.channel_status if order else "",
            status=order.status if order else None,
        )

    if topic in ORDER_TOPICS:
        order = map_order(payload)
        if not order.lines:
            return event(EventKind.IGNORED, order.external_id)
        kind = {
            OrderStatus.CANCELLED: EventKind.CANCEL,
            OrderStatus.RETURNED: EventKind.RETURN,
        }.get(order.status, EventKind.ORDER)
        return event(kind, order.external_id, order)
    if topic == "orders/delete":
        return event(EventKind.CANCEL, payload.get("id"))
    if topic == "refunds/create":
        return event(EventKind.RETURN, payload.get("order_id"))
    if topic.startswith(IGNORED_PREFIXES):
        return event(EventKind.IGNORED, "")
    raise UnknownTopic(f"unknown Shopify topic {topic!r}")
