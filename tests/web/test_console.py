"""The supervisor's console in a real Chromium: sign-in, the live board, waves, orders, CSRF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import Page, expect

from tests.floor.conftest import SHIP_TO
from tests.support import api
from tests.web.conftest import ARTIFACTS, new_order, sign_in, violations
from wms.loopback import ThreadServer


async def test_a_supervisor_signs_in_and_sees_the_floor_board(page: Page, server: ThreadServer):
    await sign_in(page, server.url)
    await expect(page).to_have_url(f"{server.url}/ui/")
    await expect(page.locator("#cutoffs h2")).to_contain_text("Cutoffs")
    await expect(page.locator("#alerts")).to_contain_text("Failed prints")
    cookie = next(c for c in await page.context.cookies() if c["name"] == "wms_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    r = httpx.get(f"{server.url}/ui/", cookies={"wms_console": cookie["value"]})
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "<script>" not in r.text
    await page.click("text=Sign out")
    await expect(page).to_have_url(f"{server.url}/ui/login")
    await page.goto(f"{server.url}/ui/orders")
    await expect(page).to_have_url(f"{server.url}/ui/login")


async def test_a_pickers_login_is_refused(page: Page, server: ThreadServer):
    await sign_in(page, server.url, "picker")
    await expect(page.locator(".error")).to_have_text("Supervisors only")
    await expect(page).to_have_url(f"{server.url}/ui/login")
    assert not any(c["name"] == "wms_console" and "." in c["value"] and len(c["value"]) > 200
                   for c in await page.context.cookies())  # fmt: skip
    await page.goto(f"{server.url}/ui/")
    await expect(page).to_have_url(f"{server.url}/ui/login")


async def test_a_form_posted_without_its_csrf_token_is_refused(
    page: Page, server: ThreadServer, integration: httpx.Client
):
    order = new_order(integration, ("SKU-0004", 1))
    await sign_in(page, server.url)
    await expect(page).to_have_url(f"{server.url}/ui/")
    posted = """async ([ids, token]) => {
        const body = new URLSearchParams({order_ids: ids});
        if (token) body.set("csrf", token);
        const r = await fetch("/ui/waves/preview", {method: "POST", body});
        return [r.status, await r.text()];
    }"""
    status, text = await page.evaluate(posted, [str(order["id"]), ""])
    assert status == 403 and '"code":"csrf"' in text
    status, text = await page.evaluate(posted, [str(order["id"]), "forged"])
    assert status == 403
    # The same form with the page's own token goes through.
    token = await page.eval_on_selector("form.signout input[name=csrf]", "e => e.value")
    status, text = await page.evaluate(posted, [str(order["id"]), token])
    assert status == 200 and "Preview" in text


async def test_the_board_moves_while_a_picker_scans(
    page: Page, server: ThreadServer, integration: httpx.Client, supervisor: httpx.Client,
    picker: httpx.Client, database_url: str,
):  # fmt: skip
    orders = [new_order(integration, ("SKU-0003", 1), ("SKU-0005", 1)) for _ in range(2)]
    r = supervisor.post(
        "/api/v1/waves/", json={"order_ids": [o["id"] for o in orders], "iterations": 5},
        headers=api.idem(),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    wave = r.json()
    await sign_in(page, server.url)
    card = page.locator(f"#wave-{wave['id']}")
    await expect(card.locator(".pct-picked")).to_have_text("0%")
    batch = picker.post("/api/v1/picking/next", headers=api.idem()).json()
    row = page.locator(f"#batch-{batch['id']}")
    me = picker.get("/api/v1/auth/me").json()
    await expect(row).to_contain_text(me["name"] or me["username"], timeout=1000)  # live
    url = f"/api/v1/picking/batches/{batch['id']}"
    for slot in batch["slots"]:
        tote = f"T{batch['id']:04d}{slot['slot']:02d}"
        body = {"slot": slot["slot"], "tote": tote}
        r = picker.post(f"{url}/totes", json=body, headers=api.idem())
        assert r.status_code == 200, r.text
        batch = r.json()
    total, done = len(batch["stops"]), 0
    while batch["next_task_id"] is not None:
        stop = next(s for s in batch["stops"] if s["task_id"] == batch["next_task_id"])
        body = {"location": stop["location"], "item": stop["barcodes"][0],
                "qty": stop["qty"] - stop["picked"],
                "tote": stop["tote"] or batch["slots"][0]["tote"]}  # fmt: skip
        r = picker.post(f"/api/v1/picking/tasks/{stop['task_id']}/confirm", json=body,
                        headers=api.idem())  # fmt: skip
        assert r.status_code == 200, r.text
        batch, done = r.json(), done + 1
        # Within a second of the scan's answer, the board shows it (no reload, no polling).
        await expect(row.locator(".stops")).to_have_text(f"{done}/{total}", timeout=1000)
    await expect(card.locator(".pct-picked")).to_have_text("100%", timeout=1000)
    assert await violations(database_url) == []  # the picks went through the ledger
    # Throughput counts those lines for the picker, with its chart.
    await page.click("header >> text=Throughput")
    who = page.locator("table").first.locator("tr", has_text=me["name"] or me["username"])
    await expect(who.locator("td").nth(1)).to_have_text(str(total))
    assert await page.locator(".chart rect.bar").count() == 24


async def test_a_wave_is_planned_previewed_and_released_in_the_console(
    page: Page, server: ThreadServer, integration: httpx.Client
):
    ids = [new_order(integration, ("SKU-0006", 1))["id"] for _ in range(3)]
    await sign_in(page, server.url)
    await page.click("header >> text=Waves")
    await page.fill("input[name=order_ids]", ",".join(map(str, ids)))
    await page.fill("input[name=max_orders]", "3")
    await page.click("button[value=preview]")
    preview = page.locator("section.preview h2")
    await expect(preview).to_contain_text("3 orders")
    await expect(page.locator("tr.planned").first).to_be_visible()
    drawing = page.locator(".routes img").first  # the batch's walk on the warehouse plan
    await expect(drawing).to_be_visible()
    assert await drawing.evaluate("img => img.naturalWidth") > 100
    await page.click("button.release")
    await expect(page.locator(".notice")).to_contain_text("released: 3 orders")
    wave_id = int((await page.locator(".notice").inner_text()).split()[1])
    await page.goto(f"{server.url}/ui/")
    await expect(page.locator(f"#wave-{wave_id}")).to_contain_text("3 orders")
    # Cancelled from the console too: the orders are free again.
    await page.goto(f"{server.url}/ui/waves")
    page.once("dialog", lambda d: d.accept())
    await page.click(f"tr[data-wave='{wave_id}'] >> text=Cancel")
    await expect(page.locator(".notice")).to_contain_text(f"Wave {wave_id} cancelled")


async def test_a_bad_wave_rule_is_shown_and_changes_nothing(page: Page, server: ThreadServer):
    await sign_in(page, server.url)
    await page.goto(f"{server.url}/ui/waves")
    await page.fill("input[name=max_batches]", "5000")  # the browser lets it through; we do not
    await page.click("button[value=preview]")
    await expect(page.locator("#flash .error")).to_contain_text("Bad wave rules")
    await expect(page.locator("#flash .error")).to_contain_text("max_batches must be 1 to 1000")
    await expect(page.locator("input[name=order_ids]")).to_be_visible()  # the form stays


async def test_an_order_is_searched_and_its_timeline_opened(
    page: Page, server: ThreadServer, integration: httpx.Client
):
    order = new_order(integration, ("SKU-0007", 2), ship_to=SHIP_TO | {"name": "Grace Hopper"})
    await sign_in(page, server.url)
    await page.click("header >> text=Orders")
    await page.fill("input[name=customer]", "Grace Hop")
    await page.select_option("select[name=status]", order["status"])
    await page.click("form.search button")
    await page.click(f"text={order['external_id']}")
    await expect(page).to_have_url(f"{server.url}/ui/orders/{order['id']}")
    await expect(page.locator("ol.timeline")).to_contain_text("received from own-main")
    await page.click("text=SKU-0007")
    await expect(page.locator("h1")).to_contain_text("SKU-0007")
    await expect(page.locator("main")).to_contain_text("Sellable per channel")


async def test_a_cutoff_the_pace_cannot_make_turns_red_on_the_board(
    page: Page, server: ThreadServer, integration: httpx.Client, supervisor: httpx.Client
):
    soon = (datetime.now(UTC) + timedelta(minutes=3)).strftime("%H:%M")
    later = (datetime.now(UTC) + timedelta(hours=20)).strftime("%H:%M")
    rush = [new_order(integration, ("SKU-0012", 1), carrier="EXPRESS") for _ in range(3)]
    calm = [new_order(integration, ("SKU-0013", 1), carrier="GROUND") for _ in range(2)]
    r = supervisor.post(
        "/api/v1/waves/",
        json={"order_ids": [o["id"] for o in rush + calm], "iterations": 5,
              "cutoffs": {"EXPRESS": soon, "GROUND": later}},
        headers=api.idem(),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    await sign_in(page, server.url)
    express = page.locator("#cutoffs tr[data-carrier=EXPRESS]")
    await expect(express).to_have_class("late")
    await expect(express.locator("td").nth(3)).to_have_text("3")  # orders not packed
    await expect(express.locator(".countdown")).to_contain_text("m ")  # ticking, 2m 59s ...
    # 20 hours away, with no pace yet to judge by: not flagged.
    await expect(page.locator("#cutoffs tr[data-carrier=GROUND]")).to_have_class("ok")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "board-with-a-late-cutoff.png"), full_page=True)
    r = supervisor.post(f"/api/v1/waves/{r.json()['id']}/cancel", headers=api.idem())
    assert r.status_code == 200, r.text
