"""Outbound stock and tracking pushes as data, in each channel's own format.

Build the request when the outbox delivers it, not when the row is written: TikTok's
signature carries a timestamp that goes stale. Every request carries ``X-WMS-Event-Id``
(and ``Idempotency-Key``) so a receiver can drop a redelivery; a request carrying several
rows carries a key derived from all their event ids (``bulk_event_id``).

Stock goes out in bulk (``plan_stock_pushes``), in each channel's documented bulk form:

- Shopify: GraphQL Admin API ``inventorySetQuantities`` (``POST /admin/api/<v>/graphql.json``),
  ≤ 250 quantities per call, "available" set absolutely (``ignoreCompareQuantity``).
- WooCommerce: ``POST /wp-json/wc/v3/products/batch`` ``{"update": [{id, stock_quantity,
  manage_stock}]}`` (≤ 100 items), variations through ``/products/<parent>/variations/batch``.
- TikTok Shop: one ``/product/202309/products/{product_id}/inventory/update`` per product
  carrying all its SKUs, signed.
- own shop (our design): ``POST /stock`` ``{"event_id": key, "items": [{sku, quantity,
  event_id}]}``, each item with its own row's event id.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from wms.channels import own, tiktok_sign
from wms.channels.config import ChannelConfig, Listing
from wms.channels.errors import ChannelApiError, ConfigError
from wms.domain.orders import ChannelKind

SHOPIFY_API_VERSION = "2024-10"
EVENT_HEADER = "X-WMS-Event-Id"
SHOPIFY_SET_QUANTITIES = (
    "mutation inventorySetQuantities($input: InventorySetQuantitiesInput!) "
    "{ inventorySetQuantities(input: $input) "
    "{ inventoryAdjustmentGroup { reason } userErrors { code field message } } }"
)
# Items per request: Shopify's documented cap on quantities, WooCommerce's default batch
# limit (woocommerce_rest_batch_items_limit); TikTok's per-product SKU count and our own
# shop's list are capped to keep one request small.
MAX_ITEMS = {
    ChannelKind.SHOPIFY: 250,
    ChannelKind.WOOCOMMERCE: 100,
    ChannelKind.TIKTOK: 100,
    ChannelKind.OWN: 500,
}
# A Shopify mutation that reports userErrors applied none of its quantities: the items it
# did not refuse must be sent again. (Woo's batch applies each item on its own.)
ATOMIC_BATCHES = frozenset({ChannelKind.SHOPIFY})


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
        own.TOPIC_HEADER: path.strip("/"),
        own.SIGNATURE_HEADER: own.signature_header(
            config.secret, body, event_id=event_id, topic=path.strip("/")
        ),
    }
    return OutboundRequest("POST", f"{api_base(config)}{path}", headers, body)


@dataclass(frozen=True)
class StockLevel:
    """One outbox row: the absolute sellable ``quantity`` of one listing (buffer applied)."""

    listing: Listing
    quantity: int
    event_id: str


@dataclass(frozen=True)
class StockBatch:
    """One request and the levels it carries, in the order of its items."""

    kind: ChannelKind
    request: OutboundRequest
    levels: tuple[StockLevel, ...]

    @property
    def event_ids(self) -> tuple[str, ...]:
        return tuple(level.event_id for level in self.levels)


@dataclass
class StockPlan:
    """The requests that set a pass's levels, and the levels no request can carry."""

    batches: list[StockBatch] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # event id -> why


def bulk_event_id(event_ids: Sequence[str]) -> str:
    """The idempotency key of a request carrying these rows.

    One row keeps its own event id; several get a digest of their sorted ids, so a
    redelivery of the same rows carries the same key whatever order they were claimed in.
    """
    if len(event_ids) == 1:
        return event_ids[0]
    digest = hashlib.sha256("\n".join(sorted(event_ids)).encode()).hexdigest()[:32]
    return f"bulk-{digest}"


def _qty(level: StockLevel) -> int:
    return max(0, int(level.quantity))  # a channel cannot hold a negative sellable quantity


