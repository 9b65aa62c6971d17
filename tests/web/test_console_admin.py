"""The console's admin pages: products, users, printers, stations and channels, edited in place."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.fakes.channel_apis import FakeChannelApis
from tests.support import api
from tests.support.api import LOGINS
from tests.web.conftest import sign_in
from wms.channels.config import load_listings
from wms.config import ROOT
from wms.domain.checkdigits import with_check_digit
from wms.domain.orders import ChannelKind
from wms.loopback import ThreadServer


@pytest.fixture(scope="module")
def admin_console(server: ThreadServer) -> Iterator[httpx.Client]:
    """An admin's console session without a browser: the cookie and its CSRF header."""
    with httpx.Client(base_url=server.url, timeout=30) as c:
        page = c.get("/ui/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        badge, pin = LOGINS["admin"]
        assert (
            c.post("/ui/login", data={"badge": badge, "pin": pin, "csrf": csrf}).status_code == 302
        )
        board = c.get("/ui/").text
        token = re.search(r'"X-CSRF-Token": "([^"]+)"', board).group(1)  # type: ignore[union-attr]
        c.headers.update({"X-CSRF-Token": token, "HX-Request": "true"})
        yield c


@pytest.fixture(scope="module")
def admin(server: ThreadServer) -> Iterator[httpx.Client]:
    with api.client(server.url, api.login(server.url, "admin")) as c:
        yield c


def _gtin() -> str:
    return with_check_digit("21" + f"{uuid.uuid4().int % 10**10:010d}")


def _audit(client: httpx.Client, action: str, target: str) -> list[dict[str, Any]]:
    lines = client.get("/api/v1/audit/", params={"action": action}).json()
    return [line for line in lines if line["target"] == target]


async def test_an_admin_adds_and_edits_a_product_a_printer_and_a_station_in_the_browser(
    page: Page, server: ThreadServer, admin: httpx.Client
) -> None:
    await sign_in(page, server.url, "admin")
    await expect(page.locator("header nav")).to_contain_text("Admin")
    await page.goto(f"{server.url}/ui/admin/products")
    form = page.locator("#add_product")
    await form.locator("input[name=sku]").fill("UI-0001")
    await form.locator("input[name=name]").fill("Wool socks")
    await form.locator("input[name=weight_g]").fill("120")
    barcode = _gtin()
    await form.locator("input[name=barcodes]").fill(barcode)
    await form.locator("button[type=submit]").click()
    await expect(page.locator(".notice")).to_contain_text("Product UI-0001 added")
    await page.goto(f"{server.url}/ui/admin/products?after=UI-0000")
    await expect(page.locator("tr[data-sku='UI-0001']")).to_contain_text(barcode)
    await page.locator("tr[data-sku='UI-0001'] a").click()
    edit = page.locator("#edit_product")
    await edit.locator("input[name=name]").fill("Wool socks, grey")
    await edit.locator("button[type=submit]").click()
    await expect(page.locator(".notice")).to_contain_text("Product UI-0001 saved")
    assert admin.get("/api/v1/admin/products/UI-0001").json()["name"] == "Wool socks, grey"

    await page.goto(f"{server.url}/ui/admin/floor")
    printer = page.locator("#add_printer")
    await printer.locator("input[name=url]").fill("tcp://127.0.0.1:9777")
    await printer.locator("input[name=name]").fill("Bench 7")
    await printer.locator("button[type=submit]").click()
    await expect(page.locator(".notice")).to_contain_text("Printer tcp://127.0.0.1:9777")
    station = page.locator("#add_station")
    await station.locator("input[name=code]").fill("PACK-07")
    await station.locator("select[name=label_printer_url]").select_option("tcp://127.0.0.1:9777")
    await station.locator("button[type=submit]").click()
    await expect(page.locator(".notice")).to_contain_text("Station PACK-07 added")
    row = page.locator("tr[data-station='PACK-07']")
    await row.locator("input[name=name]").fill("Bench seven")
    await row.locator("button[type=submit]").click()
    await expect(page.locator(".notice")).to_contain_text("Station PACK-07 saved")
    stations = {s["code"]: s for s in admin.get("/api/v1/admin/stations/").json()}
    assert stations["PACK-07"]["name"] == "Bench seven"
    assert stations["PACK-07"]["label_printer_url"] == "tcp://127.0.0.1:9777"
    assert _audit(admin, "station.update", "PACK-07")[0]["actor"] == "admin"
    assert _audit(admin, "product.update", "UI-0001")[0]["detail"] == "changed=name"


def test_a_refused_change_in_the_console_shows_its_problem_and_writes_nothing(
    admin_console: httpx.Client, admin: httpx.Client
) -> None:
    before = admin.get("/api/v1/admin/users/").json()
    r = admin_console.post(
        "/ui/admin/users", data={"username": "admin", "role": "picker", "csrf": "x"}
    )
    assert r.status_code == 409 and 'data-code="user_exists"' in r.text
    r = admin_console.post(
        "/ui/admin/stations", data={"code": "PACK-08", "label_printer_url": "tcp://10.1.1.1:9100"}
    )
    assert r.status_code == 422 and 'data-code="unknown_printer"' in r.text
    r = admin_console.post(
        "/ui/admin/users", data={"username": "x"}, headers={"X-CSRF-Token": "forged"}
    )
    assert r.status_code == 403 and r.json()["code"] == "csrf"
    assert admin.get("/api/v1/admin/users/").json() == before
    assert "PACK-08" not in admin_console.get("/ui/admin/floor").text


def test_a_user_made_in_the_console_logs_in_with_the_badge_it_was_given(
    admin_console: httpx.Client, server: ThreadServer
) -> None:
    r = admin_console.post(
        "/ui/admin/users",
        data={
            "username": "packer9",
            "name": "Jo",
            "role": "packer",
            "badge": "B2999",
            "pin": "8642",
        },
    )
    assert r.status_code == 200 and "User packer9 added" in r.text, r.text
    assert "8642" not in r.text and "pin_hash" not in r.text
    login = httpx.post(f"{server.url}/api/v1/auth/login", json={"badge": "B2999", "pin": "8642"})
    assert login.status_code == 200 and login.json()["user"]["role"] == "packer"


def test_a_buffer_changed_in_the_console_is_pushed_to_the_shop_at_once(
    admin_console: httpx.Client, admin: httpx.Client, fake_channels: FakeChannelApis
) -> None:
    listing = {(x.channel, x.sku): x for x in load_listings(ROOT / "fixtures/demo/listings.csv")}[
        ("shopify-main", "SKU-0170")
    ]
    sellable = int(admin.get("/api/v1/stock/availability/SKU-0170").json()["sellable"])
    r = admin_console.post(
        "/ui/admin/channels/shopify-main", data={"name": "Shopify", "buffer": "4", "active": "on"}
    )
    assert r.status_code == 200 and "Channel shopify-main saved" in r.text, r.text
    assert "demo-shopify" not in r.text  # no secret on the page, a fingerprint at most
    key = (ChannelKind.SHOPIFY, listing.variant_ref)
    deadline = time.monotonic() + 10
    while fake_channels.stock.get(key) != sellable - 4:
        assert time.monotonic() < deadline, (
            f"no push of {sellable - 4}: {fake_channels.stock.get(key)}"
        )
        time.sleep(0.02)


def test_the_admin_pages_are_for_admins_only(console: httpx.Client) -> None:
    r = console.get("/ui/admin/products")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert console.post("/ui/admin/printers", data={"url": "tcp://x:1"}).status_code == 403
