"""The console's listings page: a channel's listings searched, added, edited and disabled in a
real browser, each change audited and pushed to the shop at once; bad input writes nothing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.fakes.channel_apis import FakeChannelApis
from tests.support import api
from tests.support.api import LOGINS
from tests.support.waiting import wait_until
from tests.web.conftest import sign_in, violations
from wms.channels.config import load_listings
from wms.config import ROOT
from wms.domain.checkdigits import with_check_digit
from wms.domain.orders import ChannelKind
from wms.loopback import ThreadServer

LISTINGS = {(x.channel, x.sku): x for x in load_listings(ROOT / "fixtures/demo/listings.csv")}


@pytest.fixture(scope="module")
def admin(server: ThreadServer) -> Iterator[httpx.Client]:
    with api.client(server.url, api.login(server.url, "admin")) as c:
        yield c


@pytest.fixture(scope="module")
def admin_console(server: ThreadServer) -> Iterator[httpx.Client]:
    """An admin's console session without a browser: the cookie and its CSRF header."""
    with httpx.Client(base_url=server.url, timeout=30) as c:
        page = c.get("/ui/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        badge, pin = LOGINS["admin"]
        signed = c.post("/ui/login", data={"badge": badge, "pin": pin, "csrf": csrf})
        assert signed.status_code == 302
        board = c.get("/ui/").text
        token = re.search(r'"X-CSRF-Token": "([^"]+)"', board).group(1)  # type: ignore[union-attr]
        c.headers.update({"X-CSRF-Token": token, "HX-Request": "true"})
        yield c


def _audit(client: httpx.Client, action: str, target: str) -> list[dict[str, Any]]:
    lines = client.get("/api/v1/audit/", params={"action": action}).json()
    return [line for line in lines if line["target"] == target]


def _listing(admin: httpx.Client, channel: str, sku: str) -> dict[str, Any] | None:
    found = admin.get(f"/api/v1/admin/channels/{channel}/listings", params={"q": sku}).json()
    return next((x for x in found if x["sku"] == sku), None)


async def test_an_admin_finds_disables_and_adds_listings_in_the_browser(
    page: Page,
    server: ThreadServer,
    admin: httpx.Client,
    fake_channels: FakeChannelApis,
    database_url: str,
) -> None:
    await sign_in(page, server.url, "admin")
    await page.goto(f"{server.url}/ui/admin")
    await page.locator("nav.admin a", has_text="Listings").click()
    finder = page.locator("#find_listings")
    await finder.locator("select[name=channel]").select_option("woo-main")
    await finder.locator("input[name=q]").fill("SKU-0154")
    await finder.locator("button[type=submit]").click()
    row = page.locator("#listings tr[data-sku='SKU-0154']")
    await expect(row).to_contain_text("SKU-0154")
    await expect(page.locator("#listings tbody tr")).to_have_count(1)
    # Disabled: WooCommerce is told zero for it at once.
    await row.locator("input[name=active]").uncheck()
    await row.locator("button[type=submit]").click()
    await expect(page.locator(".notice")).to_contain_text("Listing woo-main SKU-0154 disabled")
    woo = LISTINGS[("woo-main", "SKU-0154")]
    key = (ChannelKind.WOOCOMMERCE, f"{woo.product_ref}/{woo.variant_ref}")
    wait_until(lambda: fake_channels.stock.get(key) == 0, "a zero for the disabled listing")
    assert _listing(admin, "woo-main", "SKU-0154")["active"] is False  # type: ignore[index]
    assert _audit(admin, "listing.disable", "woo-main:SKU-0154")[0]["actor"] == "admin"

    # A new product listed on the shop from the console, under the shop's own id.
    sku = f"UIL-{uuid.uuid4().hex[:6]}"
    barcode = with_check_digit("22" + f"{uuid.uuid4().int % 10**10:010d}")
    made = admin.post("/api/v1/admin/products/", json={"sku": sku, "name": "Linen towel",
                                                        "barcodes": [barcode]})  # fmt: skip
    assert made.status_code == 201, made.text
    add = page.locator("#add_listing")
    await add.locator("input[name=sku]").fill(sku)
    await add.locator("input[name=product_ref]").fill("88123")
    await add.locator("button[type=submit]").click()
    await expect(page.locator(".notice")).to_contain_text(f"Listing woo-main {sku} saved")
    wait_until(
        lambda: fake_channels.stock.get((ChannelKind.WOOCOMMERCE, "88123")) == 0,
        "the new listing's push (no stock yet)",
    )
    # Edited: a variant of that product on the shop.
    await page.locator("#find_listings input[name=q]").fill(sku)
    await page.locator("#find_listings button[type=submit]").click()
    # The add's answer shows this row already, and the find's answer replaces it: the edit
    # waits for that (typed into the old row, its Save would post the new row's old values).
    # The find's page has no notice; the add's had one.
    await expect(page.locator(".notice")).to_have_count(0)
    edit = page.locator(f"#listings tr[data-sku='{sku}']")
    await edit.locator("input[name=variant_ref]").fill("88124")
    await edit.locator("button[type=submit]").click()
    # The page said "saved" for the add already: the stored listing tells the edit arrived.
    wait_until(
        lambda: (_listing(admin, "woo-main", sku) or {}).get("variant_ref") == "88124",
        "the edited variant to be stored",
    )
    variant = page.locator(f"#listings tr[data-sku='{sku}'] input[name=variant_ref]")
    await expect(variant).to_have_value("88124")
    wait_until(
        lambda: fake_channels.stock.get((ChannelKind.WOOCOMMERCE, "88123/88124")) == 0,
        "the push under the variant",
    )
    # A refused change shows its problem on the page.
    await edit.locator("input[name=product_ref]").fill(woo.product_ref)
    await edit.locator("input[name=variant_ref]").fill(woo.variant_ref)
    await edit.locator("button[type=submit]").click()
    await expect(page.locator("#flash .error")).to_contain_text("Listing taken")
    assert _listing(admin, "woo-main", sku)["product_ref"] == "88123"  # type: ignore[index]
    assert await violations(database_url) == []


def test_a_refused_listing_in_the_console_shows_its_problem_and_writes_nothing(
    admin_console: httpx.Client, admin: httpx.Client
) -> None:
    before = _listing(admin, "shopify-main", "SKU-0155")
    audit = admin.get("/api/v1/audit/", params={"action": "listing.put"}).json()
    r = admin_console.post("/ui/admin/listings/shopify-main/SKU-0155", data={"product_ref": ""})
    assert r.status_code == 422 and 'data-code="bad_listing"' in r.text
    r = admin_console.post(
        "/ui/admin/listings", data={"channel": "shopify-main", "sku": "NOPE", "product_ref": "1"}
    )
    assert r.status_code == 404 and 'data-code="unknown_sku"' in r.text
    r = admin_console.post(
        "/ui/admin/listings/shopify-main/SKU-0155",
        data={"product_ref": "1"},
        headers={"X-CSRF-Token": "forged"},
    )
    assert r.status_code == 403 and r.json()["code"] == "csrf"
    assert _listing(admin, "shopify-main", "SKU-0155") == before
    assert admin.get("/api/v1/audit/", params={"action": "listing.put"}).json() == audit


def test_the_listings_page_is_for_admins_only(console: httpx.Client) -> None:
    r = console.get("/ui/admin/listings")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert console.post("/ui/admin/listings", data={"sku": "x"}).status_code == 403