def _digits(value: str, what: str) -> str:
    if not value or not value.isdigit():
        raise ConfigError(f"{what} must be a numeric id, got {value!r}")
    return value


# Per channel: (group, item key, item) of one level; a group becomes one request per chunk.
_Item = tuple[tuple[str, ...], str, dict[str, Any]]


def _tiktok_item(config: ChannelConfig, level: StockLevel) -> _Item:
    listing, qty = level.listing, _qty(level)
    product = _digits(listing.product_ref, "TikTok product_id")
    if not listing.variant_ref:
        raise ConfigError(f"TikTok listing of {listing.sku} has no sku_id")
    inventory = [{"warehouse_id": config.warehouse_id, "quantity": qty}]
    return (product,), listing.variant_ref, {"id": listing.variant_ref, "inventory": inventory}


def _shopify_item(config: ChannelConfig, level: StockLevel) -> _Item:
    listing, qty = level.listing, _qty(level)
    item = _int_id(listing.variant_ref, "inventory_item_id")
    location = _int_id(config.location_id, "location_id")
    return (
        (),
        str(item),
        {
            "inventoryItemId": f"gid://shopify/InventoryItem/{item}",
            "locationId": f"gid://shopify/Location/{location}",
            "quantity": qty,
        },
    )


def _woo_item(config: ChannelConfig, level: StockLevel) -> _Item:
    listing, qty = level.listing, _qty(level)
    product = _digits(listing.product_ref, "WooCommerce product id")
    values = {"stock_quantity": qty, "manage_stock": True}
    if listing.variant_ref:
        variation = _digits(listing.variant_ref, "WooCommerce variation id")
        return (product,), variation, {"id": int(variation), **values}
    return (), product, {"id": int(product), **values}


def _own_item(config: ChannelConfig, level: StockLevel) -> _Item:
    sku = level.listing.sku
    if not sku:
        raise ConfigError("own-shop listing without a sku")
    return (), sku, {"sku": sku, "quantity": _qty(level), "event_id": level.event_id}


_ITEMS: dict[ChannelKind, Callable[[ChannelConfig, StockLevel], _Item]] = {
    ChannelKind.TIKTOK: _tiktok_item,
    ChannelKind.SHOPIFY: _shopify_item,
    ChannelKind.WOOCOMMERCE: _woo_item,
    ChannelKind.OWN: _own_item,
}


def _check_config(config: ChannelConfig) -> None:
    """What every request of the channel needs: a problem here fails the channel's rows."""
    api_base(config)
    match config.kind:
        case ChannelKind.TIKTOK:
            if not (config.app_key and config.secret and config.access_token):
                raise ConfigError(f"channel {config.code} needs app_key, secret and access_token")
        case ChannelKind.SHOPIFY:
            _int_id(config.location_id, "location_id")
        case kind if kind not in _ITEMS:
            raise ConfigError(f"no stock push for {kind}")


def _chunks(
    items: list[tuple[StockLevel, str, dict[str, Any]]], size: int
) -> Iterable[list[tuple[StockLevel, str, dict[str, Any]]]]:
    """At most ``size`` items per request, and a listing at most once in each."""
    chunk: list[tuple[StockLevel, str, dict[str, Any]]] = []
    keys: set[str] = set()
    for entry in items:
        if len(chunk) == size or entry[1] in keys:
            yield chunk
            chunk, keys = [], set()
        chunk.append(entry)
        keys.add(entry[1])
    if chunk:
        yield chunk


def _stock_request(
    config: ChannelConfig, group: tuple[str, ...], items: list[dict[str, Any]], key: str
) -> OutboundRequest:
    match config.kind:
        case ChannelKind.TIKTOK:
            path = f"/product/202309/products/{group[0]}/inventory/update"
            return tiktok_request(config, "POST", path, payload={"skus": items}, event_id=key)
        case ChannelKind.SHOPIFY:
            payload = {
                "query": SHOPIFY_SET_QUANTITIES,
                "variables": {
                    "input": {
                        "name": "available",
                        "reason": "correction",
                        "ignoreCompareQuantity": True,
                        "quantities": items,
                    }
                },
            }
            headers = {**_common_headers(key), "X-Shopify-Access-Token": config.access_token}
            url = f"{api_base(config)}/admin/api/{SHOPIFY_API_VERSION}/graphql.json"
            return OutboundRequest("POST", url, headers, _dumps(payload))
        case ChannelKind.WOOCOMMERCE:
            path = "/wp-json/wc/v3/products"
            path += f"/{group[0]}/variations/batch" if group else "/batch"
            return OutboundRequest(
                "POST",
                f"{api_base(config)}{path}",
                _woo_headers(config, key),
                _dumps({"update": items}),
            )
        case _:
            return _own_request(config, "/stock", {"event_id": key, "items": items}, key)


