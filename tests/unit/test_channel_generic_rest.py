"""The generic REST channel's webhook and pushes, as documented in wms/channels/README.md."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wms.channels.common import hmac_hex
from wms.channels.config import ChannelConfig, Listing
from wms.channels.errors import BadPayload, BadSignature, MissingSignature, UnknownTopic
from wms.channels.events import EventKind
from wms.channels.pushes import build_stock_push, build_tracking_push
from wms.channels.webhooks import parse_webhook
from wms.domain.orders import ChannelKind, OrderStatus

CONFIG = ChannelConfig.from_dict(
    {"code": "rest", "kind": "generic_rest", "secret": "s3cret", "api_base_url": "http://shop/api/"}
)
ORDER = {
    "order_id": "R-1",
    "currency": "USD",
    "status": "ready",
    "lines": [{"sku": "SKU-1", "qty": 2, "unit_price": "3.00"}],
    "ship_to": {"name": "Ana", "line1": "1 Main St", "city": "Austin", "postal_code": "78701",
                "country": "US"},
}  # fmt: skip


def _signed(payload: Any, secret: str = "s3cret") -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload).encode()
    return {"X-Signature-SHA256": hmac_hex(secret, body)}, body


def test_a_signed_order_created_maps_to_an_order_of_the_generic_kind() -> None:
    event = parse_webhook(CONFIG, *_signed({"id": "e1", "type": "order.created", "order": ORDER}))
    assert event.kind is EventKind.ORDER and event.event_id == "e1"
    assert event.order is not None and event.order.channel_kind is ChannelKind.GENERIC_REST
    assert event.external_order_id == "R-1" and event.order.lines[0].qty == 2


def test_a_cancel_may_name_only_the_order_and_the_whole_order_cancels_too() -> None:
    short = {"id": "e2", "type": "order.cancelled", "order": {"order_id": "R-1"}}
    event = parse_webhook(CONFIG, *_signed(short))
    assert (event.kind, event.external_order_id, event.status) == (
        EventKind.CANCEL, "R-1", OrderStatus.CANCELLED,
    )  # fmt: skip
    whole = parse_webhook(CONFIG, *_signed({"id": "e3", "type": "order.cancelled", "order": ORDER}))
    assert whole.kind is EventKind.CANCEL and whole.order is not None


def test_a_wrong_or_missing_signature_or_a_bad_body_is_refused() -> None:
    payload = {"id": "e4", "type": "order.created", "order": ORDER}
    with pytest.raises(BadSignature):
        parse_webhook(CONFIG, *_signed(payload, secret="other"))
    with pytest.raises(MissingSignature):
        parse_webhook(CONFIG, {}, _signed(payload)[1])
    with pytest.raises(BadPayload):
        parse_webhook(CONFIG, *_signed({"type": "order.created", "order": ORDER}))
    with pytest.raises(BadPayload):
        parse_webhook(CONFIG, *_signed({"id": "e5", "type": "order.created", "order": {}}))
    with pytest.raises(UnknownTopic):
        parse_webhook(CONFIG, *_signed({"id": "e6", "type": "product.updated", "order": ORDER}))


def test_stock_and_tracking_pushes_are_signed_posts_under_the_base_url() -> None:
    stock = build_stock_push(CONFIG, Listing("rest", "SKU-1", "SKU-1"), -3, "ev-1")
    assert (stock.method, stock.url) == ("POST", "http://shop/api/stock")
    item = {"sku": "SKU-1", "quantity": 0, "event_id": "ev-1"}  # a negative level goes as 0
    assert stock.json() == {"event_id": "ev-1", "items": [item]}
    assert stock.headers["X-Signature-SHA256"] == hmac_hex("s3cret", stock.body)
    track = build_tracking_push(CONFIG, "R-1", "WH123", "Own Delivery", [], "ev-2")
    assert track.url == "http://shop/api/tracking" and track.json()["tracking_number"] == "WH123"
    assert track.headers["X-Signature-SHA256"] == hmac_hex("s3cret", track.body)
    assert "Authorization" not in track.headers  # no access token configured
