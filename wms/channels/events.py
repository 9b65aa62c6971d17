"""What a verified webhook means to us, whatever channel sent it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wms.domain.orders import ChannelKind, OrderIn, OrderStatus


class EventKind(StrEnum):
    ORDER = "order"  # create or update an order (for TikTok: fetch it first)
    CANCEL = "cancel"
    RETURN = "return"
    PING = "ping"  # answer 200, do nothing (WooCommerce's creation ping)
    IGNORED = "ignored"  # verified, not for us (product updates, auth notices); answer 200


@dataclass(frozen=True)
class WebhookEvent:
    channel_kind: ChannelKind
    event_id: str  # dedupe key: TikTok tts_notification_id, Shopify event id, Woo delivery id
    topic: str  # the channel's own topic / type, e.g. "orders/create", "1", "order.created"
    kind: EventKind
    external_order_id: str = ""
    order: OrderIn | None = None  # mapped order (Shopify, Woo, own); None for TikTok
    channel_status: str = ""  # e.g. TikTok's order_status in the envelope
    status: OrderStatus | None = None  # channel_status in our vocabulary, when known
    needs_fetch: bool = False  # TikTok: call tiktok_api.get_order_details(external_order_id)
