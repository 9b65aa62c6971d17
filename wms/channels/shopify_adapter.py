"""Shopify as a channel adapter: webhooks, inventory through GraphQL, fulfillments.

Stock: the Admin GraphQL ``inventorySetQuantities`` mutation, ≤ 250 quantities a call,
"available" set absolutely (``ignoreCompareQuantity``); a call whose userErrors name an
item applied none of its quantities. Tracking: a fulfillment of the order's open
fulfillment orders (asked for first: their ids exist only on Shopify's side); tracking
events: a fulfillment event on the fulfillment carrying the number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from wms.channels import shopify
from wms.channels.adapter import BaseAdapter, StockBatch, StockItem, StockLevel, TrackingPush
from wms.channels.common import lower_headers, normal_shop
from wms.channels.config import ChannelConfig
from wms.channels.delivery import deliver
from wms.channels.errors import ChannelApiError, ChannelUnavailable, ConfigError
from wms.channels.events import WebhookEvent
from wms.channels.outbound import OutboundRequest, api_base, common_headers, dumps
from wms.channels.shopify_fulfillment import (
    SHOPIFY_API_VERSION,
    build_fulfillment_orders_request,
    fulfillable_order_ids,
)
from wms.domain.orders import ChannelKind

SET_QUANTITIES = (
    "mutation inventorySetQuantities($input: InventorySetQuantitiesInput!) "
    "{ inventorySetQuantities(input: $input) "
    "{ inventoryAdjustmentGroup { reason } userErrors { code field message } } }"
)
# A parcel's tracking state (karrio's vocabulary) as a Shopify fulfillment event status;
# pending, delivery_delayed, on_hold and unknown have none and are not told.
EVENT_STATUS = {
    "picked_up": "confirmed",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "ready_for_pickup": "ready_for_pickup",
    "delivered": "delivered",
    "delivery_failed": "attempted_delivery",
    "return_to_sender": "failure",
    "cancelled": "failure",
}


def int_id(value: str, what: str) -> int:
    # Listings keep Shopify's numeric ids (we build the gid://); anything else is a mistake.
    if not value or not value.isdigit():
        raise ConfigError(f"{what} must be a numeric Shopify id, got {value!r}")
    return int(value)


def _headers(config: ChannelConfig, event_id: str) -> dict[str, str]:
    return {**common_headers(event_id), "X-Shopify-Access-Token": config.access_token}


def fulfillments_request(config: ChannelConfig, order_external_id: str) -> OutboundRequest:
    """The order's fulfillments, to find the one that carries a tracking number."""
    url = (
        f"{api_base(config)}/admin/api/{SHOPIFY_API_VERSION}/orders/"
        f"{int_id(order_external_id, 'order id')}/fulfillments.json"
    )
    return OutboundRequest("GET", url, _headers(config, ""), b"")


def fulfillment_for(answer: Any, tracking_number: str) -> int | None:
    for f in (answer or {}).get("fulfillments", []):
        if tracking_number in (f.get("tracking_numbers") or [f.get("tracking_number")]):
            return int(f["id"])
    return None


