"""Orders from every channel land once, are reserved at intake, and every channel is told."""

from __future__ import annotations

import time
import uuid

import httpx

from tests.fakes.payloads import (
    make_shopify_order,
    make_tiktok_order,
    make_tiktok_webhook,
    make_woo_order,
)
from tests.fakes.webhooks import signed_webhook, woo_ping
from tests.support.api import problem
from tests.support.waiting import wait_until
from wms.channels.config import load_listings
from wms.config import ROOT
from wms.domain.orders import ChannelKind

SHIP_TO = {
    "name": "Ana Silva",
    "line1": "1 Main St",
    "city": "Austin",
    "region": "TX",
    "postal_code": "78701",
    "country": "US",
}
LISTINGS = {(x.channel, x.sku): x for x in load_listings(ROOT / "fixtures/demo/listings.csv")}


def _post_webhook(client: httpx.Client, fake, code: str, payload, **kw) -> httpx.Response:
    headers, body = signed_webhook(fake.config(code), payload, **kw)
    return client.post(f"/webhooks/{code}", content=body, headers=headers)


def _sellable(client: httpx.Client, sku: str) -> int:
    return client.get(f"/api/v1/stock/availability/{sku}").json()["sellable"]


def _order(client: httpx.Client, channel: str, external_id: str) -> dict | None:
    rows = client.get("/api/v1/orders/", params={"channel": channel, "limit": 1000}).json()
    return next((o for o in rows if o["external_id"] == external_id), None)


