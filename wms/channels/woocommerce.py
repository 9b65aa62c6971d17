"""WooCommerce: webhook verification (and the unsigned creation ping), order → OrderIn."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

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
from wms.channels.errors import BadPayload, BadSignature, UnknownTopic
from wms.channels.events import EventKind, WebhookEvent
from wms.domain.orders import Address, ChannelKind, OrderIn, OrderLineIn, OrderStatus

# WC_Webhook::deliver_ping() posts exactly this, unsigned, when a webhook is saved.
PING_RE = re.compile(rb"^webhook_id=(\d+)$")

STATUS_MAP = {
    "pending": OrderStatus.AWAITING_PAYMENT,
    "checkout-draft": OrderStatus.AWAITING_PAYMENT,
    "on-hold": OrderStatus.ON_HOLD,  # usually awaiting a bank transfer / cheque
    "processing": OrderStatus.READY,
    "completed": OrderStatus.SHIPPED,  # completed outside the WMS
    "cancelled": OrderStatus.CANCELLED,
    "failed": OrderStatus.CANCELLED,  # payment failed: release the stock; a retry re-opens it
    "trash": OrderStatus.CANCELLED,
    "refunded": OrderStatus.CANCELLED,  # RETURNED when it had been completed
}
IGNORED_RESOURCES = {"product", "coupon", "customer", "action"}


def is_ping(headers: Mapping[str, str], body: bytes) -> bool:
    h = lower_headers(headers)
    return "x-wc-webhook-signature" not in h and PING_RE.match(body.strip()) is not None


def _specialchars_decode(secret: str) -> str:
    """WordPress's wp_specialchars_decode(…, ENT_QUOTES): WooCommerce signs with this form."""
    for entity, char in (
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", '"'),
        ("&#039;", "'"),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&amp;", "&"),
    ):
        secret = secret.replace(entity, char)
    return secret


def verify_signature(config: ChannelConfig, headers: Mapping[str, str], body: bytes) -> None:
    """``X-WC-Webhook-Signature`` = base64 HMAC-SHA256(webhook secret, raw body).

    WC_Webhook::generate_signature keys the HMAC with wp_specialchars_decode(secret): a secret
    saved with ``&amp;`` in it signs with ``&``. Both forms are accepted.
    """
    given = require_header(lower_headers(headers), "X-WC-Webhook-Signature")
    secret = require_secret(config.secret, config.code)
    decoded = _specialchars_decode(secret)
    if decoded != secret:
        try:
            check_signature(given, hmac_b64(decoded, body))
            return
        except BadSignature:
            pass
    check_signature(given, hmac_b64(secret, body))


def event_id_for(delivery_id: str, body: bytes) -> str:
    """Delivery id + body digest.

    WooCommerce's delivery id is ``wp_hash(webhook_id . time())``: two deliveries of one
    webhook in the same second share it, so deduplicating on it alone would drop the second
    order of a spike. Core WooCommerce never redelivers, so nothing is lost by adding the body.
    """
    return f"{delivery_id}-{hashlib.sha256(body).hexdigest()[:16]}"


def map_status(order: dict[str, Any]) -> OrderStatus:
    status = as_str(order.get("status"))
    if status == "refunded" and order.get("date_completed"):
        return OrderStatus.RETURNED
    try:
        return STATUS_MAP[status]
    except KeyError:
        raise BadPayload(f"unknown WooCommerce status {status!r}") from None


def _address(order: dict[str, Any]) -> Address:
    ship = order.get("shipping") or {}
    bill = order.get("billing") or {}
    if not isinstance(ship, dict) or not isinstance(bill, dict):
        raise BadPayload("WooCommerce shipping/billing is not an object")
    # Orders for virtual goods or local pickup have an empty shipping block: use billing.
    src = ship if as_str(ship.get("address_1")) else bill
    name = " ".join(v for v in (as_str(src.get("first_name")), as_str(src.get("last_name"))) if v)
    company = as_str(src.get("company"))
    return Address(
        name=f"{name} ({company})" if company and name else name or company,
        line1=as_str(src.get("address_1")),
        line2=as_str(src.get("address_2")),
        city=as_str(src.get("city")),
        region=as_str(src.get("state")),
        postal_code=as_str(src.get("postcode")),
        country=as_str(src.get("country")).upper(),
        phone=as_str(ship.get("phone")) or as_str(bill.get("phone")),
        email=as_str(bill.get("email")),
    )


def _unit_price(subtotal: Decimal, qty: int) -> Decimal:
    unit = subtotal / qty
    exponent = unit.as_tuple().exponent
    # A subtotal that does not split evenly (10.00 / 3) is kept to 4 places, not 28.
    return unit.quantize(Decimal("0.0001")) if isinstance(exponent, int) and exponent < -4 else unit


