"""The console's security page and count approvals: locked badges unlocked, counts decided."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from tests.support import api
from tests.web.conftest import sign_in, violations
from wms.loopback import ThreadServer


def lock(server: ThreadServer, badge: str) -> None:
    for _ in range(5):
        r = httpx.post(f"{server.url}/api/v1/auth/login", json={"badge": badge, "pin": "0000"})
        assert r.status_code == 401, r.text


async def test_a_locked_badge_is_listed_with_its_failed_logins_and_unlocked_from_the_console(
    page: Page, server: ThreadServer, supervisor: httpx.Client
):
    badge, pin = api.LOGINS["picker2"]
    lock(server, badge)
    right = httpx.post(f"{server.url}/api/v1/auth/login", json={"badge": badge, "pin": pin})
    assert right.status_code == 401  # locked: even the right PIN is refused
    await sign_in(page, server.url)
    await page.goto(f"{server.url}/ui/security")
    await expect(page.locator("#failed_logins + table tbody tr")).to_have_count(6)
    await expect(page.locator("#failed_logins + table")).to_contain_text(badge)
    row = page.locator(f"tr[data-badge='{badge}']")
    await expect(row).to_contain_text("picker2")
    page.once("dialog", lambda d: d.accept())
    await row.locator("text=Unlock").click()
    await expect(page.locator(".notice")).to_contain_text(f"Badge {badge} unlocked")
    await expect(page.locator(f"tr[data-badge='{badge}']")).to_have_count(0)
    await expect(page.locator("#unlocks + table")).to_contain_text("super")
    again = httpx.post(f"{server.url}/api/v1/auth/login", json={"badge": badge, "pin": pin})
    assert again.status_code == 200, again.text
    audit = supervisor.get("/api/v1/audit", params={"action": "badge_unlocked"}).json()
    assert (audit[0]["actor"], audit[0]["target"]) == ("super", f"badge:{badge}")


def test_an_unlock_without_the_csrf_token_or_for_an_unknown_badge_is_refused(
    server: ThreadServer, console: httpx.Client, supervisor: httpx.Client
):
    badge = api.LOGINS["picker"][0]
    lock(server, badge)
    r = console.post(f"/ui/security/badges/{badge}/unlock", headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403 and r.json()["code"] == "csrf"
    assert f'data-badge="{badge}"' in console.get("/ui/security").text  # still locked
    r = console.post("/ui/security/badges/NO-SUCH/unlock")
    assert r.status_code == 404 and 'data-code="unknown_badge"' in r.text
    assert console.post(f"/ui/security/badges/{badge}/unlock").status_code == 200
    assert f'data-badge="{badge}"' not in console.get("/ui/security").text
    assert supervisor.get("/api/v1/audit", params={"action": "badge_unlocked"}).json()


def on_hand(client: httpx.Client, sku: str, location: str) -> int:
    rows = client.get("/api/v1/stock/", params={"sku": sku, "location": location}).json()
    return sum(r["on_hand"] for r in rows)


async def test_a_pending_count_is_approved_from_the_exceptions_through_the_ledger(
    server: ThreadServer, console: httpx.Client, picker: httpx.Client, supervisor: httpx.Client
):
    sku, where = "SKU-0020", "A01-12-1"
    have = on_hand(supervisor, sku, where)
    assert have > 0
    r = picker.post("/api/v1/stock/count", json={"location": where, "lines": [],
                                                 "confirm_empty": True})  # fmt: skip
    assert r.status_code == 202, r.text
    count_id = r.json()["count_id"]
    page = console.get("/ui/exceptions").text
    row = re.search(rf'<tr data-count="{count_id}">.*?</tr>', page, re.S)
    assert row and where in row.group(0) and f"{sku}" in row.group(0) and "Approve" in row.group(0)
    last = supervisor.get("/api/v1/stock/moves", params={"limit": 1}).json()[0]["id"]
    done = console.post(f"/ui/exceptions/counts/{count_id}/approve")
    assert done.status_code == 200 and f"Count {count_id} approved" in done.text
    assert f'data-count="{count_id}"' not in done.text
    assert on_hand(supervisor, sku, where) == 0
    moves = supervisor.get("/api/v1/stock/moves", params={"sku": sku, "limit": 5}).json()
    new = [m for m in moves if m["id"] > last]
    assert [(m["reason"], m["qty"], m["from"]) for m in new] == [("count", have, where)]
    again = console.post(f"/ui/exceptions/counts/{count_id}/approve")
    assert again.status_code == 409 and 'data-code="count_decided"' in again.text
    audit = supervisor.get("/api/v1/audit", params={"action": "count_approved"}).json()
    assert audit[0]["target"] == f"count:{count_id}"
    assert await violations(server.database_url) == []


async def test_a_rejected_count_changes_no_stock(
    server: ThreadServer, console: httpx.Client, picker: httpx.Client, supervisor: httpx.Client
):
    sku, where = "SKU-0025", "A01-13-1"
    have = on_hand(supervisor, sku, where)
    r = picker.post("/api/v1/stock/count", json={"location": where, "lines": [],
                                                 "confirm_empty": True})  # fmt: skip
    assert r.status_code == 202, r.text
    count_id = r.json()["count_id"]
    last = supervisor.get("/api/v1/stock/moves", params={"limit": 1}).json()[0]["id"]
    done = console.post(f"/ui/exceptions/counts/{count_id}/reject")
    assert done.status_code == 200 and f"Count {count_id} rejected" in done.text
    assert on_hand(supervisor, sku, where) == have
    assert supervisor.get("/api/v1/stock/moves", params={"limit": 1}).json()[0]["id"] == last
    assert await violations(server.database_url) == []
