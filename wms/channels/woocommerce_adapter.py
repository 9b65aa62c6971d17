"""WooCommerce as a channel adapter: webhooks, batch stock updates, order meta and notes.

Stock: ``POST /wp-json/wc/v3/products/batch`` ``{"update": [{id, stock_quantity,
manage_stock}]}`` (≤ 100 items, WooCommerce's default batch limit), variations through
``/products/<parent>/variations/batch``; each item of a batch is applied on its own.
Core WooCommerce has no tracking field: the tracking push is order meta (for plugins) and
the status "completed" (which mails the buyer); tracking events are order notes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from wms.channels import woocommerce
from wms.channels.adapter import BaseAdapter, StockBatch, StockItem, StockLevel, TrackingPush
from wms.channels.common import lower_headers, normal_shop
from wms.channels.config import ChannelConfig
from wms.channels.errors import ChannelApiError
from wms.channels.events import WebhookEvent
from wms.channels.outbound import OutboundRequest, api_base, common_headers, digits, dumps
from wms.domain.orders import ChannelKind


def _headers(config: ChannelConfig, event_id: str) -> dict[str, str]:
    # Consumer key/secret over HTTPS basic auth, WooCommerce's documented default.
    token = base64.b64encode(f"{config.app_key}:{config.access_token}".encode()).decode()
    return {**common_headers(event_id), "Authorization": f"Basic {token}"}


class WooCommerceAdapter(BaseAdapter):
    kind: ClassVar[ChannelKind] = ChannelKind.WOOCOMMERCE
    max_stock_items: ClassVar[int] = 100  # woocommerce_rest_batch_items_limit

    def parse_webhook(
        self,
        config: ChannelConfig,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: float | None = None,
    ) -> WebhookEvent:
        return woocommerce.parse_webhook(config, headers, body)

    def shop_key(self, headers: Mapping[str, str], body: bytes) -> str:
        # One WMS serves many WooCommerce sites.
        return normal_shop(lower_headers(headers).get("x-wc-webhook-source", ""))

    def stock_item(self, config: ChannelConfig, level: StockLevel) -> StockItem:
        listing = level.listing
        product = digits(listing.product_ref, "WooCommerce product id")
        values = {"stock_quantity": level.sellable, "manage_stock": True}
        if listing.variant_ref:
            variation = digits(listing.variant_ref, "WooCommerce variation id")
            return (product,), variation, {"id": int(variation), **values}
        return (), product, {"id": int(product), **values}

    def stock_request(
        self,
        config: ChannelConfig,
        group: tuple[str, ...],
        items: list[dict[str, Any]],
        key: str,
    ) -> OutboundRequest:
        path = "/wp-json/wc/v3/products"
        path += f"/{group[0]}/variations/batch" if group else "/batch"
        return OutboundRequest(
            "POST", f"{api_base(config)}{path}", _headers(config, key), dumps({"update": items})
        )

    def stock_item_failures(self, batch: StockBatch, body: bytes) -> dict[str, str]:
        """``update[]`` holds each item back, or ``{"id", "error": {code, message}}``."""
        try:
            answer = json.loads(body)
        except ValueError:
            raise ChannelApiError("woocommerce answered without JSON") from None
        if not isinstance(answer, dict) or not isinstance(answer.get("update"), list):
            raise ChannelApiError("WooCommerce batch answer without an update list")
        answered: dict[str, Any] = {
            str(item.get("id")): item for item in answer["update"] if isinstance(item, dict)
        }
        sent_items = json.loads(batch.request.body)["update"]
        failures: dict[str, str] = {}
        for level, sent in zip(batch.levels, sent_items, strict=True):
            item = answered.get(str(sent["id"]))
            if item is None:
                failures[level.event_id] = f"item {sent['id']} missing from the batch answer"
            elif isinstance(item.get("error"), dict):
                error = item["error"]
                failures[level.event_id] = (
                    f"{error.get('code', 'error')}: {error.get('message', '')}"
                )
        return failures

    def tracking_request(
        self, config: ChannelConfig, push: TrackingPush, event_id: str
    ) -> OutboundRequest:
        meta = [
            {"key": "_wms_tracking_number", "value": push.tracking_number},
            {"key": "_wms_tracking_carrier", "value": push.carrier},
            {"key": "_wms_tracking_url", "value": push.tracking_url},
            {"key": "_wms_event_id", "value": event_id},
        ]
        payload = {"status": "completed", "meta_data": meta}
        url = f"{api_base(config)}/wp-json/wc/v3/orders/{push.order_external_id}"
        return OutboundRequest("PUT", url, _headers(config, event_id), dumps(payload))

    def tracking_event_request(
        self,
        config: ChannelConfig,
        order_external_id: str,
        event: dict[str, Any],
        event_id: str,
        *,
        fulfillment_id: int | None = None,
    ) -> OutboundRequest | None:
        status = str(event["status"])
        words = event.get("description") or status.replace("_", " ")
        place = f" ({event['location']})" if event.get("location") else ""
        note = f"Parcel {event['tracking']}: {words}{place}, {event['at'][:16]} UTC"
        payload = {"note": note, "customer_note": status == "delivered"}
        url = f"{api_base(config)}/wp-json/wc/v3/orders/{order_external_id}/notes"
        return OutboundRequest("POST", url, _headers(config, event_id), dumps(payload))
