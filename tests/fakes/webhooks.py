"""Correctly signed webhook requests (headers + raw body), as each channel sends them."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from wms.channels import own
from wms.channels.common import hmac_b64
from wms.channels.config import ChannelConfig
from wms.channels.tiktok_sign import webhook_signature
from wms.domain.orders import ChannelKind

DEFAULT_TOPIC = {
    ChannelKind.SHOPIFY: "orders/create",
    ChannelKind.WOOCOMMERCE: "order.created",
    ChannelKind.OWN: "order.created",
}


def _body(payload: dict[str, Any] | bytes) -> bytes:
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def signed_webhook(
    config: ChannelConfig,
    payload: dict[str, Any] | bytes,
    *,
    topic: str | None = None,
    event_id: str | None = None,
    timestamp: int | None = None,
) -> tuple[dict[str, str], bytes]:
    """Headers and body for POST /webhooks/{config.code}. TikTok's event id is in the body."""
    body = _body(payload)
    event = event_id or str(uuid.uuid4())
    kind = config.kind
    headers = {"Content-Type": "application/json"}
    if kind is ChannelKind.TIKTOK:
        headers["Authorization"] = webhook_signature(config.app_key, config.secret, body)
    elif kind is ChannelKind.SHOPIFY:
        headers.update(
            {
                "X-Shopify-Topic": topic or DEFAULT_TOPIC[kind],
                "X-Shopify-Hmac-Sha256": hmac_b64(config.secret, body),
                "X-Shopify-Shop-Domain": config.shop_id or "demo-store.myshopify.com",
                "X-Shopify-API-Version": "2024-10",
                "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                "X-Shopify-Event-Id": event,
                "X-Shopify-Triggered-At": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            }
        )
    elif kind is ChannelKind.WOOCOMMERCE:
        t = topic or DEFAULT_TOPIC[kind]
        resource, _, action = t.partition(".")
        headers.update(
            {
                "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)",
                "X-WC-Webhook-Source": "https://shop.example.com/",
                "X-WC-Webhook-Topic": t,
                "X-WC-Webhook-Resource": resource,
                "X-WC-Webhook-Event": action,
                "X-WC-Webhook-Signature": hmac_b64(config.secret, body),
                "X-WC-Webhook-ID": "12",
                "X-WC-Webhook-Delivery-ID": event,
            }
        )
    elif kind is ChannelKind.OWN:
        t = topic or DEFAULT_TOPIC[kind]
        headers.update(
            {
                own.SIGNATURE_HEADER: own.signature_header(
                    config.secret, body, timestamp, event_id=event, topic=t
                ),
                own.EVENT_ID_HEADER: event,
                own.TOPIC_HEADER: t,
            }
        )
    return headers, body


def woo_ping(webhook_id: int = 12) -> tuple[dict[str, str], bytes]:
    """The unsigned form post WooCommerce sends when a webhook is saved."""
    headers = {
        "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return headers, f"webhook_id={webhook_id}".encode()
