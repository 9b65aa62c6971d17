"""One entry point for every channel's webhook: verify the raw body, then parse."""

from __future__ import annotations

from collections.abc import Mapping

from wms.channels.common import normal_shop
from wms.channels.config import ChannelConfig
from wms.channels.events import WebhookEvent
from wms.channels.registry import adapter_for
from wms.domain.orders import ChannelKind

__all__ = ["normal_shop", "parse_webhook", "shop_key"]


def parse_webhook(
    config: ChannelConfig, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> WebhookEvent:
    """Verify the signature on ``body`` (the raw bytes, before any JSON parsing) and map it.

    Raises ``BadSignature``/``MissingSignature`` (401), ``BadPayload`` (400),
    ``UnknownTopic`` (answer 200 and log). ``now`` is for the own shop's replay window.
    """
    return adapter_for(config.kind).parse_webhook(config, headers, body, now=now)


def shop_key(kind: ChannelKind, headers: Mapping[str, str], body: bytes) -> str:
    """Which shop of an app a delivery is for ("" when it does not say), before verifying.

    One TikTok Shop app serves many shops, one Shopify app many stores, one WMS many
    WooCommerce sites. The shop chosen by it supplies the secret that verifies.
    """
    return adapter_for(kind).shop_key(headers, body)