class ShopifyAdapter(BaseAdapter):
    kind: ClassVar[ChannelKind] = ChannelKind.SHOPIFY
    max_stock_items: ClassVar[int] = 250  # Shopify's documented cap on quantities
    atomic_stock_batches: ClassVar[bool] = True

    def parse_webhook(
        self,
        config: ChannelConfig,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: float | None = None,
    ) -> WebhookEvent:
        return shopify.parse_webhook(config, headers, body)

    def shop_key(self, headers: Mapping[str, str], body: bytes) -> str:
        # One Shopify app serves many stores.
        return normal_shop(lower_headers(headers).get("x-shopify-shop-domain", ""))

    def check_stock_config(self, config: ChannelConfig) -> None:
        api_base(config)
        int_id(config.location_id, "location_id")

    def stock_item(self, config: ChannelConfig, level: StockLevel) -> StockItem:
        item = int_id(level.listing.variant_ref, "inventory_item_id")
        location = int_id(config.location_id, "location_id")
        return (
            (),
            str(item),
            {
                "inventoryItemId": f"gid://shopify/InventoryItem/{item}",
                "locationId": f"gid://shopify/Location/{location}",
                "quantity": level.sellable,
            },
        )

    def stock_request(
        self,
        config: ChannelConfig,
        group: tuple[str, ...],
        items: list[dict[str, Any]],
        key: str,
    ) -> OutboundRequest:
        payload = {
            "query": SET_QUANTITIES,
            "variables": {
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "ignoreCompareQuantity": True,
                    "quantities": items,
                }
            },
        }
        url = f"{api_base(config)}/admin/api/{SHOPIFY_API_VERSION}/graphql.json"
        return OutboundRequest("POST", url, _headers(config, key), dumps(payload))

    def stock_item_failures(self, batch: StockBatch, body: bytes) -> dict[str, str]:
        """``userErrors[].field`` = ``["input", "quantities", "<index>", …]`` names the item."""
        try:
            answer = json.loads(body)
        except ValueError:
            raise ChannelApiError("shopify answered without JSON") from None
        if not isinstance(answer, dict):
            raise ChannelApiError("Shopify answered without a JSON object")
        if answer.get("errors"):
            errors = answer["errors"]
            first = errors[0] if isinstance(errors, list) and errors else errors
            code = first.get("extensions", {}).get("code", "") if isinstance(first, dict) else ""
            message = first.get("message", first) if isinstance(first, dict) else first
            raise ChannelApiError(f"Shopify GraphQL error {code}: {message}"[:300], api_code=code)
        result = (answer.get("data") or {}).get("inventorySetQuantities")
        if not isinstance(result, dict):
            raise ChannelApiError("Shopify answer without data.inventorySetQuantities")
        failures: dict[str, str] = {}
        for error in result.get("userErrors") or []:
            path = [str(p) for p in error.get("field") or []]
            why = f"{error.get('code') or 'user error'}: {error.get('message', '')}"
            try:
                index = int(path[path.index("quantities") + 1])
                level = batch.levels[index]
            except (ValueError, IndexError):
                raise ChannelApiError(f"Shopify refused the call: {why}", api_code="") from None
            failures[level.event_id] = why
        return failures

    def tracking_request(
        self, config: ChannelConfig, push: TrackingPush, event_id: str
    ) -> OutboundRequest:
        tracking = {"number": push.tracking_number, "company": push.carrier}
        if push.tracking_url:
            tracking["url"] = push.tracking_url
        payload = {
            "fulfillment": {
                "line_items_by_fulfillment_order": [
                    {"fulfillment_order_id": int_id(ref, "fulfillment_order_id")}
                    for ref in push.line_refs
                ],
                "tracking_info": tracking,
                "notify_customer": True,
            }
        }
        url = f"{api_base(config)}/admin/api/{SHOPIFY_API_VERSION}/fulfillments.json"
        return OutboundRequest("POST", url, _headers(config, event_id), dumps(payload))

    async def push_tracking(
        self, config: ChannelConfig, push: TrackingPush, event_id: str, client: httpx.AsyncClient
    ) -> None:
        # Shopify fulfils fulfillment orders, whose ids exist only on Shopify's side.
        answer = await deliver(
            build_fulfillment_orders_request(config, push.order_external_id), client
        )
        refs = fulfillable_order_ids(answer.json(), config.location_id)
        if not refs:
            return  # nothing open to fulfil any more (fulfilled on Shopify already)
        push = TrackingPush(
            push.order_external_id, push.tracking_number, push.carrier, tuple(refs),
            push.tracking_url,
        )  # fmt: skip
        await deliver(self.tracking_request(config, push, event_id), client)

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
        if status not in EVENT_STATUS or fulfillment_id is None:
            return None
        words = event.get("description") or status.replace("_", " ")
        payload = {
            "event": {"status": EVENT_STATUS[status], "happened_at": event["at"], "message": words}
        }
        order = int_id(order_external_id, "order id")
        url = (
            f"{api_base(config)}/admin/api/{SHOPIFY_API_VERSION}/orders/{order}"
            f"/fulfillments/{fulfillment_id}/events.json"
        )
        return OutboundRequest("POST", url, _headers(config, event_id), dumps(payload))

    async def push_tracking_event(
        self,
        config: ChannelConfig,
        order_external_id: str,
        event: dict[str, Any],
        event_id: str,
        client: httpx.AsyncClient,
    ) -> None:
        if str(event["status"]) not in EVENT_STATUS:
            return  # a state Shopify has no event for: nothing to ask, nothing to tell
        answer = await deliver(fulfillments_request(config, order_external_id), client)
        fulfillment = fulfillment_for(answer.json(), event["tracking"])
        if fulfillment is None:  # the shipping push has not reached Shopify yet
            raise ChannelUnavailable(f"no fulfillment carries {event['tracking']} yet")
        request = self.tracking_event_request(
            config, order_external_id, event, event_id, fulfillment_id=fulfillment
        )
        if request is not None:
            await deliver(request, client)
