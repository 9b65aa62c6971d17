"""Outbound pushes are built in each channel's format, authenticated and carrying the event id."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from wms.channels import own, tiktok_sign
from wms.channels.config import Listing, load_channels, load_listings
from wms.channels.errors import ConfigError
from wms.channels.pushes import build_stock_push, build_tracking_push

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = load_channels(ROOT / "fixtures/demo/channels.json")
LISTINGS = {(x.channel, x.sku): x for x in load_listings(ROOT / "fixtures/demo/listings.csv")}


def listing(code: str, sku: str = "SKU-0042") -> Listing:
    return LISTINGS[(code, sku)]


def test_a_tiktok_stock_push_is_a_signed_inventory_update():
    config = CHANNELS["tiktok-main"]
    req = build_stock_push(config, listing("tiktok-main"), 12, "ev-1")
    url = urlsplit(req.url)
    assert req.method == "POST"
    assert url.path == "/tiktok/product/202309/products/1729000000013190697/inventory/update"
    params = dict(parse_qsl(url.query))
    assert params["app_key"] == config.app_key and params["shop_cipher"] == config.shop_cipher
    assert "access_token" not in params
    assert req.headers["x-tts-access-token"] == config.access_token
    assert req.headers["X-WMS-Event-Id"] == "ev-1"
    assert req.json() == {
        "skus": [
            {
                "id": "1729500000021802896",
                "inventory": [{"warehouse_id": config.warehouse_id, "quantity": 12}],
            }
        ]
    }
    path = url.path.removeprefix("/tiktok")
    assert params["sign"] == tiktok_sign.sign(config.secret, path, params, req.body)


def test_a_shopify_stock_push_sets_the_available_quantity_of_the_inventory_item_by_graphql():
    config = CHANNELS["shopify-main"]
    req = build_stock_push(config, listing("shopify-main"), 5, "ev-2")
    assert req.method == "POST"
    assert req.url.endswith("/admin/api/2024-10/graphql.json")
    body = req.json()
    assert body["query"].startswith("mutation inventorySetQuantities(")
    assert body["variables"] == {
        "input": {
            "name": "available",
            "reason": "correction",
            "ignoreCompareQuantity": True,
            "quantities": [
                {
                    "inventoryItemId": "gid://shopify/InventoryItem/45012345207289",
                    "locationId": "gid://shopify/Location/76543210987",
                    "quantity": 5,
                }
            ],
        }
    }
    assert req.headers["X-Shopify-Access-Token"] == config.access_token


def test_a_woocommerce_stock_push_targets_the_variation_batch_of_its_parent_when_there_is_one():
    config = CHANNELS["woo-main"]
    variation = build_stock_push(config, listing("woo-main", "SKU-0042"), 3, "ev-3")
    assert variation.method == "POST"
    assert variation.url.endswith("/wp-json/wc/v3/products/1050/variations/batch")
    assert variation.json() == {"update": [{"id": 1052, "manage_stock": True, "stock_quantity": 3}]}
    simple = build_stock_push(config, listing("woo-main", "SKU-0311"), 3, "ev-3")
    assert simple.url.endswith("/wp-json/wc/v3/products/batch")
    assert simple.json() == {"update": [{"id": 1395, "manage_stock": True, "stock_quantity": 3}]}
    user, _, password = (
        base64.b64decode(simple.headers["Authorization"][6:]).decode().partition(":")
    )
    assert (user, password) == (config.app_key, config.access_token)


def test_an_own_shop_stock_push_is_signed_with_our_header():
    config = CHANNELS["own-main"]
    req = build_stock_push(config, listing("own-main"), 9, "ev-4")
    assert req.url.endswith("/own/stock")
    assert req.json() == {
        "event_id": "ev-4",
        "items": [{"sku": "SKU-0042", "quantity": 9, "event_id": "ev-4"}],
    }
    own.verify_signature(config, req.headers, req.body)
    assert req.headers["Authorization"] == f"Bearer {config.access_token}"


@pytest.mark.parametrize("code", ["tiktok-main", "shopify-main", "woo-main", "own-main"])
def test_a_negative_quantity_is_pushed_as_zero(code):
    req = build_stock_push(CHANNELS[code], listing(code), -4, "ev")
    assert "-4" not in req.body.decode() and "0" in req.body.decode()


@pytest.mark.parametrize("code", ["tiktok-main", "shopify-main", "woo-main", "own-main"])
def test_every_push_carries_the_event_id_for_deduplication(code):
    stock = build_stock_push(CHANNELS[code], listing(code), 1, "ev-dedupe")
    track = build_tracking_push(CHANNELS[code], "4127", "1Z5R89390357567127", "6617", ["1"], "t-1")
    assert stock.headers["X-WMS-Event-Id"] == stock.headers["Idempotency-Key"] == "ev-dedupe"
    assert track.headers["X-WMS-Event-Id"] == "t-1"


def test_a_tiktok_tracking_push_marks_the_package_shipped():
    config = CHANNELS["tiktok-main"]
    req = build_tracking_push(
        config,
        "576461413038785752",
        "9400111899223197428490",
        "6617675021119438849",
        ["577086512123755123", "577086512123755124"],
        "t-2",
    )
    assert urlsplit(req.url).path == "/tiktok/fulfillment/202309/orders/576461413038785752/packages"
    assert req.json() == {
        "tracking_number": "9400111899223197428490",
        "shipping_provider_id": "6617675021119438849",
        "order_line_item_ids": ["577086512123755123", "577086512123755124"],
    }


def test_a_shopify_tracking_push_creates_a_fulfillment_with_tracking_info():
    req = build_tracking_push(
        CHANNELS["shopify-main"],
        "5791234567890",
        "1Z5R89390357567127",
        "UPS",
        ["1046000818"],
        "t-3",
        tracking_url="https://www.ups.com/track?tracknum=1Z5R89390357567127",
    )
    assert req.url.endswith("/admin/api/2024-10/fulfillments.json")
    body = req.json()["fulfillment"]
    assert body["line_items_by_fulfillment_order"] == [{"fulfillment_order_id": 1046000818}]
    assert body["tracking_info"]["number"] == "1Z5R89390357567127"
    assert body["tracking_info"]["company"] == "UPS"
    assert body["tracking_info"]["url"].startswith("https://www.ups.com/")


def test_a_woocommerce_tracking_push_completes_the_order_with_tracking_meta():
    req = build_tracking_push(CHANNELS["woo-main"], "4127", "1Z5R89390357567127", "UPS", [], "t-4")
    assert req.method == "PUT" and req.url.endswith("/wp-json/wc/v3/orders/4127")
    body = req.json()
    assert body["status"] == "completed"
    assert {"key": "_wms_tracking_number", "value": "1Z5R89390357567127"} in body["meta_data"]


def test_shopify_ids_must_be_numeric():
    config = dataclasses.replace(CHANNELS["shopify-main"], location_id="gid://shopify/Location/1")
    with pytest.raises(ConfigError):
        build_stock_push(config, listing("shopify-main"), 1, "ev")
    gid = dataclasses.replace(listing("shopify-main"), variant_ref="gid://shopify/InventoryItem/1")
    with pytest.raises(ConfigError):
        build_stock_push(CHANNELS["shopify-main"], gid, 1, "ev")


def test_a_channel_without_a_base_url_or_credentials_cannot_push():
    with pytest.raises(ConfigError):
        build_stock_push(
            dataclasses.replace(CHANNELS["woo-main"], api_base_url=""), listing("woo-main"), 1, "ev"
        )
    with pytest.raises(ConfigError):
        build_stock_push(
            dataclasses.replace(CHANNELS["tiktok-main"], access_token=""),
            listing("tiktok-main"),
            1,
            "ev",
        )


def test_only_open_fulfillment_orders_at_our_location_take_tracking():
    from wms.channels.shopify_fulfillment import fulfillable_order_ids

    answer = {
        "fulfillment_orders": [
            {"id": 1, "status": "open", "assigned_location_id": 76543210987},
            {"id": 2, "status": "closed", "assigned_location_id": 76543210987},
            {"id": 3, "status": "in_progress", "assigned_location_id": 11},
            {"id": 4, "status": "in_progress", "assigned_location_id": 76543210987},
        ]
    }
    assert fulfillable_order_ids(answer, "76543210987") == ["1", "4"]
    assert fulfillable_order_ids(answer) == ["1", "3", "4"]
    with pytest.raises(Exception) as err:
        fulfillable_order_ids({"errors": "Not Found"})
    assert getattr(err.value, "code", "") == "bad_payload"
