"""Orders without a complete ship-to address wait among the exceptions; the alert strip counts
every kind of exception live, each linking to its list."""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.api.test_unpaid_then_paid import SELLER_SHIPPED_ADDRESS, _notify, _order
from tests.fakes.channel_apis import FakeChannelApis
from tests.fakes.payloads import make_tiktok_order
from tests.floor.conftest import SHIP_TO
from tests.support import api
from tests.support.waiting import wait_until
from tests.web.conftest import new_order, sign_in, violations
from wms.loopback import ThreadServer

US = {"name": "Bo Buyer", "line1": "1 Main St", "city": "Austin", "region": "TX",
      "postal_code": "78701", "country": "US"}  # fmt: skip


def no_address(supervisor: httpx.Client) -> dict[int, dict[str, Any]]:
    r = supervisor.get("/api/v1/exceptions/no-address")
    assert r.status_code == 200, r.text
    return {x["order_id"]: x for x in r.json()}


def test_an_order_without_a_complete_address_is_never_released_and_says_why(
    server: ThreadServer, integration: httpx.Client, supervisor: httpx.Client,
    console: httpx.Client, picker: httpx.Client,
):  # fmt: skip
    whole = new_order(integration, ("SKU-0031", 1))
    texan = new_order(integration, ("SKU-0031", 1), ship_to=US)
    no_postal = new_order(integration, ("SKU-0032", 1), ship_to=SHIP_TO | {"postal_code": ""})
    no_state = new_order(integration, ("SKU-0032", 1), ship_to=US | {"region": ""})
    nameless = new_order(integration, ("SKU-0033", 1), ship_to=SHIP_TO | {"name": "", "city": ""})
    assert {o["status"] for o in (whole, no_postal, no_state, nameless)} == {"ready"}
    listed = no_address(supervisor)
    assert listed[no_postal["id"]]["reason"] == "postal code missing"
    assert listed[no_postal["id"]]["missing"] == ["postal code"]
    assert listed[no_state["id"]]["reason"] == "region missing"
    assert listed[nameless["id"]]["reason"] == "name and city missing"
    assert whole["id"] not in listed and texan["id"] not in listed  # GB needs no region

    # Alone, nothing can be released: refused whole, and the order stays as it was.
    r = supervisor.post("/api/v1/waves/", json={"order_ids": [no_postal["id"]], "iterations": 5},
                        headers=api.idem())  # fmt: skip
    api.problem(r, 422, "nothing_to_release")
    assert r.json()["left_out"][0]["reason"] == "no_address"
    assert supervisor.get(f"/api/v1/orders/{no_postal['id']}").json()["status"] == "ready"

    ids = [o["id"] for o in (whole, texan, no_postal, no_state, nameless)]
    r = supervisor.post("/api/v1/waves/", json={"order_ids": ids, "iterations": 5},
                        headers=api.idem())  # fmt: skip
    assert r.status_code == 201, r.text
    wave = r.json()
    taken = {o["id"] for b in wave["batches"] for o in b["orders"]}
    assert taken == {whole["id"], texan["id"]}
    left = {x["order_id"]: x["reason"] for x in wave["left_out"]}
    assert left == dict.fromkeys((no_postal["id"], no_state["id"], nameless["id"]), "no_address")
    for o in (no_postal, no_state, nameless):
        assert supervisor.get(f"/api/v1/orders/{o['id']}").json()["status"] == "ready"

    page = console.get("/ui/exceptions").text
    row = re.search(rf'<tr data-no-address="{no_postal["id"]}">.*?</tr>', page, re.S)
    assert row and "postal code missing" in row.group(0) and "Cancel order" in row.group(0)
    board = httpx.get(f"{server.url}/ui/", cookies=console.cookies).text  # the whole page
    strip = re.search(r'data-alert="no_address"><a href="([^"]+)"><b>(\d+)</b>', board)
    assert strip and strip.group(1) == "/ui/exceptions#no_address" and int(strip.group(2)) >= 3
    api.problem(picker.get("/api/v1/exceptions/no-address"), 403, "forbidden")
    r = supervisor.post(f"/api/v1/waves/{wave['id']}/cancel", headers=api.idem())
    assert r.status_code == 200, r.text


def test_an_unpaid_tiktok_order_waits_for_its_address_then_leaves_the_list_when_paid(
    anonymous: httpx.Client, supervisor: httpx.Client, fake_channels: FakeChannelApis,
    server: ThreadServer,
):  # fmt: skip
    order_id = "5791" + str(abs(hash(server.url)))[:12]
    paid = make_tiktok_order(order_id, {"SKU-0141": 1}, status="AWAITING_SHIPMENT")
    paid.update(shipping_type="SELLER", recipient_address=SELLER_SHIPPED_ADDRESS)
    unpaid = copy.deepcopy(paid)
    unpaid["status"] = "UNPAID"
    del unpaid["recipient_address"]
    fake_channels.tiktok.add_order(unpaid)
    _notify(anonymous, fake_channels, order_id, "UNPAID")
    first = wait_until(lambda: _order(supervisor, order_id), "the unpaid order")
    listed = no_address(supervisor)
    assert listed[first["id"]]["reason"] == "no ship-to address: unpaid TikTok order"
    assert listed[first["id"]]["channel"] == "tiktok-main"

    fake_channels.tiktok.add_order(paid)
    _notify(anonymous, fake_channels, order_id, "AWAITING_SHIPMENT")
    wait_until(
        lambda: (o := _order(supervisor, order_id)) and o["status"] == "ready",
        "the paid order ready",
    )
    assert first["id"] not in no_address(supervisor)
    plan = supervisor.post("/api/v1/waves/plan", json={"order_ids": [first["id"]]}).json()
    assert plan["orders"] == 1 and plan["left_out"] == []


async def test_the_alert_strip_counts_each_kind_live_and_links_to_its_list(
    page: Page, server: ThreadServer, picker: httpx.Client
):
    await sign_in(page, server.url)
    await expect(page).to_have_url(f"{server.url}/ui/")
    strip = page.locator("#alerts")
    for label in ("Short picks", "Counts to approve", "No ship-to address", "Held / unpaid"):
        await expect(strip).to_contain_text(label)
    counts = strip.locator("[data-alert=pending_counts] b")
    before = int(await counts.inner_text())
    r = picker.post("/api/v1/stock/count", json={"location": "A01-14-1", "lines": [],
                                                 "confirm_empty": True})  # fmt: skip
    assert r.status_code == 202, r.text
    count_id = r.json()["count_id"]
    await expect(counts).to_have_text(str(before + 1), timeout=2000)  # live, no reload
    await expect(strip.locator("[data-alert=pending_counts]")).to_have_class("hot")
    await strip.locator("[data-alert=pending_counts] a").click()
    await expect(page).to_have_url(f"{server.url}/ui/exceptions#pending_counts")
    row = page.locator(f"tr[data-count='{count_id}']")
    await row.locator("text=Reject").click()
    await expect(page.locator(".notice")).to_contain_text(f"Count {count_id} rejected")
    await page.goto(f"{server.url}/ui/")
    await expect(counts).to_have_text(str(before))
    assert await violations(server.database_url) == []
