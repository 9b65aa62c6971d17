"""Admin API: listings are listed, searched, added, edited and disabled; a disabled listing or
product is pushed zero to the shops at once, and enabled again its true figure."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.channel_apis import FakeChannelApis
from tests.support import api
from tests.support.api import problem
from tests.support.waiting import wait_until
from wms.channels.config import load_listings
from wms.config import ROOT
from wms.db import Database
from wms.domain.orders import ChannelKind
from wms.loopback import ThreadServer
from wms.services import check

LISTINGS = {(x.channel, x.sku): x for x in load_listings(ROOT / "fixtures/demo/listings.csv")}
KINDS = {
    "tiktok-main": ChannelKind.TIKTOK,
    "shopify-main": ChannelKind.SHOPIFY,
    "woo-main": ChannelKind.WOOCOMMERCE,
    "own-main": ChannelKind.OWN,
}


@pytest.fixture(scope="module")
def admin(server: ThreadServer) -> Iterator[httpx.Client]:
    with api.client(server.url, api.login(server.url, "admin")) as c:
        yield c


def _key(channel: str, sku: str) -> tuple[ChannelKind, str]:
    """How the fake shop keys the quantity it was last pushed for this listing."""
    x, kind = LISTINGS[(channel, sku)], KINDS[channel]
    if kind is ChannelKind.TIKTOK:
        return kind, f"{x.product_ref}/{x.variant_ref}"
    if kind is ChannelKind.SHOPIFY:
        return kind, x.variant_ref
    if kind is ChannelKind.WOOCOMMERCE:
        return kind, f"{x.product_ref}/{x.variant_ref}" if x.variant_ref else x.product_ref
    return kind, sku


def _true_figure(admin: httpx.Client, channel: str, sku: str) -> int:
    sellable = int(admin.get(f"/api/v1/stock/availability/{sku}").json()["sellable"])
    buffers = {c["code"]: c["buffer"] for c in admin.get("/api/v1/admin/channels/").json()}
    return max(0, sellable - buffers[channel])


def _audit(admin: httpx.Client, action: str, target: str) -> list[dict[str, Any]]:
    lines = admin.get("/api/v1/audit/", params={"action": action}).json()
    return [line for line in lines if line["target"] == target]


def _violations(url: str) -> list[str]:
    async def go() -> list[str]:
        db = Database(url)
        try:
            return await check.violations(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_a_channels_listings_are_listed_and_searched_by_either_sku_or_name(
    admin: httpx.Client,
) -> None:
    page = admin.get("/api/v1/admin/channels/woo-main/listings", params={"limit": 5})
    assert page.status_code == 200, page.text
    rows = page.json()
    assert len(rows) == 5 and [r["sku"] for r in rows] == sorted(r["sku"] for r in rows)
    assert all(r["channel"] == "woo-main" and r["active"] for r in rows)
    ours = admin.get("/api/v1/admin/channels/woo-main/listings", params={"q": "sku-0150"}).json()
    assert [r["sku"] for r in ours] == ["SKU-0150"] and ours[0]["product_ref"] == "1190"
    theirs = admin.get("/api/v1/admin/channels/woo-main/listings", params={"q": "1190"}).json()
    assert "SKU-0150" in [r["sku"] for r in theirs]
    after = admin.get(
        "/api/v1/admin/channels/woo-main/listings", params={"after": rows[-1]["sku"], "limit": 1}
    ).json()
    assert after[0]["sku"] > rows[-1]["sku"]
    problem(admin.get("/api/v1/admin/channels/nope/listings"), 404, "unknown_channel")


def test_a_disabled_listing_is_pushed_zero_and_enabled_again_its_true_figure(
    admin: httpx.Client, fake_channels: FakeChannelApis, database_url: str
) -> None:
    url = "/api/v1/admin/channels/shopify-main/listings/SKU-0151"
    x = LISTINGS[("shopify-main", "SKU-0151")]
    r = admin.put(url, json={"product_ref": x.product_ref, "variant_ref": x.variant_ref,
                             "active": False})  # fmt: skip
    assert r.status_code == 200 and r.json()["active"] is False, r.text
    wait_until(lambda: fake_channels.stock.get(_key("shopify-main", "SKU-0151")) == 0, "zero")
    # The other shops listing it still sell it.
    truth = _true_figure(admin, "woo-main", "SKU-0151")
    assert truth > 0
    wait_until(
        lambda: fake_channels.stock.get(_key("woo-main", "SKU-0151")) == truth, "woo's figure"
    )
    assert _audit(admin, "listing.disable", "shopify-main:SKU-0151")[0]["actor"] == "admin"
    r = admin.put(url, json={"product_ref": x.product_ref, "variant_ref": x.variant_ref})
    assert r.status_code == 200 and r.json()["active"] is True
    truth = _true_figure(admin, "shopify-main", "SKU-0151")
    assert truth > 0
    wait_until(
        lambda: fake_channels.stock.get(_key("shopify-main", "SKU-0151")) == truth,
        f"the true figure {truth} again",
    )
    assert _audit(admin, "listing.enable", "shopify-main:SKU-0151")
    assert _violations(database_url) == []


def test_disabling_a_product_pushes_zero_to_every_channel_listing_it_and_enabling_the_truth(
    admin: httpx.Client, fake_channels: FakeChannelApis, database_url: str
) -> None:
    sku = "SKU-0152"
    r = admin.patch(f"/api/v1/admin/products/{sku}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False, r.text
    for channel in KINDS:
        wait_until(
            lambda c=channel: fake_channels.stock.get(_key(c, sku)) == 0,  # type: ignore[misc]
            f"{channel} to be pushed zero",
        )
    r = admin.patch(f"/api/v1/admin/products/{sku}", json={"active": True})
    assert r.status_code == 200 and r.json()["active"] is True
    for channel in KINDS:
        truth = _true_figure(admin, channel, sku)
        assert truth > 0
        wait_until(
            lambda c=channel, t=truth: fake_channels.stock.get(_key(c, sku)) == t,  # type: ignore[misc]
            f"{channel} to be pushed {truth}",
        )
    assert _violations(database_url) == []


def test_a_bad_listing_is_refused_with_its_problem_and_nothing_is_written(
    admin: httpx.Client,
) -> None:
    url = "/api/v1/admin/channels/woo-main/listings/SKU-0153"
    before = admin.get("/api/v1/admin/channels/woo-main/listings", params={"q": "SKU-0153"}).json()
    audit = admin.get("/api/v1/audit/", params={"action": "listing.put"}).json()
    problem(admin.put(url, json={"product_ref": " "}), 422, "bad_listing")
    problem(admin.put(url, json={"product_ref": "9" * 65}), 422, "bad_listing")
    taken = LISTINGS[("woo-main", "SKU-0150")]
    problem(admin.put(url, json={"product_ref": taken.product_ref}), 409, "listing_taken")
    problem(
        admin.put("/api/v1/admin/channels/nope/listings/SKU-0153", json={"product_ref": "1"}),
        404,
        "unknown_channel",
    )
    assert admin.put(url, json={"product_ref": "1", "colour": "red"}).status_code == 400
    after = admin.get("/api/v1/admin/channels/woo-main/listings", params={"q": "SKU-0153"}).json()
    assert after == before
    assert admin.get("/api/v1/audit/", params={"action": "listing.put"}).json() == audit


def test_only_an_admin_sees_or_changes_listings(supervisor: httpx.Client) -> None:
    assert supervisor.get("/api/v1/admin/channels/woo-main/listings").status_code == 403
    r = supervisor.put(
        "/api/v1/admin/channels/woo-main/listings/SKU-0153", json={"product_ref": "1"}
    )
    assert r.status_code == 403
