"""The one order shape and status vocabulary every channel is mapped to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class OrderStatus(StrEnum):
    """Where an order stands in the warehouse, whatever channel it came from."""

    AWAITING_PAYMENT = "awaiting_payment"  # channel has not captured payment yet; stock is held
    ON_HOLD = "on_hold"  # channel or merchant hold (fraud review, TikTok's cancel window)
    READY = "ready"  # every line reserved, can go into a wave
    BACKORDERED = "backordered"  # at least one unit could not be reserved
    IN_WAVE = "in_wave"  # released to the floor, pick tasks exist
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"  # handed to the carrier
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


OPEN_STATUSES = frozenset(
    {
        OrderStatus.AWAITING_PAYMENT,
        OrderStatus.ON_HOLD,
        OrderStatus.READY,
        OrderStatus.BACKORDERED,
    }
)
"""Statuses in which an order still holds a reservation but no floor work."""


class ChannelKind(StrEnum):
    TIKTOK = "tiktok"
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    OWN = "own"  # the merchant's own shop, through our JSON API or CSV
    GENERIC_REST = "generic_rest"  # any shop speaking wms/channels/README.md's plain REST


@dataclass(frozen=True)
class Address:
    name: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    phone: str = ""
    email: str = ""
    masked: bool = False  # the channel hides parts of it (TikTok ships for the seller)


@dataclass(frozen=True)
class OrderLineIn:
    sku: str
    qty: int
    unit_price: Decimal
    external_line_ids: tuple[str, ...] = ()  # channel line ids (TikTok: one per unit)
    channel_product_ref: str = ""  # channel's product / variant / sku id, for pushes
    name: str = ""
    discount: Decimal = Decimal("0")  # all discounts on the line, whoever funds them
    platform_discount: Decimal = Decimal("0")  # the part of `discount` the platform pays back
    gift: bool = False  # given away: no revenue, full cost


@dataclass(frozen=True)
class Attribution:
    """Who sold it: the creator and the content (video, live) behind a sale."""

    creator: str = ""
    content_type: str = ""  # VIDEO | LIVE | SHOP
    content_id: str = ""
    commission: Decimal = Decimal("0")


@dataclass(frozen=True)
class OrderIn:
    """An order as a channel hands it to us, already mapped to our vocabulary."""

    channel_kind: ChannelKind
    external_id: str
    status: OrderStatus
    currency: str
    lines: tuple[OrderLineIn, ...]
    reference: str = ""  # what the customer sees (Shopify "#1001")
    placed_at: datetime | None = None
    ship_by: datetime | None = None
    priority: int = 0  # higher first
    carrier: str = ""
    service: str = ""
    ship_to: Address = field(default_factory=Address)
    subtotal: Decimal = Decimal("0")
    shipping: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")
    total: Decimal = Decimal("0")
    attribution: Attribution = field(default_factory=Attribution)
    channel_status: str = ""  # the channel's own word, kept for support
    note: str = ""
    sample: bool = False  # a sample sent to a creator: no revenue, full cost
