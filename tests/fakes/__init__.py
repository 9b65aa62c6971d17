"""Fakes of the outside world (channel APIs, signed webhooks) speaking the real formats."""

from tests.fakes.channel_apis import FakeChannelApis, RecordedPush
from tests.fakes.payloads import (
    make_shopify_order,
    make_tiktok_order,
    make_tiktok_webhook,
    make_woo_order,
)
from tests.fakes.webhooks import signed_webhook, woo_ping

__all__ = [
    "FakeChannelApis",
    "RecordedPush",
    "make_shopify_order",
    "make_tiktok_order",
    "make_tiktok_webhook",
    "make_woo_order",
    "signed_webhook",
    "woo_ping",
]
