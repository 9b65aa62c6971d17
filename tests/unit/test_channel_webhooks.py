"""Webhook parsing: event ids, topics and kinds per channel; bad payloads get stable codes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.fakes import make_woo_order, signed_webhook
from tests.fakes.payloads import fixture, fixture_bytes
from wms.channels.config import load_channels
from wms.channels.errors import BadPayload, UnknownTopic
from wms.channels.events import EventKind
from wms.channels.webhooks import parse_webhook
from wms.domain.orders import ChannelKind, OrderStatus

CHANNELS = load_channels(Path(__file__).resolve().parents[2] / "fixtures/demo/channels.json")
TIKTOK, SHOPIFY, WOO, OWN = (
    CHANNELS[c] for c in ("tiktok-main", "shopify-main", "woo-main", "own-main")
)


def parse(config, payload, **kw):
    headers, body = signed_webhook(config, payload, **kw)
    return parse_webhook(config, headers, body)


def test_a_tiktok_status_change_asks_for_the_order_to_be_fetched():
    event = parse(TIKTOK, fixture_bytes("tiktok_webhook_order_status.json"))
    assert event.channel_kind is ChannelKind.TIKTOK
    assert event.event_id == "7327112393057371910"
    assert event.kind is EventKind.ORDER and event.needs_fetch
    assert event.external_order_id == "576461413038785752"
    assert event.channel_status == "AWAITING_SHIPMENT" and event.status is OrderStatus.READY
    assert event.order is None


def test_a_tiktok_cancelled_status_is_a_cancel_event_needing_no_fetch():
    event = parse(TIKTOK, fixture_bytes("tiktok_webhook_cancel.json"))
    assert event.kind is EventKind.CANCEL and not event.needs_fetch
    assert event.status is OrderStatus.CANCELLED


def test_a_tiktok_return_is_recognised_by_its_payload():
    event = parse(TIKTOK, fixture_bytes("tiktok_webhook_return.json"))
    assert event.kind is EventKind.RETURN
    assert event.external_order_id == "576461413038785752"


def test_a_tiktok_cancellation_request_asks_for_the_order_rather_than_cancelling_it():
    envelope = fixture("tiktok_webhook_cancel.json")
    envelope["type"] = 11
    envelope["data"] = {
        "order_id": "576461413038785752",
        "cancellation_id": "4035318504465207001",
        "cancellation_status": "CANCELLATION_REQUEST_PENDING",
        "update_time": 1795725000,
    }
    event = parse(TIKTOK, envelope)
    assert event.kind is EventKind.ORDER and event.needs_fetch
    assert event.external_order_id == "576461413038785752"


def test_a_tiktok_product_notification_is_ignored():
    assert parse(TIKTOK, fixture_bytes("tiktok_webhook_product.json")).kind is EventKind.IGNORED


def test_a_tiktok_notification_of_an_unknown_type_without_an_order_is_an_unknown_topic():
    envelope = fixture("tiktok_webhook_product.json")
    envelope["type"] = 99
    with pytest.raises(UnknownTopic) as err:
        parse(TIKTOK, envelope)
    assert err.value.code == "unknown_topic"


def test_a_tiktok_notification_of_a_new_type_carrying_an_order_status_is_still_an_order():
    envelope = fixture("tiktok_webhook_order_status.json")
    envelope["type"] = 42
    assert parse(TIKTOK, envelope).kind is EventKind.ORDER


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.pop("tts_notification_id"),
        lambda e: e.pop("data"),
        lambda e: e.update(type="one"),
        lambda e: e["data"].update(order_status="TELEPORTED"),
    ],
    ids=["no-notification-id", "no-data", "type-not-a-number", "unknown-status"],
)
def test_a_malformed_tiktok_envelope_is_a_bad_payload(mutate):
    envelope = fixture("tiktok_webhook_order_status.json")
    mutate(envelope)
    with pytest.raises(BadPayload) as err:
        parse(TIKTOK, envelope)
    assert err.value.code == "bad_payload"


@pytest.mark.parametrize("config", [TIKTOK, SHOPIFY, WOO, OWN], ids=lambda c: c.code)
@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"", b"\xff\xfe"])
def test_signed_but_malformed_json_is_a_bad_payload(config, body):
    with pytest.raises(BadPayload):
        parse(config, body)


def test_a_shopify_order_webhook_carries_the_mapped_order_and_the_event_id():
    event = parse(SHOPIFY, fixture_bytes("shopify_orders_create.json"), event_id="evt-1")
    assert event.event_id == "evt-1"
    assert event.topic == "orders/create" and event.kind is EventKind.ORDER
    assert event.order is not None and event.order.external_id == "5791234567890"
    assert event.external_order_id == "5791234567890"


def test_shopify_falls_back_to_the_webhook_id_when_there_is_no_event_id():
    headers, body = signed_webhook(SHOPIFY, fixture_bytes("shopify_orders_create.json"))
    del headers["X-Shopify-Event-Id"]
    assert parse_webhook(SHOPIFY, headers, body).event_id == headers["X-Shopify-Webhook-Id"]


def test_a_shopify_webhook_without_a_topic_is_a_bad_payload():
    headers, body = signed_webhook(SHOPIFY, fixture_bytes("shopify_orders_create.json"))
    del headers["X-Shopify-Topic"]
    with pytest.raises(BadPayload):
        parse_webhook(SHOPIFY, headers, body)


def test_a_cancelled_shopify_order_is_a_cancel_event():
    order = fixture("shopify_orders_create.json")
    order["cancelled_at"] = "2026-11-26T15:00:00-05:00"
    event = parse(SHOPIFY, order, topic="orders/cancelled")
    assert event.kind is EventKind.CANCEL and event.status is OrderStatus.CANCELLED


def test_shopify_refunds_and_deletes_name_the_order():
    refund = parse(SHOPIFY, {"id": 1, "order_id": 5791234567890}, topic="refunds/create")
    assert refund.kind is EventKind.RETURN and refund.external_order_id == "5791234567890"
    deleted = parse(SHOPIFY, {"id": 5791234567890}, topic="orders/delete")
    assert deleted.kind is EventKind.CANCEL and deleted.external_order_id == "5791234567890"


def test_shopify_product_topics_are_ignored_and_unknown_topics_are_reported():
    assert parse(SHOPIFY, {"id": 1}, topic="products/update").kind is EventKind.IGNORED
    with pytest.raises(UnknownTopic):
        parse(SHOPIFY, {"id": 1}, topic="orders/teleported")


def test_a_shopify_order_of_only_gift_cards_is_ignored():
    order = fixture("shopify_orders_create.json")
    order["line_items"] = [order["line_items"][2]]
    assert parse(SHOPIFY, order).kind is EventKind.IGNORED


def test_a_woocommerce_order_created_is_keyed_on_its_delivery_id():
    event = parse(WOO, fixture_bytes("woocommerce_order_created.json"), event_id="d-77")
    assert event.event_id.startswith("d-77-") and event.topic == "order.created"
    assert event.kind is EventKind.ORDER and event.order.external_id == "4127"


def test_two_woo_orders_delivered_in_the_same_second_do_not_share_an_event_id():
    # WooCommerce's delivery id is a hash of webhook id + unix second: it can repeat.
    first = parse(WOO, make_woo_order(5001, {"SKU-0001": 1}), event_id="same-second")
    second = parse(WOO, make_woo_order(5002, {"SKU-0002": 1}), event_id="same-second")
    replay = parse(WOO, make_woo_order(5001, {"SKU-0001": 1}), event_id="same-second")
    assert first.event_id != second.event_id
    assert replay.event_id == first.event_id


def test_a_woo_secret_with_html_entities_verifies_as_wordpress_signs_it():
    stored = dataclasses.replace(WOO, secret="a&amp;b&#039;c")
    signer = dataclasses.replace(WOO, secret="a&b'c")  # wp_specialchars_decode(stored)
    headers, body = signed_webhook(signer, fixture_bytes("woocommerce_order_created.json"))
    assert parse_webhook(stored, headers, body).kind is EventKind.ORDER


def test_a_woocommerce_cancelled_update_is_a_cancel_event():
    order = fixture("woocommerce_order_created.json")
    order["status"] = "cancelled"
    event = parse(WOO, order, topic="order.updated")
    assert event.kind is EventKind.CANCEL


def test_a_woocommerce_webhook_without_a_delivery_id_is_a_bad_payload():
    headers, body = signed_webhook(WOO, fixture_bytes("woocommerce_order_created.json"))
    del headers["X-WC-Webhook-Delivery-ID"]
    with pytest.raises(BadPayload):
        parse_webhook(WOO, headers, body)


def test_woocommerce_product_topics_are_ignored_and_unknown_ones_reported():
    assert parse(WOO, {"id": 1}, topic="product.updated").kind is EventKind.IGNORED
    with pytest.raises(UnknownTopic):
        parse(WOO, {"id": 1}, topic="subscription.renewed")


def test_an_own_shop_webhook_maps_the_order_and_a_cancel_needs_only_the_id():
    event = parse(OWN, fixture_bytes("own_order.json"), event_id="own-1")
    assert event.kind is EventKind.ORDER and event.order.external_id == "OWN-2026-000731"
    cancel = parse(OWN, {"order_id": "OWN-2026-000731"}, topic="order.cancelled")
    assert cancel.kind is EventKind.CANCEL and cancel.external_order_id == "OWN-2026-000731"


def test_an_own_shop_webhook_with_an_invalid_order_is_a_bad_payload():
    order = fixture("own_order.json")
    order["lines"][0]["qty"] = 0
    with pytest.raises(BadPayload) as err:
        parse(OWN, order)
    assert "qty" in err.value.message


def test_a_replayed_delivery_keeps_its_event_id():
    payload = fixture_bytes("shopify_orders_create.json")
    first = parse(SHOPIFY, payload, event_id="same")
    second = parse(SHOPIFY, payload, event_id="same")
    assert first.event_id == second.event_id
    assert first.order == second.order


def test_the_dispatcher_refuses_a_config_of_no_known_kind():
    fake = dataclasses.replace(TIKTOK)
    object.__setattr__(fake, "kind", "carrier-pigeon")
    with pytest.raises(Exception) as err:
        parse_webhook(fake, {}, b"{}")
    assert getattr(err.value, "code", "") == "bad_channel_config"
