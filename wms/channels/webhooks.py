"""One entry point for every channel's webhook: verify the raw body, then parse."""

from __future__ import annotations

import json
from collections.abc import Mapping

from wms.channels import own, shopify, tiktok, woocommerce
from wms.channels.config import ChannelConfig
from wms.channels.errors import ConfigError
from wms.channels.events import WebhookEvent
from wms.domain.orders import ChannelKind


def parse_webhook(
    config: ChannelConfig, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> WebhookEvent:
    """Verify the signature on ``body`` (the raw bytes, before any JSON parsing) and map it.

    Raises ``BadSignature``/``MissingSignature`` (401), ``BadPayload`` (400),
    ``UnknownTopic`` (answer 200 and log). ``now`` is for the own shop's replay window.
    """
    match config.kind:
        case ChannelKind.TIKTOK:
            return tiktok.parse_webhook(config, headers, body)
        case ChannelKind.SHOPIFY:
            return shopify.parse_webhook(config, headers, body)
        case ChannelKind.WOOCOMMERCE:
            return woocommerce.parse_webhook(config, headers, body)
        case ChannelKind.OWN:
            return own.parse_webhook(config, headers, body, now=now)
    raise ConfigError(f"no webhook parser for {config.kind}")


def shop_key(kind: ChannelKind, headers: Mapping[str, str], body: bytes) -> str:
    """Which shop of an app a delivery is for ("" when it does not say), before verifying.

    One TikTok Shop app serves many shops (the envelope's ``shop_id``), one Shopify app
    many stores (``X-Shopify-Shop-Domain``), one WMS many WooCommerce sites
    (``X-WC-Webhook-Source``). The shop chosen by it supplies the secret that verifies.
    """
    h = {k.lower(): v for k, v in headers.items()}
    if kind is ChannelKind.TIKTOK:
        try:
            envelope = json.loads(body)
        except ValueError:
            return ""  # the parser refuses it with the right problem
        return normal_shop(str(envelope.get("shop_id") or "")) if isinstance(envelope, dict) else ""
    if kind is ChannelKind.SHOPIFY:
        return normal_shop(h.get("x-shopify-shop-domain", ""))
    if kind is ChannelKind.WOOCOMMERCE:
        return normal_shop(h.get("x-wc-webhook-source", ""))
    return ""


def normal_shop(value: str) -> str:
    """Shop ids, domains and site URLs compared the way the channels write them."""
    return value.strip().lower().rstrip("/")
