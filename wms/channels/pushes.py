"""Outbound stock and tracking pushes as data, in each channel's own format.

Build the request when the outbox delivers it, not when the row is written: TikTok's
signature carries a timestamp that goes stale. Every request carries ``X-WMS-Event-Id``
(and ``Idempotency-Key``) so a receiver can drop a redelivery.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from wms.channels import own, tiktok_sign
from wms.channels.config import ChannelConfig, Listing
from wms.channels.errors import ConfigError
from wms.domain.orders import ChannelKind

SHOPIFY_API_VERSION = "2024-10"
EVENT_HEADER = "X-WMS-Event-Id"


@dataclass(frozen=True)
class OutboundRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _dumps(payload: Any) -> bytes:
    # Compact and stable: TikTok signs these exact bytes.
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")


def api_base(config: ChannelConfig) -> str:
    if not config.api_base_url:
        raise ConfigError(f"channel {config.code} has no api_base_url")
    return config.api_base_url.rstrip("/")


def _common_headers(event_id: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        EVENT_HEADER: event_id,
        "Idempotency-Key": event_id,
    }


def tiktok_request(
    config: ChannelConfig,
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    payload: Any = None,
    event_id: str = "",
    timestamp: int | None = None,
) -> OutboundRequest:
    """A signed TikTok Shop API request (``path`` like ``/order/202309/orders``)."""
    if not (config.app_key and config.secret and config.access_token):
        raise ConfigError(f"channel {config.code} needs app_key, secret and access_token")
    body = _dumps(payload) if payload is not None else b""
    params = {
        **(query or {}),
        "app_key": config.app_key,
        "timestamp": str(int(time.time()) if timestamp is None else timestamp),
    }
    if config.shop_cipher:
        params["shop_cipher"] = config.shop_cipher
    params["sign"] = tiktok_sign.sign(config.secret, path, params, body)
    headers = {"x-tts-access-token": config.access_token, "Content-Type": "application/json"}
    if event_id:
        headers.update(_common_headers(event_id))
    return OutboundRequest(method, f"{api_base(config)}{path}?{urlencode(params)}", headers, body)


def _woo_headers(config: ChannelConfig, event_id: str) -> dict[str, str]:
    # Consumer key/secret over HTTPS basic auth, WooCommerce's documented default.
    token = base64.b64encode(f"{config.app_key}:{config.access_token}".encode()).decode()
    return {**_common_headers(event_id), "Authorization": f"Basic {token}"}


def _own_request(config: ChannelConfig, path: str, payload: Any, event_id: str) -> OutboundRequest:
    body = _dumps(payload)
    headers = {
        **_common_headers(event_id),
        "Authorization": f"Bearer {config.access_token}",
        own.SIGNATURE_HEADER: own.signature_header(config.secret, body),
    }
    return OutboundRequest("POST", f"{api_base(config)}{path}", headers, body)


def build_stock_push(
    config: ChannelConfig, listing: Listing, quantity: int, event_id: str
) -> OutboundRequest:
    """Set the absolute sellable ``quantity`` of one listing (apply ``channel_quantity`` first)."""
    qty = max(0, int(quantity))
    match config.kind:
        case ChannelKind.TIKTOK:
            payload = {
                "skus": [
                    {
                        "id": listing.variant_ref,
                        "inventory": [{"warehouse_id": config.warehouse_id, "quantity": qty}],
                    }
                ]
            }
            path = f"/product/202309/products/{listing.product_ref}/inventory/update"
            return tiktok_request(config, "POST", path, payload=payload, event_id=event_id)
        case ChannelKind.SHOPIFY:
            payload = {
                "location_id": _int_id(config.location_id, "location_id"),
                "inventory_item_id": _int_id(listing.variant_ref, "inventory_item_id"),
                "available": qty,
            }
            headers = {**_common_headers(event_id), "X-Shopify-Access-Token": config.access_token}
            url = f"{api_base(config)}/admin/api/{SHOPIFY_API_VERSION}/inventory_levels/set.json"
            return OutboundRequest("POST", url, headers, _dumps(payload))
        case ChannelKind.WOOCOMMERCE:
            path = f"/wp-json/wc/v3/products/{listing.product_ref}"
            if listing.variant_ref:
                path += f"/variations/{listing.variant_ref}"
            payload = {"manage_stock": True, "stock_quantity": qty}
            return OutboundRequest(
                "PUT", f"{api_base(config)}{path}", _woo_headers(config, event_id), _dumps(payload)
            )
        case ChannelKind.OWN:
            payload = {"sku": listing.sku, "quantity": qty, "event_id": event_id}
            return _own_request(config, "/stock", payload, event_id)
    raise ConfigError(f"no stock push for {config.kind}")


def build_tracking_push(
    config: ChannelConfig,
    order_external_id: str,
    tracking_number: str,
    carrier: str,
    line_refs: Sequence[str],
    event_id: str,
    *,
    tracking_url: str = "",
) -> OutboundRequest:
    """Tell the channel an order shipped.

    ``carrier`` / ``line_refs`` mean, per channel: TikTok — TikTok's shipping_provider_id and
    the order's line item ids; Shopify — the carrier name and the order's fulfillment order
    ids (``GET /orders/{id}/fulfillment_orders.json``); Woo and own shop — free text and
    our line refs, stored as order meta.
    """
    match config.kind:
        case ChannelKind.TIKTOK:
            payload: dict[str, Any] = {
                "tracking_number": tracking_number,
                "shipping_provider_id": carrier,
            }
            if line_refs:
                payload["order_line_item_ids"] = list(line_refs)
            path = f"/fulfillment/202309/orders/{order_external_id}/packages"
            return tiktok_request(config, "POST", path, payload=payload, event_id=event_id)
        case ChannelKind.SHOPIFY:
            tracking = {"number": tracking_number, "company": carrier}
            if tracking_url:
                tracking["url"] = tracking_url
            payload = {
                "fulfillment": {
                    "line_items_by_fulfillment_order": [
                        {"fulfillment_order_id": _int_id(ref, "fulfillment_order_id")}
                        for ref in line_refs
                    ],
                    "tracking_info": tracking,
                    "notify_customer": True,
                }
            }
            headers = {**_common_headers(event_id), "X-Shopify-Access-Token": config.access_token}
            url = f"{api_base(config)}/admin/api/{SHOPIFY_API_VERSION}/fulfillments.json"
            return OutboundRequest("POST", url, headers, _dumps(payload))
        case ChannelKind.WOOCOMMERCE:
            # Core WooCommerce has no tracking field: meta for plugins, "completed" mails the buyer.
            meta = [
                {"key": "_wms_tracking_number", "value": tracking_number},
                {"key": "_wms_tracking_carrier", "value": carrier},
                {"key": "_wms_tracking_url", "value": tracking_url},
                {"key": "_wms_event_id", "value": event_id},
            ]
            payload = {"status": "completed", "meta_data": meta}
            url = f"{api_base(config)}/wp-json/wc/v3/orders/{order_external_id}"
            return OutboundRequest("PUT", url, _woo_headers(config, event_id), _dumps(payload))
        case ChannelKind.OWN:
            payload = {
                "order_id": order_external_id,
                "tracking_number": tracking_number,
                "carrier": carrier,
                "tracking_url": tracking_url,
                "line_refs": list(line_refs),
                "event_id": event_id,
            }
            return _own_request(config, "/tracking", payload, event_id)
    raise ConfigError(f"no tracking push for {config.kind}")


def _int_id(value: str, what: str) -> int:
    # Shopify REST wants numeric ids; a gid:// or empty value is a configuration mistake.
    if not value or not value.isdigit():
        raise ConfigError(f"{what} must be a numeric Shopify id, got {value!r}")
    return int(value)
