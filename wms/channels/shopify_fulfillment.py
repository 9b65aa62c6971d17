"""Shopify tracking needs fulfillment order ids: the request that lists them and its parser."""

from __future__ import annotations

from typing import Any

from wms.channels.config import ChannelConfig
from wms.channels.errors import BadPayload
from wms.channels.outbound import OutboundRequest, api_base

SHOPIFY_API_VERSION = "2024-10"

# Only these can take a fulfillment; closed/cancelled/on_hold ones would make Shopify 422.
FULFILLABLE = frozenset({"open", "in_progress"})


def build_fulfillment_orders_request(config: ChannelConfig, order_id: str) -> OutboundRequest:
    """``GET /admin/api/2024-10/orders/{order_id}/fulfillment_orders.json``."""
    path = f"/admin/api/{SHOPIFY_API_VERSION}/orders/{order_id}/fulfillment_orders.json"
    url = api_base(config) + path
    return OutboundRequest("GET", url, {"X-Shopify-Access-Token": config.access_token})


def fulfillable_order_ids(response: Any, location_id: str = "") -> list[str]:
    """Ids to pass as ``line_refs`` to ``build_tracking_push`` for a Shopify channel.

    With ``location_id``, only fulfillment orders assigned to our location are kept.
    """
    if not isinstance(response, dict) or not isinstance(response.get("fulfillment_orders"), list):
        raise BadPayload("Shopify answer without fulfillment_orders")
    ids = []
    for fo in response["fulfillment_orders"]:
        if not isinstance(fo, dict) or fo.get("status") not in FULFILLABLE:
            continue
        if location_id and str(fo.get("assigned_location_id", "")) != location_id:
            continue
        ids.append(str(fo["id"]))
    return ids
