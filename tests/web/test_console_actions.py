"""Acting on a stalled batch from the console: another picker, or back to the queue."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from tests.support import api
from tests.web.conftest import new_order, sign_in, violations
from wms.loopback import ThreadServer
from wms.reports import floor


def released_batch(integration: httpx.Client, supervisor: httpx.Client, picker: httpx.Client):
    ids = [new_order(integration, ("SKU-0010", 1))["id"]]
    r = supervisor.post("/api/v1/waves/", json={"order_ids": ids, "iterations": 5},
                        headers=api.idem())  # fmt: skip
    assert r.status_code == 201, r.text
    batch = picker.post("/api/v1/picking/next", headers=api.idem()).json()
    assert batch["status"] == "assigned", batch
    return batch


async def test_a_stalled_batch_is_given_to_another_picker_then_back_to_the_queue(
    page: Page, server: ThreadServer, integration: httpx.Client, supervisor: httpx.Client,
    picker: httpx.Client, monkeypatch,
):  # fmt: skip
    batch = released_batch(integration, supervisor, picker)
    monkeypatch.setattr(floor, "STALLED_S", 0)  # any batch without a scan since now is stalled
    await sign_in(page, server.url)
    await page.goto(f"{server.url}/ui/exceptions")
    row = page.locator(f"tr[data-stalled='{batch['id']}']")
    await row.locator("select[name=picker]").select_option("picker2")
    await row.locator("text=Give to").click()
    await expect(page.locator(".notice")).to_contain_text(f"Batch {batch['id']} given to picker2")
    with api.client(server.url, api.login(server.url, "picker2")) as picker2:
        mine = picker2.post("/api/v1/picking/next", headers=api.idem()).json()
        assert mine["id"] == batch["id"]
        # The first picker no longer has it: asking for work does not hand back this batch.
        other = picker.post("/api/v1/picking/next", headers=api.idem())
        assert other.status_code == 404 or other.json()["id"] != batch["id"]
    row = page.locator(f"tr[data-stalled='{batch['id']}']")
    await row.locator("text=Back to the queue").click()
    await expect(page.locator(".notice")).to_contain_text("back in the queue")
    state = supervisor.get(f"/api/v1/batches/{batch['id']}").json()
    assert state["status"] == "released" and state["picker"] is None


async def test_a_batch_given_to_a_busy_picker_is_refused_and_stays(
    page: Page, server: ThreadServer, integration: httpx.Client, supervisor: httpx.Client,
    monkeypatch,
):  # fmt: skip
    with api.client(server.url, api.login(server.url, "admin")) as first:
        ids = [new_order(integration, ("SKU-0011", 1))["id"] for _ in range(2)]
        r = supervisor.post("/api/v1/waves/", json={"order_ids": ids, "iterations": 5,
                            "cart_totes": 1}, headers=api.idem())  # fmt: skip
        assert r.status_code == 201, r.text
        with api.client(server.url, api.login(server.url, "picker")) as p1:
            mine = p1.post("/api/v1/picking/next", headers=api.idem()).json()
        with api.client(server.url, api.login(server.url, "picker2")) as p2:
            theirs = p2.post("/api/v1/picking/next", headers=api.idem()).json()
        assert mine["id"] != theirs["id"]
        monkeypatch.setattr(floor, "STALLED_S", 0)
        await sign_in(page, server.url)
        await page.goto(f"{server.url}/ui/exceptions")
        row = page.locator(f"tr[data-stalled='{mine['id']}']")
        await row.locator("select[name=picker]").select_option("picker2")
        await row.locator("text=Give to").click()
        await expect(page.locator("#flash .error")).to_contain_text("Picker is busy")
        state = first.get(f"/api/v1/batches/{mine['id']}").json()
        assert state["picker"] == mine["picker"] == "picker1" and state["status"] == "assigned"


async def test_a_backordered_order_is_reserved_again_then_cancelled_from_the_console(
    page: Page, server: ThreadServer, integration: httpx.Client, supervisor: httpx.Client,
    database_url: str,
):  # fmt: skip
    sku = "SKU-0014"
    before = supervisor.get(f"/api/v1/stock/availability/{sku}").json()["sellable"]
    order = new_order(integration, (sku, before + 5))
    assert order["status"] == "backordered", order
    assert supervisor.get(f"/api/v1/stock/availability/{sku}").json()["sellable"] == 0
    await sign_in(page, server.url)
    await page.goto(f"{server.url}/ui/exceptions")
    row = page.locator(f"#backorders + table tr[data-order='{order['id']}']")
    await row.locator("text=Reserve again").click()
    # Nothing more is sellable: it stays backordered, holding what it had.
    await expect(page.locator(".notice")).to_contain_text("0 units reserved, now backordered")
    page.once("dialog", lambda d: d.accept())
    row = page.locator(f"#backorders + table tr[data-order='{order['id']}']")
    await row.locator("text=Cancel order").click()
    await expect(page.locator(".notice")).to_contain_text(f"Order {order['id']} cancelled")
    await expect(page.locator(f"#backorders + table tr[data-order='{order['id']}']")).to_have_count(
        0
    )
    assert supervisor.get(f"/api/v1/stock/availability/{sku}").json()["sellable"] == before
    assert await violations(database_url) == []
