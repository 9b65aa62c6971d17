"""Stock pushes in bulk: as few calls per channel as its API allows, and per-item refusals read."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from wms.channels import own, tiktok_sign
from wms.channels.config import Listing, load_channels, load_listings
from wms.channels.errors import ChannelApiError, ConfigError
from wms.channels.pushes import (
    StockBatch,
    StockLevel,
    bulk_event_id,
    plan_stock_pushes,
    stock_item_failures,
)

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = load_channels(ROOT / "fixtures/demo/channels.json")
ALL_LISTINGS = load_listings(ROOT / "fixtures/demo/listings.csv")


def levels(code: str, n: int | None = None) -> list[StockLevel]:
    mine = [x for x in ALL_LISTINGS if x.channel == code][:n]
    return [StockLevel(x, i % 7, f"ev-{code}-{i}") for i, x in enumerate(mine)]


def test_shopify_levels_go_out_250_per_inventory_set_quantities_call():
    plan = plan_stock_pushes(CHANNELS["shopify-main"], levels("shopify-main", 300))
    assert [len(b.levels) for b in plan.batches] == [250, 50] and not plan.rejected
    first = plan.batches[0]
    quantities = first.request.json()["variables"]["input"]["quantities"]
    assert len(quantities) == 250
    assert quantities[3] == {
        "inventoryItemId": f"gid://shopify/InventoryItem/{first.levels[3].listing.variant_ref}",
        "locationId": "gid://shopify/Location/76543210987",
        "quantity": first.levels[3].quantity,
    }
    assert first.request.headers["X-WMS-Event-Id"] == bulk_event_id(first.event_ids)
    assert first.request.headers["Idempotency-Key"] == bulk_event_id(first.event_ids)


def test_woocommerce_simple_products_share_one_batch_and_variations_go_per_parent():
    plan = plan_stock_pushes(CHANNELS["woo-main"], levels("woo-main"))
    simple = [b for b in plan.batches if b.request.url.endswith("/products/batch")]
    variations = [b for b in plan.batches if b.request.url.endswith("/variations/batch")]
    assert [len(b.levels) for b in simple] == [100, 20]  # 120 simple products, ≤ 100 per call
    parents = {urlsplit(b.request.url).path.split("/")[-3] for b in variations}
    assert len(variations) == len(parents) == 137  # one call per parent product
    assert sum(len(b.levels) for b in plan.batches) == 520
    for batch in variations:
        parent = urlsplit(batch.request.url).path.split("/")[-3]
        assert {level.listing.product_ref for level in batch.levels} == {parent}
        ids = [item["id"] for item in batch.request.json()["update"]]
        assert ids == [int(level.listing.variant_ref) for level in batch.levels]


def test_tiktok_skus_of_one_product_share_one_signed_call():
    config = CHANNELS["tiktok-main"]
    plan = plan_stock_pushes(config, levels("tiktok-main"))
    products = {x.product_ref for x in ALL_LISTINGS if x.channel == "tiktok-main"}
    assert len(plan.batches) == len(products)
    four = next(b for b in plan.batches if len(b.levels) == 4)
    url = urlsplit(four.request.url)
    product = four.levels[0].listing.product_ref
    assert url.path == f"/tiktok/product/202309/products/{product}/inventory/update"
    assert [sku["id"] for sku in four.request.json()["skus"]] == [
        level.listing.variant_ref for level in four.levels
    ]
    params = dict(parse_qsl(url.query))
    path = url.path.removeprefix("/tiktok")
    assert params["sign"] == tiktok_sign.sign(config.secret, path, params, four.request.body)


def test_the_own_shop_gets_one_signed_list_with_each_rows_event_id():
    config = CHANNELS["own-main"]
    plan = plan_stock_pushes(config, levels("own-main", 40))
    assert len(plan.batches) == 1
    request = plan.batches[0].request
    body = request.json()
    assert body["event_id"] == request.headers["X-WMS-Event-Id"]
    assert [item["event_id"] for item in body["items"]] == list(plan.batches[0].event_ids)
    own.verify_signature(config, request.headers, request.body)


def test_the_bulk_key_is_stable_whatever_the_order_and_changes_with_the_rows():
    assert bulk_event_id(["b", "a", "c"]) == bulk_event_id(["c", "b", "a"])
    assert bulk_event_id(["a", "b"]) != bulk_event_id(["a", "b", "c"])
    assert bulk_event_id(["only"]) == "only"
    assert len(bulk_event_id([f"{n:032x}" for n in range(500)])) <= 40


def test_a_listing_with_unusable_ids_is_rejected_alone():
    good = levels("woo-main", 3)
    bad = StockLevel(Listing("woo-main", "SKU-X", "not-a-number"), 4, "ev-bad")
    plan = plan_stock_pushes(CHANNELS["woo-main"], [*good, bad])
    assert set(plan.rejected) == {"ev-bad"} and "numeric" in plan.rejected["ev-bad"]
    assert sum(len(b.levels) for b in plan.batches) == 3


def test_a_channel_that_cannot_be_called_fails_as_a_whole():
    with pytest.raises(ConfigError):
        plan_stock_pushes(
            dataclasses.replace(CHANNELS["shopify-main"], api_base_url=""), levels("shopify-main")
        )
    with pytest.raises(ConfigError):
        plan_stock_pushes(
            dataclasses.replace(CHANNELS["tiktok-main"], secret=""), levels("tiktok-main")
        )


def test_the_same_listing_twice_goes_in_two_calls_in_order():
    one = levels("shopify-main", 1)[0]
    later = dataclasses.replace(one, quantity=9, event_id="ev-later")
    plan = plan_stock_pushes(CHANNELS["shopify-main"], [one, later])
    assert [b.event_ids for b in plan.batches] == [(one.event_id,), ("ev-later",)]


def test_no_levels_means_no_calls():
    assert plan_stock_pushes(CHANNELS["own-main"], []).batches == []


# -- what the channel's answer says about each item -------------------------------------------


def batch_of(code: str, n: int) -> StockBatch:
    return plan_stock_pushes(CHANNELS[code], levels(code, n)).batches[0]


def answer(payload: object) -> bytes:
    return json.dumps(payload).encode()


def test_a_shopify_user_error_naming_an_item_fails_that_row_alone():
    batch = batch_of("shopify-main", 5)
    error = {
        "code": "INVALID_INVENTORY_ITEM",
        "field": ["input", "quantities", "2", "inventoryItemId"],
        "message": "The specified inventory item could not be found.",
    }
    body = {"data": {"inventorySetQuantities": {"userErrors": [error]}}}
    failures = stock_item_failures(batch, answer(body))
    assert list(failures) == [batch.levels[2].event_id]
    assert "INVALID_INVENTORY_ITEM" in failures[batch.levels[2].event_id]


def test_a_clean_shopify_answer_fails_nothing():
    body = {"data": {"inventorySetQuantities": {"userErrors": [], "inventoryAdjustmentGroup": {}}}}
    assert stock_item_failures(batch_of("shopify-main", 5), answer(body)) == {}


@pytest.mark.parametrize(
    "body",
    [
        {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]},
        {"data": {"inventorySetQuantities": {"userErrors": [{"field": ["input", "name"]}]}}},
        {"data": {"inventorySetQuantities": {"userErrors": [{"field": None, "message": "x"}]}}},
        {"data": {}},
        ["not", "an", "object"],
    ],
    ids=["graphql-errors", "input-error", "no-field", "no-payload", "not-an-object"],
)
def test_a_shopify_answer_that_names_no_item_fails_the_whole_call(body):
    with pytest.raises(ChannelApiError):
        stock_item_failures(batch_of("shopify-main", 5), answer(body))


def test_a_shopify_user_error_pointing_past_the_items_fails_the_whole_call():
    error = {"field": ["input", "quantities", "99", "quantity"], "message": "?"}
    body = {"data": {"inventorySetQuantities": {"userErrors": [error]}}}
    with pytest.raises(ChannelApiError):
        stock_item_failures(batch_of("shopify-main", 5), answer(body))


def woo_simple_batch(n: int) -> StockBatch:
    simple = [x for x in ALL_LISTINGS if x.channel == "woo-main" and not x.variant_ref][:n]
    mine = [StockLevel(x, 1, f"ev-simple-{i}") for i, x in enumerate(simple)]
    (batch,) = plan_stock_pushes(CHANNELS["woo-main"], mine).batches
    return batch


def test_a_woocommerce_item_error_or_a_missing_item_fails_that_row_alone():
    batch = woo_simple_batch(4)
    ids = [item["id"] for item in batch.request.json()["update"]]
    body = {
        "update": [
            {"id": ids[0], "stock_quantity": 1},
            {
                "id": ids[1],
                "error": {"code": "woocommerce_rest_product_invalid_id", "message": "x"},
            },
            {"id": ids[3], "stock_quantity": 1},
        ]
    }
    failures = stock_item_failures(batch, answer(body))
    assert set(failures) == {batch.levels[1].event_id, batch.levels[2].event_id}
    assert failures[batch.levels[1].event_id].startswith("woocommerce_rest_product_invalid_id")
    assert "missing" in failures[batch.levels[2].event_id]


@pytest.mark.parametrize("body", [b"<html>", answer({"id": 1}), answer([])])
def test_a_woocommerce_answer_without_its_update_list_fails_the_whole_call(body):
    with pytest.raises(ChannelApiError):
        stock_item_failures(woo_simple_batch(4), body)


@pytest.mark.parametrize("code", ["tiktok-main", "own-main"])
def test_tiktok_and_the_own_shop_answer_for_the_call_as_a_whole(code):
    assert stock_item_failures(batch_of(code, 3), b"whatever") == {}


@pytest.mark.parametrize("code", ["shopify-main", "woo-main", "tiktok-main", "own-main"])
def test_the_bench_sink_answers_every_bulk_call_as_fully_accepted(code):
    from wms.bench import sink

    for batch in plan_stock_pushes(CHANNELS[code], levels(code, 300)).batches:
        path = urlsplit(batch.request.url).path
        assert stock_item_failures(batch, sink.answer(path, batch.request.body)) == {}