def _lines(order: dict[str, Any]) -> tuple[OrderLineIn, ...]:
    items = order.get("line_items")
    if not isinstance(items, list) or not items:
        raise BadPayload(f"WooCommerce order {order.get('id')} has no line_items")
    lines = []
    for item in items:
        if not isinstance(item, dict) or item.get("id") is None:
            raise BadPayload("WooCommerce line item without id")
        what = f"line {item['id']}"
        qty = item.get("quantity")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
            raise BadPayload(f"{what} quantity must be a positive integer")
        # subtotal is before coupons, total after: unit price from subtotal, discount = gap.
        subtotal = to_decimal(item.get("subtotal"), f"{what} subtotal")
        total = to_decimal(item.get("total"), f"{what} total", subtotal)
        variation = as_str(item.get("variation_id"))
        lines.append(
            OrderLineIn(
                sku=as_str(item.get("sku")),
                qty=qty,
                unit_price=_unit_price(subtotal, qty),
                external_line_ids=(as_str(item["id"]),),
                channel_product_ref=variation
                if variation not in ("", "0")
                else as_str(item.get("product_id")),
                name=as_str(item.get("name")),
                discount=subtotal - total,
            )
        )
    return merge_lines(lines)


def map_order(order: dict[str, Any]) -> OrderIn:
    """The REST v3 order object (the body of order.* webhooks) → OrderIn."""
    if order.get("id") is None:
        raise BadPayload("WooCommerce order without id")
    zero = Decimal("0")
    shipping_lines = [s for s in order.get("shipping_lines") or [] if isinstance(s, dict)]
    first_ship = shipping_lines[0] if shipping_lines else {}
    lines = _lines(order)
    subtotal = sum((line.unit_price * line.qty - line.discount for line in lines), zero)
    placed = from_iso(order.get("date_created_gmt"), "date_created_gmt")
    return OrderIn(
        channel_kind=ChannelKind.WOOCOMMERCE,
        external_id=as_str(order["id"]),
        status=map_status(order),
        currency=check_currency(order.get("currency")),
        lines=lines,
        reference=as_str(order.get("number")) or as_str(order["id"]),
        placed_at=placed,
        carrier=as_str(first_ship.get("method_id")),
        service=as_str(first_ship.get("method_title")),
        ship_to=_address(order),
        subtotal=subtotal.quantize(Decimal("0.01")),
        shipping=to_decimal(order.get("shipping_total"), "shipping_total", zero),
        discount=to_decimal(order.get("discount_total"), "discount_total", zero),
        tax=to_decimal(order.get("total_tax"), "total_tax", zero),
        total=to_decimal(order.get("total"), "total"),
        channel_status=as_str(order.get("status")),
        note=as_str(order.get("customer_note")),
    )


def parse_webhook(config: ChannelConfig, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
    h = lower_headers(headers)
    ping = PING_RE.match(body.strip())
    if ping and "x-wc-webhook-signature" not in h:
        return WebhookEvent(
            channel_kind=ChannelKind.WOOCOMMERCE,
            event_id=f"ping-{ping.group(1).decode()}",
            topic="ping",
            kind=EventKind.PING,
        )
    verify_signature(config, headers, body)
    topic = h.get("x-wc-webhook-topic", "").strip()
    event_id = h.get("x-wc-webhook-delivery-id", "").strip()
    if not topic or not event_id:
        raise BadPayload("missing X-WC-Webhook-Topic or X-WC-Webhook-Delivery-ID")
    event_id = event_id_for(event_id, body)
    payload = decode_json_object(body)
    resource, _, action = topic.partition(".")

    def event(kind: EventKind, order_id: Any = "", order: OrderIn | None = None) -> WebhookEvent:
        return WebhookEvent(
            channel_kind=ChannelKind.WOOCOMMERCE,
            event_id=event_id,
            topic=topic,
            kind=kind,
            external_order_id=as_str(order_id),
            order=order,
            channel_status=order.channel_status if order else "",
            status=order.status if order else None,
        )

    if resource == "order" and action in ("created", "updated", "restored"):
        order = map_order(payload)
        kind = {
            OrderStatus.CANCELLED: EventKind.CANCEL,
            OrderStatus.RETURNED: EventKind.RETURN,
        }.get(order.status, EventKind.ORDER)
        return event(kind, order.external_id, order)
    if resource == "order" and action == "deleted":
        return event(EventKind.CANCEL, payload.get("id"))
    if resource in IGNORED_RESOURCES:
        return event(EventKind.IGNORED)
    raise UnknownTopic(f"unknown WooCommerce topic {topic!r}")
