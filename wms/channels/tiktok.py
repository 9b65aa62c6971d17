"""TikTok Shop: webhook verification and parsing, Get Order Detail → OrderIn mapping."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from wms.channels.common import (
    as_str,
    check_currency,
    check_signature,
    decode_json_object,
    from_unix,
    lower_headers,
    merge_lines,
    require_header,
    require_secret,
    to_decimal,
)
from wms.channels.config import ChannelConfig
from wms.channels.errors import BadPayload, UnknownTopic
from wms.channels.events import EventKind, WebhookEvent
from wms.channels.tiktok_sign import webhook_signature
from wms.domain.orders import (
    Address,
    Attribution,
    ChannelKind,
    OrderIn,
    OrderLineIn,
    OrderStatus,
)

STATUS_MAP: dict[str, OrderStatus] = {
    "UNPAID": OrderStatus.AWAITING_PAYMENT,
    "ON_HOLD": OrderStatus.ON_HOLD,  # TikTok's cancel window: hold stock, don't pick yet
    "AWAITING_SHIPMENT": OrderStatus.READY,
    # The goods are still in our warehouse in the next two: the order still needs work.
    "PARTIALLY_SHIPPING": OrderStatus.READY,
    "AWAITING_COLLECTION": OrderStatus.READY,
    "IN_TRANSIT": OrderStatus.SHIPPED,
    "DELIVERED": OrderStatus.DELIVERED,
    "COMPLETED": OrderStatus.DELIVERED,
    "CANCELLED": OrderStatus.CANCELLED,
}

# Webhook types (202309). The number alone is not trusted: types 1 and 3 carry an order
# to fetch, anything carrying a return or cancellation id is mapped by its payload.
ORDER_TYPES = {1, 3}  # order status change, recipient address update
RETURN_TYPES = {2, 12}  # reverse order, return status change
CANCEL_TYPES = {11}  # cancellation status change
IGNORED_TYPES = {4, 5, 6, 7, 13, 14, 15, 16}  # package, product, (de)authorisation, ...


def map_status(channel_status: str) -> OrderStatus:
    try:
        return STATUS_MAP[channel_status]
    except KeyError:
        raise BadPayload(f"unknown TikTok order status {channel_status!r}") from None


def verify_signature(config: ChannelConfig, headers: Mapping[str, str], body: bytes) -> None:
    """``Authorization`` = lowercase hex HMAC-SHA256(app_secret, app_key + raw body)."""
    given = require_header(lower_headers(headers), "Authorization")
    secret = require_secret(config.secret, config.code)
    check_signature(given.lower(), webhook_signature(config.app_key, secret, body))


def parse_webhook(config: ChannelConfig, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
    """Verify, then read the envelope. Orders are not in it: ``needs_fetch`` says fetch."""
    verify_signature(config, headers, body)
    envelope = decode_json_object(body)
    event_id = as_str(envelope.get("tts_notification_id"))
    data = envelope.get("data")
    if not event_id or not isinstance(data, dict):
        raise BadPayload("TikTok envelope needs tts_notification_id and data")
    try:
        event_type = int(envelope.get("type", 0))
    except (TypeError, ValueError):
        raise BadPayload(f"TikTok type is not a number: {envelope.get('type')!r}") from None
    topic = str(event_type)
    order_id = as_str(data.get("order_id"))

    def event(kind: EventKind, status: str = "", fetch: bool = False) -> WebhookEvent:
        return WebhookEvent(
            channel_kind=ChannelKind.TIKTOK,
            event_id=event_id,
            topic=topic,
            kind=kind,
            external_order_id=order_id,
            channel_status=status,
            status=map_status(status) if status else None,
            needs_fetch=fetch,
        )

    reverse = as_str(data.get("reverse_event_type") or data.get("reverse_type")).upper()
    cancellation = any(k in data for k in ("cancellation_id", "cancellation_status"))
    if "CANCEL" in reverse or cancellation or event_type in CANCEL_TYPES:
        # A cancellation *request* changed (requested, rejected, approved): the order itself
        # says what holds now (CANCELLED, or is_buyer_request_cancel → on hold), so fetch it.
        return event(EventKind.ORDER, fetch=bool(order_id))
    if "return_id" in data or "return_status" in data or event_type in RETURN_TYPES:
        return event(EventKind.RETURN)
    if order_id and ("order_status" in data or event_type in ORDER_TYPES):
        status = as_str(data.get("order_status"))
        if status:
            map_status(status)  # reject an unknown status now, not after the fetch
        if status == "CANCELLED":
            return event(EventKind.CANCEL, status)
        return event(EventKind.ORDER, status, fetch=True)
    if event_type in IGNORED_TYPES or event_type in ORDER_TYPES:
        return event(EventKind.IGNORED)
    raise UnknownTopic(f"unknown TikTok webhook type {event_type}")


def _address(order: dict[str, Any]) -> Address:
    raw = order.get("recipient_address")
    if not isinstance(raw, dict):
        return Address()  # absent while UNPAID / ON_HOLD
    levels = {
        str(d.get("address_level", "")).upper(): as_str(d.get("address_name"))
        for d in raw.get("district_info") or []
        if isinstance(d, dict)
    }
    extra = [as_str(raw.get(k)) for k in ("address_line2", "address_line3", "address_line4")]
    name = as_str(raw.get("name"))
    phone = as_str(raw.get("phone_number"))
    line1 = (
        as_str(raw.get("address_line1"))
        or as_str(raw.get("address_detail"))
        or as_str(raw.get("full_address"))
    )
    # TikTok masks with asterisks when it ships or after delivery; TIKTOK shipping = masked.
    masked = order.get("shipping_type") == "TIKTOK" or any("*" in v for v in (name, phone, line1))
    return Address(
        name=name,
        line1=line1,
        line2=", ".join(v for v in extra if v),
        # UK addresses carry the post town the carriers want; elsewhere L3 is the city.
        city=as_str(raw.get("post_town")) or levels.get("L3") or levels.get("L2", ""),
        region=levels.get("L1", ""),
        postal_code=as_str(raw.get("postal_code")),
        country=as_str(raw.get("region_code")).upper(),
        phone=phone,
        email=as_str(order.get("buyer_email")),
        masked=masked,
    )


def _lines(order: dict[str, Any], currency: str) -> tuple[OrderLineIn, ...]:
    items = order.get("line_items")
    if not isinstance(items, list) or not items:
        raise BadPayload(f"TikTok order {order.get('id')} has no line_items")
    units: list[OrderLineIn] = []
    for item in items:
        if not isinstance(item, dict) or not item.get("id"):
            raise BadPayload("TikTok line item without id")
        if item.get("currency") and check_currency(item["currency"]) != currency:
            raise BadPayload("TikTok line item in another currency than the order")
        what = f"line {item['id']}"
        sale = to_decimal(item.get("sale_price"), f"{what} sale_price")
        original = to_decimal(item.get("original_price"), f"{what} original_price", sale)
        bundle = item.get("combined_listing_skus")
        if isinstance(bundle, list) and bundle:
            units.extend(_bundle_units(item, bundle, original, sale))
            continue
        # One TikTok line item is one unit: there is no quantity field.
        units.append(
            OrderLineIn(
                sku=as_str(item.get("seller_sku")),
                qty=1,
                unit_price=original,
                external_line_ids=(as_str(item["id"]),),
                channel_product_ref=as_str(item.get("sku_id")),
                name=as_str(item.get("product_name")),
                discount=original - sale,
                platform_discount=_platform_discount(item, original - sale),
            )
        )
    return merge_lines(units)


def _platform_discount(item: dict[str, Any], discount: Decimal) -> Decimal:
    """The part of a line's discount TikTok funds (not the seller's cost), within it."""
    funded = to_decimal(item.get("platform_discount"), "platform_discount", Decimal("0"))
    return min(max(funded, Decimal("0")), discount)


def _bundle_units(
    item: dict[str, Any], bundle: list[Any], original: Decimal, sale: Decimal
) -> list[OrderLineIn]:
    """A virtual bundle line is the components we pick: ``sku_count`` of each original SKU.

    TikTok does not split the price: the first component carries it, the others are 0,
    so the order's money still adds up.
    """
    out: list[OrderLineIn] = []
    for n, part in enumerate(bundle):
        count = part.get("sku_count") if isinstance(part, dict) else None
        if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
            raise BadPayload(f"line {item['id']} bundle component without a positive sku_count")
        unit = original / count if n == 0 else Decimal("0")
        exponent = unit.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -4:
            unit = unit.quantize(Decimal("0.0001"))
        out.append(
            OrderLineIn(
                sku=as_str(part.get("seller_sku")),
                qty=count,
                unit_price=unit,
                external_line_ids=(as_str(item["id"]),),
                channel_product_ref=as_str(part.get("sku_id")),
                name=as_str(item.get("product_name")),
                discount=original - sale if n == 0 else Decimal("0"),
                platform_discount=_platform_discount(item, original - sale)
                if n == 0
                else Decimal("0"),
            )
        )
    return out


def _ship_by(order: dict[str, Any]) -> datetime | None:
    # rts_sla_time (ready to ship) is usually the earlier one; the floor must meet both.
    times = [
        t
        for t in (
            from_unix(order.get("rts_sla_time"), "rts_sla_time"),
            from_unix(order.get("shipping_due_time"), "shipping_due_time"),
        )
        if t
    ]
    return min(times) if times else None


def map_order(order: dict[str, Any], attribution: Attribution | None = None) -> OrderIn:
    """One ``data.orders[]`` object of Get Order Detail → OrderIn."""
    if not isinstance(order, dict) or not order.get("id"):
        raise BadPayload("TikTok order without id")
    status = as_str(order.get("status"))
    payment = order.get("payment") or {}
    if not isinstance(payment, dict):
        raise BadPayload("TikTok payment is not an object")
    currency = check_currency(payment.get("currency"), "payment.currency")
    zero = Decimal("0")
    discount = to_decimal(payment.get("seller_discount"), "seller_discount", zero) + to_decimal(
        payment.get("platform_discount"), "platform_discount", zero
    )
    status_ours = map_status(status)
    notes = [as_str(order.get("buyer_message")), as_str(order.get("seller_note"))]
    if order.get("is_buyer_request_cancel") and status_ours is OrderStatus.READY:
        # The buyer asked to cancel and the seller must answer: shipping now would be waste.
        status_ours = OrderStatus.ON_HOLD
        notes.append("buyer requested cancellation")
    if order.get("is_sample_order"):
        notes.append("sample order")
    if order.get("is_cod"):
        notes.append("cash on delivery")
    return OrderIn(
        channel_kind=ChannelKind.TIKTOK,
        external_id=as_str(order["id"]),
        status=status_ours,
        currency=currency,
        lines=_lines(order, currency),
        reference=as_str(order["id"]),
        placed_at=from_unix(order.get("create_time"), "create_time"),
        ship_by=_ship_by(order),
        carrier=as_str(order.get("shipping_provider")),
        service=as_str(order.get("delivery_option_name")),
        ship_to=_address(order),
        subtotal=to_decimal(payment.get("sub_total"), "sub_total", zero),
        shipping=to_decimal(payment.get("shipping_fee"), "shipping_fee", zero),
        discount=discount,
        tax=to_decimal(payment.get("tax"), "tax", zero),
        total=to_decimal(payment.get("total_amount"), "total_amount", zero),
        attribution=attribution or Attribution(),
        channel_status=status,
        note="; ".join(n for n in notes if n),
        sample=bool(order.get("is_sample_order")),
    )


def map_affiliate_attribution(affiliate_order: dict[str, Any]) -> Attribution:
    """Attribution from one affiliate-order record (seller affiliate order search).

    Unofficial shape: ``skus[]{creator_username, content_type, content_id,
    estimated_commission{amount}}``; the first SKU with a creator wins, commissions add up.
    """
    skus = affiliate_order.get("skus") or []
    creator = next((s for s in skus if isinstance(s, dict) and s.get("creator_username")), None)
    if creator is None:
        return Attribution()
    commission = Decimal("0")
    for s in skus:
        amount = (s.get("estimated_commission") or {}).get("amount") if isinstance(s, dict) else 0
        commission += to_decimal(amount, "estimated_commission", Decimal("0"))
    return Attribution(
        creator=as_str(creator.get("creator_username")),
        content_type=as_str(creator.get("content_type")).upper(),
        content_id=as_str(creator.get("content_id")),
        commission=commission,
    )
