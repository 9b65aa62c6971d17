"""TikTok Shop as a channel adapter: webhooks, order fetch, inventory updates, packages.

Stock: one signed ``/product/202309/products/{product_id}/inventory/update`` per product
carrying all its SKUs (≤ 100). Tracking: ``/fulfillment/202309/orders/{id}/packages``.
Tracking events: none — for seller-shipped orders TikTok follows the shipping provider.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import httpx

from wms.channels import tiktok, tiktok_api
from wms.channels.adapter import BaseAdapter, StockItem, StockLevel, TrackingPush
from wms.channels.common import normal_shop
from wms.channels.config import ChannelConfig
from wms.channels.errors import ConfigError
from wms.channels.events import WebhookEvent
from wms.channels.outbound import OutboundRequest, api_base, digits
from wms.domain.orders import ChannelKind, OrderIn


class TikTokAdapter(BaseAdapter):
    kind: ClassVar[ChannelKind] = ChannelKind.TIKTOK
    max_stock_items: ClassVar[int] = 100  # SKUs of one product per call, kept small
    settles_by_statement: ClassVar[bool] = True

    def parse_webhook(
        self,
        config: ChannelConfig,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: float | None = None,
    ) -> WebhookEvent:
        return tiktok.parse_webhook(config, headers, body)

    def shop_key(self, headers: Mapping[str, str], body: bytes) -> str:
        # One TikTok Shop app serves many shops: the envelope's shop_id says which.
        try:
            envelope = json.loads(body)
        except ValueError:
            return ""  # the parser refuses it with the right problem
        if not isinstance(envelope, dict):
            return ""
        return normal_shop(str(envelope.get("shop_id") or ""))

    async def fetch_orders(
        self, config: ChannelConfig, order_ids: Iterable[str], client: httpx.AsyncClient
    ) -> list[OrderIn]:
        return await tiktok_api.get_order_details(config, order_ids, client)

    async def fetch_statement(
        self, config: ChannelConfig, order_id: str, client: httpx.AsyncClient
    ) -> dict[str, Any]:
        return await tiktok_api.get_statement(config, order_id, client)

    def check_stock_config(self, config: ChannelConfig) -> None:
        api_base(config)
        tiktok_api.check_credentials(config)

    def stock_item(self, config: ChannelConfig, level: StockLevel) -> StockItem:
        listing = level.listing
        product = digits(listing.product_ref, "TikTok product_id")
        if not listing.variant_ref:
            raise ConfigError(f"TikTok listing of {listing.sku} has no sku_id")
        inventory = [{"warehouse_id": config.warehouse_id, "quantity": level.sellable}]
        return (product,), listing.variant_ref, {"id": listing.variant_ref, "inventory": inventory}

    def stock_request(
        self,
        config: ChannelConfig,
        group: tuple[str, ...],
        items: list[dict[str, Any]],
        key: str,
    ) -> OutboundRequest:
        path = f"/product/202309/products/{group[0]}/inventory/update"
        return tiktok_api.tiktok_request(
            config, "POST", path, payload={"skus": items}, event_id=key
        )

    def tracking_request(
        self, config: ChannelConfig, push: TrackingPush, event_id: str
    ) -> OutboundRequest:
        payload: dict[str, Any] = {
            "tracking_number": push.tracking_number,
            "shipping_provider_id": push.carrier,
        }
        if push.line_refs:
            payload["order_line_item_ids"] = list(push.line_refs)
        path = f"/fulfillment/202309/orders/{push.order_external_id}/packages"
        return tiktok_api.tiktok_request(config, "POST", path, payload=payload, event_id=event_id)
