"""A plain REST channel ("generic_rest"): a documented JSON webhook in, signed JSON pushes out.

For a shop system that has no adapter of its own: the shop (or a small bridge in front of
it) sends orders in the format below and takes our pushes at URLs under the channel's
``api_base_url``. The whole contract is in ``wms/channels/README.md`` ("Generic REST").

Webhook: ``POST /webhooks/<code>`` with the raw JSON body
``{"id": "<event id>", "type": "order.created" | "order.updated" | "order.cancelled",
"order": {...}}`` (the order in the own shop's JSON shape; a cancel may carry just
``{"order_id": …}``) and ``X-Signature-SHA256: <hex HMAC-SHA256(secret, raw body)>``.
The event id (in the signed body, so it cannot be moved onto another body) is the dedupe key.

Pushes: ``POST <api_base_url>/stock`` ``{"event_id", "items": [{sku, quantity, event_id}]}``,
``POST <api_base_url>/tracking`` and ``/tracking/events``, each signed with the same header
over its body, with ``X-WMS-Event-Id`` / ``Idempotency-Key`` and, when the channel has an
``access_token``, ``Authorization: Bearer <access_token>``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import msgspec

from wms.channels import own
from wms.channels.adapter import BaseAdapter, StockItem, StockLevel, TrackingPush
from wms.channels.common import (
    check_signature,
    decode_json_object,
    hmac_hex,
    lower_headers,
    require_header,
    require_secret,
)
from wms.channels.config import ChannelConfig
from wms.channels.errors import BadPayload, ConfigError, UnknownTopic
from wms.channels.events import EventKind, WebhookEvent
from wms.channels.outbound import OutboundRequest, api_base, common_headers, dumps
from wms.domain.orders import ChannelKind, OrderStatus

SIGNATURE_HEADER = "X-Signature-SHA256"
ORDER_TYPES = ("order.created", "order.updated")
CANCEL_TYPE = "order.cancelled"


def signature(secret: str, body: bytes) -> str:
    """The header's value for ``body``: hex HMAC-SHA256 of the raw bytes."""
    return hmac_hex(secret, body)


def verify_signature(config: ChannelConfig, headers: Mapping[str, str], body: bytes) -> None:
    given = require_header(lower_headers(headers), SIGNATURE_HEADER)
    secret = require_secret(config.secret, config.code)
    check_signature(given.strip().removeprefix("sha256="), signature(secret, body))


def _request(config: ChannelConfig, path: str, payload: Any, event_id: str) -> OutboundRequest:
    body = dumps(payload)
    headers = {
        **common_headers(event_id),
        SIGNATURE_HEADER: signature(require_secret(config.secret, config.code), body),
    }
    if config.access_token:
        headers["Authorization"] = f"Bearer {config.access_token}"
    return OutboundRequest("POST", f"{api_base(config)}{path}", headers, body)


class GenericRestAdapter(BaseAdapter):
    kind: ClassVar[ChannelKind] = ChannelKind.GENERIC_REST
    max_stock_items: ClassVar[int] = 500

    def parse_webhook(
        self,
        config: ChannelConfig,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: float | None = None,
    ) -> WebhookEvent:
        verify_signature(config, headers, body)
        envelope = decode_json_object(body)
        event_id = str(envelope.get("id") or "").strip()
        topic = str(envelope.get("type") or "").strip()
        if not event_id:
            raise BadPayload("generic REST webhook without id")
        raw = envelope.get("order")
        if not isinstance(raw, dict):
            raise BadPayload("generic REST webhook without an order object")
        if topic == CANCEL_TYPE and set(raw) <= {"order_id"}:
            order_id = str(raw.get("order_id") or "").strip()
            if not order_id:
                raise BadPayload("order.cancelled needs order.order_id")
            return WebhookEvent(
                self.kind, event_id, topic, EventKind.CANCEL, order_id,
                status=OrderStatus.CANCELLED,
            )  # fmt: skip
        if topic not in (*ORDER_TYPES, CANCEL_TYPE):
            raise UnknownTopic(f"unknown generic REST event type {topic!r}")
        order = own.decode_order(msgspec.json.encode(raw)).to_order_in()
        order = dataclasses.replace(order, channel_kind=self.kind)
        if topic == CANCEL_TYPE:
            order = dataclasses.replace(order, status=OrderStatus.CANCELLED)
        kind = EventKind.CANCEL if order.status is OrderStatus.CANCELLED else EventKind.ORDER
        return WebhookEvent(
            self.kind, event_id, topic, kind, order.external_id, order,
            channel_status=order.channel_status, status=order.status,
        )  # fmt: skip

    def stock_item(self, config: ChannelConfig, level: StockLevel) -> StockItem:
        sku = level.listing.sku
        if not sku:
            raise ConfigError("generic REST listing without a sku")
        return (), sku, {"sku": sku, "quantity": level.sellable, "event_id": level.event_id}

    def stock_request(
        self,
        config: ChannelConfig,
        group: tuple[str, ...],
        items: list[dict[str, Any]],
        key: str,
    ) -> OutboundRequest:
        return _request(config, "/stock", {"event_id": key, "items": items}, key)

    def tracking_request(
        self, config: ChannelConfig, push: TrackingPush, event_id: str
    ) -> OutboundRequest:
        payload = {
            "order_id": push.order_external_id,
            "tracking_number": push.tracking_number,
            "carrier": push.carrier,
            "tracking_url": push.tracking_url,
            "line_refs": list(push.line_refs),
            "event_id": event_id,
        }
        return _request(config, "/tracking", payload, event_id)

    def tracking_event_request(
        self,
        config: ChannelConfig,
        order_external_id: str,
        event: dict[str, Any],
        event_id: str,
        *,
        fulfillment_id: int | None = None,
    ) -> OutboundRequest | None:
        payload = {"order_id": order_external_id, **event, "event_id": event_id}
        return _request(config, "/tracking/events", payload, event_id)
