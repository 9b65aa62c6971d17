"""The merchant's own shop as a channel adapter (our design, see ``own``).

Stock: ``POST /stock`` ``{"event_id": key, "items": [{sku, quantity, event_id}]}``, each
item with its own row's event id; tracking ``POST /tracking``, tracking events ``POST
/tracking/events``. Every request is signed with ``X-WMS-Signature`` (topic = the path)
and carries ``Authorization: Bearer <access_token>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from wms.channels import own
from wms.channels.adapter import BaseAdapter, StockItem, StockLevel, TrackingPush
from wms.channels.config import ChannelConfig
from wms.channels.errors import ConfigError
from wms.channels.events import WebhookEvent
from wms.channels.outbound import OutboundRequest, api_base, common_headers, dumps
from wms.domain.orders import ChannelKind


def own_request(config: ChannelConfig, path: str, payload: Any, event_id: str) -> OutboundRequest:
    body = dumps(payload)
    topic = path.strip("/")
    headers = {
        **common_headers(event_id),
        "Authorization": f"Bearer {config.access_token}",
        own.TOPIC_HEADER: topic,
        own.SIGNATURE_HEADER: own.signature_header(
            config.secret, body, event_id=event_id, topic=topic
        ),
    }
    return OutboundRequest("POST", f"{api_base(config)}{path}", headers, body)


class OwnAdapter(BaseAdapter):
    kind: ClassVar[ChannelKind] = ChannelKind.OWN
    max_stock_items: ClassVar[int] = 500  # our own list, capped to keep a request small

    def parse_webhook(
        self,
        config: ChannelConfig,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: float | None = None,
    ) -> WebhookEvent:
        return own.parse_webhook(config, headers, body, now=now)

    def stock_item(self, config: ChannelConfig, level: StockLevel) -> StockItem:
        sku = level.listing.sku
        if not sku:
            raise ConfigError("own-shop listing without a sku")
        return (), sku, {"sku": sku, "quantity": level.sellable, "event_id": level.event_id}

    def stock_request(
        self,
        config: ChannelConfig,
        group: tuple[str, ...],
        items: list[dict[str, Any]],
        key: str,
    ) -> OutboundRequest:
        return own_request(config, "/stock", {"event_id": key, "items": items}, key)

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
        return own_request(config, "/tracking", payload, event_id)

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
        return own_request(config, "/tracking/events", payload, event_id)
