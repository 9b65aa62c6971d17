"""Admin API: channels and listings change while the warehouse runs; the shops hear at once."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.channel_apis import FakeChannelApis
from tests.fakes.payloads import make_woo_order
from tests.fakes.webhooks import signed_webhook
from tests.support import api
from tests.support.api import problem
from tests.support.waiting import wait_until
from wms.channels.config import load_listings
from wms.config import ROOT
from wms.domain.orders import ChannelKind
from wms.loopback import ThreadServer

LISTINGS = {(x.channel, x.sku): x for x in load_listings(ROOT / "fixtures/demo/listings.csv")}
NEW_SHOP = {
    "code": "tiktok-uk",
    "kind": "tiktok",
    "name": "TikTok Shop (UK)",
    "secret": "uk-app-secret-never-shown-3f9",
    "app_key": "6d4nq8r2vk3fs",
    "access_token": "TTP_uk_token_never_shown",
    "shop_id": "7495000000000000044",
    "shop_cipher": "ROW_uk_cipher",
    "currency": "GBP",
    "buffer": 1,
    "fee_pct": "5",
}


@pytest.fixture(scope="module")
def admin(server: ThreadServer) -> Iterator[httpx.Client]:
    with api.client(server.url, api.login(server.url, "admin")) as c:
        yield c


def _sellable(client: httpx.Client, sku: str) -> int:
    return int(client.get(f"/api/v1/stock/availability/{sku}").json()["sellable"])


def test_a_channel_is_added_and_its_secrets_are_never_shown(admin: httpx.Client) -> None:
    r = admin.post("/api/v1/admin/channels/", json=NEW_SHOP)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["code"] == "tiktok-uk" and body["currency"] == "GBP" and body["buffer"] == 1
    assert body["has_secret"] and body["has_access_token"] and body["has_shop_cipher"]
    listed = admin.get("/api/v1/admin/channels/")
    assert any(c["code"] == "tiktok-uk" for c in listed.json())
    for text in (r.text, listed.text):
        for secret in (NEW_SHOP["secret"], NEW_SHOP["access_token"], NEW_SHOP["shop_cipher"]):
            assert secret not in text
        assert "demo-tiktok-app-secret" not in text


def test_a_bad_or_duplicate_channel_is_refused_and_nothing_is_added(admin: httpx.Client) -> None:
    before = admin.get("/api/v1/admin/channels/").json()
    problem(
        admin.post("/api/v1/admin/channels/", json={**NEW_SHOP, "code": "x", "kind": "ebay"}),
        422,
        "bad_channel",
    )
    problem(
        admin.post("/api/v1/admin/channels/", json={**NEW_SHOP, "code": "y", "buffer": -1}),
        422,
        "bad_channel",
    )
    problem(admin.post("/api/v1/admin/channels/", json=NEW_SHOP), 409, "channel_exists")
    problem(admin.patch("/api/v1/admin/channels/nope", json={"buffer": 1}), 404, "unknown_channel")
    assert admin.get("/api/v1/admin/channels/").json() == before


def test_only_an_admin_changes_channels(supervisor: httpx.Client) -> None:
    problem(
        supervisor.patch("/api/v1/admin/channels/woo-main", json={"buffer": 9}), 403, "forbidden"
    )


def test_a_changed_buffer_is_pushed_to_the_shop_at_once(
    admin: httpx.Client, fake_channels: FakeChannelApis
) -> None:
    listing = LISTINGS[("shopify-main", "SKU-0160")]
    sellable = _sellable(admin, "SKU-0160")
    r = admin.patch("/api/v1/admin/channels/shopify-main", json={"buffer": 7})
    assert r.status_code == 200 and r.json()["buffer"] == 7, r.text
    key = (ChannelKind.SHOPIFY, listing.variant_ref)
    wait_until(lambda: fake_channels.stock.get(key) == sellable - 7, "the stock push less 7")


def test_a_new_listing_is_pushed_under_its_new_reference_and_a_removed_one_stops(
    admin: httpx.Client, fake_channels: FakeChannelApis
) -> None:
    url = "/api/v1/admin/channels/woo-main/listings/SKU-0161"
    r = admin.put(url, json={"product_ref": "88001", "variant_ref": ""})
    assert r.status_code == 200, r.text
    assert {k: v for k, v in r.json().items() if k != "name"} == {
        "channel": "woo-main",
        "sku": "SKU-0161",
        "product_ref": "88001",
        "variant_ref": "",
        "active": True,
    }
    sellable = _sellable(admin, "SKU-0161")
    wait_until(
        lambda: fake_channels.stock.get((ChannelKind.WOOCOMMERCE, "88001")) == sellable - 1,
        "WooCommerce to be pushed the stock less 1",
    )
    assert admin.delete(url).status_code == 204
    wait_until(
        lambda: fake_channels.stock.get((ChannelKind.WOOCOMMERCE, "88001")) == 0,
        "the removed listing to be told zero",
    )
    problem(admin.delete(url), 404, "unknown_listing")
    problem(
        admin.put("/api/v1/admin/channels/woo-main/listings/NOPE", json={"product_ref": "1"}),
        404,
        "unknown_sku",
    )


def _woo(anonymous: httpx.Client, config: Any, number: int) -> httpx.Response:
    headers, body = signed_webhook(config, make_woo_order(number, {"SKU-0162": 1}))
    return anonymous.post("/webhooks/woo-main", content=body, headers=headers)


def test_a_rotated_secret_works_at_once_and_the_old_one_only_for_its_grace_period(
    admin: httpx.Client, anonymous: httpx.Client, fake_channels: FakeChannelApis
) -> None:
    old = fake_channels.config("woo-main")
    new = dataclasses.replace(old, secret="rotated-woo-secret-2")
    newer = dataclasses.replace(old, secret="rotated-woo-secret-3")
    r = admin.patch("/api/v1/admin/channels/woo-main", json={"secret": new.secret})
    assert r.status_code == 200 and new.secret not in r.text and old.secret not in r.text
    number = 8800 + uuid.uuid4().int % 1000
    # Both secrets verify during the grace period (24 h unless told otherwise).
    assert _woo(anonymous, new, number).json()["status"] == "created"
    assert _woo(anonymous, old, number + 1).json()["status"] == "created"
    # A rotation without a grace period: only the newest secret verifies.
    r = admin.patch(
        "/api/v1/admin/channels/woo-main", json={"secret": newer.secret, "keep_old_secret_s": 0}
    )
    assert r.status_code == 200, r.text
    problem(_woo(anonymous, new, number + 2), 401, "bad_signature")
    problem(_woo(anonymous, old, number + 3), 401, "bad_signature")
    assert _woo(anonymous, newer, number + 4).json()["status"] == "created"
    problem(
        admin.patch("/api/v1/admin/channels/woo-main", json={"keep_old_secret_s": -1}),
        422,
        "bad_channel",
    )