def plan_stock_pushes(config: ChannelConfig, levels: Sequence[StockLevel]) -> StockPlan:
    """Set many listings' quantities on one channel in as few requests as its API allows.

    Shopify: one ``inventorySetQuantities`` mutation per 250 levels. WooCommerce: one
    ``products/batch`` per 100 simple products, one ``variations/batch`` per parent product.
    TikTok: one inventory update per product, carrying all its SKUs. Own shop: one list.
    A level whose listing ids cannot be sent is rejected alone; a channel that cannot be
    called at all (no base URL, credentials, location) raises ``ConfigError``.
    """
    _check_config(config)
    plan = StockPlan()
    groups: dict[tuple[str, ...], list[tuple[StockLevel, str, dict[str, Any]]]] = {}
    for level in levels:
        try:
            group, key, item = _ITEMS[config.kind](config, level)
        except ConfigError as exc:
            plan.rejected[level.event_id] = exc.message
            continue
        groups.setdefault(group, []).append((level, key, item))
    for group, items in groups.items():
        for chunk in _chunks(items, MAX_ITEMS[config.kind]):
            chunk_levels = tuple(level for level, _, _ in chunk)
            key = bulk_event_id([level.event_id for level in chunk_levels])
            request = _stock_request(config, group, [item for _, _, item in chunk], key)
            plan.batches.append(StockBatch(config.kind, request, chunk_levels))
    return plan


def build_stock_push(
    config: ChannelConfig, listing: Listing, quantity: int, event_id: str
) -> OutboundRequest:
    """Set the absolute sellable ``quantity`` of one listing (apply ``channel_quantity`` first).

    The same request as a bulk push of one level; raises ``ConfigError`` when it cannot be sent.
    """
    plan = plan_stock_pushes(config, [StockLevel(listing, quantity, event_id)])
    if plan.rejected:
        raise ConfigError(plan.rejected[event_id])
    return plan.batches[0].request


def stock_item_failures(batch: StockBatch, body: bytes) -> dict[str, str]:
    """Which levels of an accepted (2xx) bulk call the channel still refused: event id -> why.

    Raises ``ChannelApiError`` when the answer says the whole call failed (GraphQL
    ``errors``, userErrors that name no item, an answer that is not the channel's format).
    Shopify: ``userErrors[].field`` = ``["input", "quantities", "<index>", …]``.
    WooCommerce: ``update[]`` holds each item back, or ``{"id", "error": {code, message}}``.
    TikTok (``code`` checked on delivery) and the own shop answer for the call as a whole.
    """
    if batch.kind not in (ChannelKind.SHOPIFY, ChannelKind.WOOCOMMERCE):
        return {}
    try:
        answer = json.loads(body)
    except ValueError:
        raise ChannelApiError(f"{batch.kind.value} answered without JSON") from None
    if batch.kind is ChannelKind.SHOPIFY:
        return _shopify_failures(batch, answer)
    return _woo_failures(batch, answer)


def _shopify_failures(batch: StockBatch, answer: Any) -> dict[str, str]:
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


