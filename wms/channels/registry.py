"""Channel adapters by kind: the one place that knows which kinds exist.

A new channel is a module implementing ``adapter.ChannelAdapter`` and one line here.
"""

from __future__ import annotations

from wms.channels.adapter import ChannelAdapter
from wms.channels.errors import ConfigError
from wms.channels.generic_rest import GenericRestAdapter
from wms.channels.own_adapter import OwnAdapter
from wms.channels.shopify_adapter import ShopifyAdapter
from wms.channels.tiktok_adapter import TikTokAdapter
from wms.channels.woocommerce_adapter import WooCommerceAdapter
from wms.domain.orders import ChannelKind

ADAPTERS: dict[str, ChannelAdapter] = {
    adapter.kind: adapter
    for adapter in (
        TikTokAdapter(),
        ShopifyAdapter(),
        WooCommerceAdapter(),
        OwnAdapter(),
        GenericRestAdapter(),
    )
}


def adapter_for(kind: ChannelKind | str) -> ChannelAdapter:
    """The adapter of a channel kind; ``ConfigError`` for a kind nobody registered."""
    try:
        return ADAPTERS[str(kind)]
    except KeyError:
        raise ConfigError(f"no channel adapter for kind {kind!r}") from None
