"""One entry point for every channel's webhook: verify the raw body, then parse."""

from __future__ import annotations

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