def _woo_failures(batch: StockBatch, answer: Any) -> dict[str, str]:
    if not isinstance(answer, dict) or not isinstance(answer.get("update"), list):
        raise ChannelApiError("WooCommerce batch answer without an update list")
    answered: dict[str, Any] = {
        str(item.get("id")): item for item in answer["update"] if isinstance(item, dict)
    }
    body = json.loads(batch.request.body)
    failures: dict[str, str] = {}
    for level, sent in zip(batch.levels, body["update"], strict=True):
        item = answered.get(str(sent["id"]))
        if item is None:
            failures[level.event_id] = f"item {sent['id']} missing from the batch answer"
        elif isinstance(item.get("error"), dict):
            error = item["error"]
            failures[level.event_id] = f"{error.get('code', 'error')}: {error.get('message', '')}"
    return failures


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
    # Listings keep Shopify's numeric ids (we build the gid://); anything else is a mistake.
    if not value or not value.isdigit():
        raise ConfigError(f"{what} must be a numeric Shopify id, got {value!r}")
    return int(value)


# A parcel's tracking state (karrio's vocabulary) as a Shopify fulfillment event status;
# pending, delivery_delayed, on_hold and unknown have none and are not told.
SHOPIFY_EVENT_STATUS = {
    "picked_up": "confirmed",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "ready_for_pickup": "ready_for_pickup",
    "delivered": "delivered",
    "delivery_failed": "attempted_delivery",
    "return_to_sender": "failure",
    "cancelled": "failure",
}


def shopify_fulfillments_request(config: ChannelConfig, order_external_id: str) -> OutboundRequest:
    """The order's fulfillments, to find the one that carries a tracking number."""
    headers = {**_common_headers(""), "X-Shopify-Access-Token": config.access_token}
    url = (
        f"{api_base(config)}/admin/api/{SHOPIFY_API_VERSION}/orders/"
        f"{_int_id(order_external_id, 'order id')}/fulfillments.json"
    )
    return OutboundRequest("GET", url, headers, b"")


def shopify_fulfillment_for(answer: Any, tracking_number: str) -> int | None:
    for f in (answer or {}).get("fulfillments", []):
        if tracking_number in (f.get("tracking_numbers") or [f.get("tracking_number")]):
            return int(f["id"])
    return None


def build_tracking_event(
    config: ChannelConfig,
    order_external_id: str,
    event: dict[str, Any],
    event_id: str,
    *,
    fulfillment_id: int | None = None,
) -> OutboundRequest | None:
    """Tell the channel a parcel's tracking state changed; None where it takes no such call.

    ``event``: tracking, status (karrio's), at (ISO), description, location. Shopify — a
    fulfillment event on the fulfillment carrying the number; WooCommerce — an order note
    (core Woo has no tracking events); own shop — POST /tracking/events; TikTok Shop — none:
    for seller-shipped orders TikTok follows the shipping provider itself.
    """
    status = str(event["status"])
    words = event.get("description") or status.replace("_", " ")
    match config.kind:
        case ChannelKind.SHOPIFY:
            if status not in SHOPIFY_EVENT_STATUS or fulfillment_id is None:
                return None
            payload: dict[str, Any] = {
                "event": {
                    "status": SHOPIFY_EVENT_STATUS[status],
                    "happened_at": event["at"],
                    "message": words,
                }
            }
            headers = {**_common_headers(event_id), "X-Shopify-Access-Token": config.access_token}
            order = _int_id(order_external_id, "order id")
            url = (
                f"{api_base(config)}/admin/api/{SHOPIFY_API_VERSION}/orders/{order}"
                f"/fulfillments/{fulfillment_id}/events.json"
            )
            return OutboundRequest("POST", url, headers, _dumps(payload))
        case ChannelKind.WOOCOMMERCE:
            place = f" ({event['location']})" if event.get("location") else ""
            note = f"Parcel {event['tracking']}: {words}{place}, {event['at'][:16]} UTC"
            payload = {"note": note, "customer_note": status == "delivered"}
            url = f"{api_base(config)}/wp-json/wc/v3/orders/{order_external_id}/notes"
            return OutboundRequest("POST", url, _woo_headers(config, event_id), _dumps(payload))
        case ChannelKind.OWN:
            payload = {"order_id": order_external_id, **event, "event_id": event_id}
            return _own_request(config, "/tracking/events", payload, event_id)
        case ChannelKind.TIKTOK:
            return None
    raise ConfigError(f"no tracking event for {config.kind}")
