"""The merchant's own shop: the JSON order payload and our own webhook signature.

Signature (our design, Stripe-like so it resists replays): header
``X-WMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, signed)>`` where
``signed = "<t>.<event id>.<topic>." + raw body``: the timestamp, the ``X-WMS-Event-Id``
(required, dedupe key) and the ``X-WMS-Topic`` (``order.created`` when absent,
``order.updated``, ``order.cancelled`` whose body may be just ``{"order_id": "…"}``) are
all signed, so none can be changed or moved onto another body. A request older or newer
than ``TOLERANCE_S`` is refused; a replayed event id, inside the window, is answered with
what the first delivery did and acts no more (``services.intake``). The same header signs
the pushes we send to the shop (see ``pushes``; their topic is the path: ``stock``,
``tracking``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from wms.channels.common import (
    check_signature,
    decode_json_object,
    hmac_hex,
    lower_headers,
    merge_lines,
    require_header,
    require_secret,
)
from wms.channels.config import ChannelConfig
from wms.channels.errors import BadPayload, BadSignature, UnknownTopic
from wms.channels.events import EventKind, WebhookEvent
from wms.domain.bounds import money_in_range
from wms.domain.orders import (
    Address,
    Attribution,
    ChannelKind,
    OrderIn,
    OrderLineIn,
    OrderStatus,
)

TOLERANCE_S = 300
SIGNATURE_HEADER = "X-WMS-Signature"
EVENT_ID_HEADER = "X-WMS-Event-Id"
TOPIC_HEADER = "X-WMS-Topic"
DEFAULT_TOPIC = "order.created"

# msgspec cannot bound a Decimal: the non-negative check lives in __post_init__.
Money = Decimal
Text = Annotated[str, msgspec.Meta(max_length=200)]


def _non_negative(**amounts: Decimal) -> None:
    for name, value in amounts.items():
        money_in_range(value, name)  # an AmountOutOfRange is a ValueError: msgspec reports it
        if value < 0:
            raise ValueError(f"{name} must be a finite amount >= 0")


class OwnLine(msgspec.Struct, forbid_unknown_fields=True):
    sku: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    qty: Annotated[int, msgspec.Meta(gt=0, le=100_000)]
    unit_price: Money
    name: Text = ""
    line_id: Text = ""
    discount: Money = Decimal("0")
    gift: bool = False  # given away with the order: no revenue, full cost

    def __post_init__(self) -> None:
        _non_negative(unit_price=self.unit_price, discount=self.discount)
        if self.discount > self.unit_price * self.qty:
            raise ValueError("discount exceeds the line amount")


class OwnAddress(msgspec.Struct, forbid_unknown_fields=True):
    name: Text
    line1: Text
    city: Text
    postal_code: Annotated[str, msgspec.Meta(max_length=20)]
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]
    line2: Text = ""
    region: Text = ""
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""


class OwnAttribution(msgspec.Struct, forbid_unknown_fields=True):
    creator: Text = ""
    content_type: Literal["", "VIDEO", "LIVE", "SHOP"] = ""
    content_id: Text = ""
    commission: Money = Decimal("0")

    def __post_init__(self) -> None:
        _non_negative(commission=self.commission)


class OwnOrderPayload(msgspec.Struct, forbid_unknown_fields=True):
    """POST /api/v1/orders and own-shop webhooks. Money as strings or numbers."""

    order_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^\S+$")]
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
    lines: Annotated[list[OwnLine], msgspec.Meta(min_length=1, max_length=500)]
    ship_to: OwnAddress
    status: Literal["ready", "awaiting_payment", "on_hold", "cancelled"] = "ready"
    reference: Text = ""
    placed_at: datetime | None = None
    ship_by: datetime | None = None
    priority: Annotated[int, msgspec.Meta(ge=0, le=9)] = 0
    carrier: Text = ""
    service: Text = ""
    shipping: Money = Decimal("0")
    discount: Money = Decimal("0")
    tax: Money = Decimal("0")
    total: Money | None = None  # computed from the lines when absent
    attribution: OwnAttribution | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    sample: bool = False  # a sample sent to a creator: no revenue, full cost

    def __post_init__(self) -> None:
        _non_negative(shipping=self.shipping, discount=self.discount, tax=self.tax)
        if self.total is not None:
            _non_negative(total=self.total)

    def to_order_in(self) -> OrderIn:
        for when in (self.placed_at, self.ship_by):
            if when is not None and when.tzinfo is None:
                raise BadPayload("placed_at and ship_by need a time zone offset")
        lines = merge_lines(
            OrderLineIn(
                sku=line.sku,
                qty=line.qty,
                unit_price=line.unit_price,
                external_line_ids=(line.line_id,) if line.line_id else (),
                channel_product_ref=line.sku,
                name=line.name,
                discount=line.discount,
                gift=line.gift,
            )
            for line in self.lines
        )
        subtotal = sum((line.unit_price * line.qty - line.discount for line in lines), Decimal(0))
        total = self.total
        if total is None:
            total = subtotal + self.shipping + self.tax - self.discount
        a = self.attribution or OwnAttribution()
        s = self.ship_to
        return OrderIn(
            channel_kind=ChannelKind.OWN,
            external_id=self.order_id,
            status=OrderStatus(self.status),
            currency=self.currency,
            lines=lines,
            reference=self.reference or self.order_id,
            placed_at=self.placed_at,
            ship_by=self.ship_by,
            priority=self.priority,
            carrier=self.carrier,
            service=self.service,
            ship_to=Address(
                name=s.name,
                line1=s.line1,
                line2=s.line2,
                city=s.city,
                region=s.region,
                postal_code=s.postal_code,
                country=s.country,
                phone=s.phone,
                email=s.email,
            ),
            subtotal=subtotal,
            shipping=self.shipping,
            discount=self.discount,
            tax=self.tax,
            total=total,
            attribution=Attribution(a.creator, a.content_type, a.content_id, a.commission),
            channel_status=self.status,
            note=self.note,
            sample=self.sample,
        )


def decode_order(body: bytes) -> OwnOrderPayload:
    """Strict decoding with a readable message (``$.lines[0].qty`` …) on failure."""
    try:
        return msgspec.json.decode(body, type=OwnOrderPayload)
    except msgspec.ValidationError as exc:
        raise BadPayload(f"invalid order: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise BadPayload(f"malformed JSON: {exc}") from exc


def parse_order(body: bytes) -> OrderIn:
    return decode_order(body).to_order_in()


def signed_content(timestamp: int, event_id: str, topic: str, body: bytes) -> bytes:
    """What the HMAC covers: timestamp, event id and topic, then the raw body."""
    return f"{timestamp}.{event_id}.{topic}.".encode() + body


def signature_header(
    secret: str, body: bytes, timestamp: int | None = None, *, event_id: str, topic: str
) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={hmac_hex(secret, signed_content(t, event_id, topic, body))}"


def _event_and_topic(h: Mapping[str, str]) -> tuple[str, str]:
    return (
        h.get(EVENT_ID_HEADER.lower(), "").strip(),
        h.get(TOPIC_HEADER.lower(), "").strip() or DEFAULT_TOPIC,
    )


def verify_signature(
    config: ChannelConfig, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> None:
    h = lower_headers(headers)
    given = require_header(h, SIGNATURE_HEADER)
    secret = require_secret(config.secret, config.code)
    parts = dict(p.strip().partition("=")[::2] for p in given.split(","))
    try:
        t = int(parts["t"])
        v1 = parts["v1"]
    except (KeyError, ValueError):
        raise BadSignature(f"{SIGNATURE_HEADER} must be t=<unix>,v1=<hex>") from None
    event_id, topic = _event_and_topic(h)
    check_signature(v1, hmac_hex(secret, signed_content(t, event_id, topic, body)))
    # Checked after the HMAC so an attacker learns nothing from the time answer.
    if abs((time.time() if now is None else now) - t) > TOLERANCE_S:
        raise BadSignature("signature timestamp outside the tolerance window")


def parse_webhook(
    config: ChannelConfig, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> WebhookEvent:
    verify_signature(config, headers, body, now=now)
    event_id, topic = _event_and_topic(lower_headers(headers))
    if not event_id:
        raise BadPayload("missing X-WMS-Event-Id")
    if topic == "order.cancelled":
        order_id = str(decode_json_object(body).get("order_id") or "").strip()
        if not order_id:
            raise BadPayload("order.cancelled needs order_id")
        return WebhookEvent(
            ChannelKind.OWN,
            event_id,
            topic,
            EventKind.CANCEL,
            order_id,
            status=OrderStatus.CANCELLED,
        )
    if topic not in ("order.created", "order.updated"):
        raise UnknownTopic(f"unknown own-shop topic {topic!r}")
    order = parse_order(body)
    kind = EventKind.CANCEL if order.status is OrderStatus.CANCELLED else EventKind.ORDER
    return WebhookEvent(
        ChannelKind.OWN,
        event_id,
        topic,
        kind,
        order.external_id,
        order,
        channel_status=order.channel_status,
        status=order.status,
    )