def test_a_shopify_order_is_reserved_and_every_channel_gets_the_new_quantity(
    anonymous, supervisor, fake_channels
):
    before = _sellable(supervisor, "SKU-0101")
    r = _post_webhook(
        anonymous, fake_channels, "shopify-main", make_shopify_order(5001, {"SKU-0101": 3})
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "created"
    order = supervisor.get(f"/api/v1/orders/{r.json()['order_id']}").json()
    assert order["status"] == "ready"
    assert [(x["sku"], x["qty"], x["reserved"]) for x in order["lines"]] == [("SKU-0101", 3, 3)]
    assert _sellable(supervisor, "SKU-0101") == before - 3

    shopify_item = LISTINGS[("shopify-main", "SKU-0101")].variant_ref
    tiktok = LISTINGS[("tiktok-main", "SKU-0101")]
    tiktok_sku = f"{tiktok.product_ref}/{tiktok.variant_ref}"
    # Each channel sees our sellable quantity less its own safety buffer (Shopify 1, TikTok 2).
    wait_until(
        lambda: fake_channels.stock.get((ChannelKind.SHOPIFY, shopify_item)) == before - 3 - 1,
        "Shopify to be pushed the stock less 3 and its buffer",
    )
    wait_until(
        lambda: fake_channels.stock.get((ChannelKind.TIKTOK, tiktok_sku)) == before - 3 - 2,
        "TikTok to be pushed the stock less 3 and its buffer",
    )


def test_a_replayed_webhook_returns_the_same_order_and_changes_nothing(
    anonymous, supervisor, fake_channels
):
    payload = make_shopify_order(5002, {"SKU-0102": 2})
    first = _post_webhook(anonymous, fake_channels, "shopify-main", payload, event_id="evt-5002")
    after_first = _sellable(supervisor, "SKU-0102")
    again = _post_webhook(anonymous, fake_channels, "shopify-main", payload, event_id="evt-5002")
    # Shopify may also send the same order under a new event id: still one order.
    other = _post_webhook(anonymous, fake_channels, "shopify-main", payload, event_id="evt-5002-b")
    assert again.json() == {**first.json(), "status": "duplicate"}
    assert other.json()["order_id"] == first.json()["order_id"]
    assert _sellable(supervisor, "SKU-0102") == after_first


def test_a_woocommerce_order_is_taken_and_its_creation_ping_is_ignored(
    anonymous, supervisor, fake_channels
):
    headers, body = woo_ping()
    r = anonymous.post("/webhooks/woo-main", content=body, headers=headers)
    assert (r.status_code, r.json()["status"]) == (200, "ignored")
    r = _post_webhook(anonymous, fake_channels, "woo-main", make_woo_order(7001, {"SKU-0103": 1}))
    assert r.status_code == 200 and r.json()["status"] == "created", r.text


def test_a_tiktok_notification_is_answered_at_once_and_the_order_fetched_from_tiktok(
    anonymous, supervisor, fake_channels
):
    order_id = "5779" + uuid.uuid4().int.__str__()[:15]
    fake_channels.tiktok.add_order(make_tiktok_order(order_id, {"SKU-0104": 2, "SKU-0105": 1}))
    started = time.monotonic()
    r = _post_webhook(
        anonymous,
        fake_channels,
        "tiktok-main",
        make_tiktok_webhook(order_id, f"n-{order_id}", "AWAITING_SHIPMENT"),
    )
    assert r.status_code == 200, r.text
    assert time.monotonic() - started < 1.0
    order = wait_until(lambda: _order(supervisor, "tiktok-main", order_id), "the TikTok order")
    lines = {x["sku"]: (x["qty"], x["reserved"]) for x in order["lines"]}
    # TikTok sends one line item per unit: two items of SKU-0104 are one line of qty 2.
    assert lines == {"SKU-0104": (2, 2), "SKU-0105": (1, 1)}
    assert order["ship_to"]["masked"] is True
    again = _post_webhook(
        anonymous,
        fake_channels,
        "tiktok-main",
        make_tiktok_webhook(order_id, f"n-{order_id}", "AWAITING_SHIPMENT"),
    )
    assert again.json()["status"] == "duplicate"


def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(
    anonymous, supervisor, fake_channels
):
    before = _sellable(supervisor, "SKU-0106")
    headers, body = signed_webhook(
        fake_channels.config("shopify-main"), make_shopify_order(5003, {"SKU-0106": 1})
    )
    tampered = body.replace(b'"quantity":1', b'"quantity":9')
    problem(
        anonymous.post("/webhooks/shopify-main", content=tampered, headers=headers),
        401,
        "bad_signature",
    )
    del headers["X-Shopify-Hmac-Sha256"]
    problem(
        anonymous.post("/webhooks/shopify-main", content=body, headers=headers),
        401,
        "missing_signature",
    )
    assert _sellable(supervisor, "SKU-0106") == before
    assert _order(supervisor, "shopify-main", "5003") is None


def test_an_order_for_an_unknown_sku_is_refused_whole(integration, supervisor):
    before = _sellable(supervisor, "SKU-0107")
    body = {
        "order_id": "OWN-1",
        "currency": "USD",
        "ship_to": SHIP_TO,
        "lines": [
            {"sku": "SKU-0107", "qty": 1, "unit_price": "5.00"},
            {"sku": "NOT-A-SKU", "qty": 1, "unit_price": "5.00"},
        ],
    }
    problem(
        integration.post("/api/v1/orders/", params={"channel": "own-main"}, json=body),
        404,
        "unknown_sku",
    )
    assert _sellable(supervisor, "SKU-0107") == before


def test_what_cannot_be_reserved_is_backordered_and_cancelling_releases_it(integration, supervisor):
    sellable = _sellable(supervisor, "SKU-0108")
    body = {
        "order_id": "OWN-BIG",
        "currency": "USD",
        "ship_to": SHIP_TO,
        "lines": [{"sku": "SKU-0108", "qty": sellable + 4, "unit_price": "5.00"}],
    }
    r = integration.post("/api/v1/orders/", params={"channel": "own-main"}, json=body)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "backordered"
    assert (order["lines"][0]["reserved"], order["lines"][0]["backordered"]) == (sellable, 4)
    assert _sellable(supervisor, "SKU-0108") == 0
    r = integration.post(f"/api/v1/orders/{order['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    assert _sellable(supervisor, "SKU-0108") == sellable


def test_new_stock_goes_to_the_oldest_backorder_first(integration, supervisor):
    sellable = _sellable(supervisor, "SKU-0109")
    body = {
        "order_id": "OWN-BO",
        "currency": "USD",
        "ship_to": SHIP_TO,
        "lines": [{"sku": "SKU-0109", "qty": sellable + 2, "unit_price": "5.00"}],
    }
    order = integration.post("/api/v1/orders/", params={"channel": "own-main"}, json=body).json()
    r = supervisor.post(
        "/api/v1/stock/receive", json={"sku": "SKU-0109", "location": "B16-01-1", "qty": 5}
    )
    assert r.status_code == 201
    after = supervisor.get(f"/api/v1/orders/{order['id']}").json()
    assert after["status"] == "ready"
    assert _sellable(supervisor, "SKU-0109") == 3


def test_a_csv_import_takes_every_order_or_none(integration, supervisor):
    good = (
        "order_id,sku,qty,unit_price,currency\n"
        "CSV-1,SKU-0110,1,9.99,USD\nCSV-1,SKU-0111,2,4.50,USD\nCSV-2,SKU-0110,1,9.99,USD\n"
    )
    r = integration.post("/api/v1/orders/import", params={"channel": "own-main"}, content=good)
    assert r.status_code == 201, r.text
    assert [o["external_id"] for o in r.json()["orders"]] == ["CSV-1", "CSV-2"]
    bad = (
        "order_id,sku,qty,unit_price,currency\n"
        "CSV-3,SKU-0110,1,9.99,USD\nCSV-4,SKU-0110,-1,9.99,USD\n"
    )
    r = integration.post("/api/v1/orders/import", params={"channel": "own-main"}, content=bad)
    assert r.status_code == 400, r.text
    assert _order(supervisor, "own-main", "CSV-3") is None


def test_an_oversized_body_is_refused(anonymous):
    r = anonymous.post(
        "/webhooks/shopify-main",
        content=b"x" * 2_000_000,
        headers={"content-type": "application/json"},
    )
    problem(r, 413, "body_too_large")


def test_a_failing_channel_endpoint_gets_the_push_again_later(supervisor, fake_channels):
    fake_channels.fail_next(3)
    r = supervisor.post(
        "/api/v1/stock/receive", json={"sku": "SKU-0112", "location": "B16-02-1", "qty": 7}
    )
    assert r.status_code == 201
    want = _sellable(supervisor, "SKU-0112")
    item = LISTINGS[("shopify-main", "SKU-0112")].variant_ref
    wait_until(
        lambda: fake_channels.stock.get((ChannelKind.SHOPIFY, item)) == want - 1,
        "Shopify to be pushed the stock less its buffer",
        timeout=15,
    )
