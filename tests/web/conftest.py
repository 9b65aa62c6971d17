"""Browser fixtures: Debian's Chromium driven by Playwright against a real server on loopback.

Playwright never downloads a browser here: it launches /usr/bin/chromium (the `chromium`
apt package, installed by `make oracles` and .ci/run). Every test keeps a screenshot under
var/test-artifacts/web (or $WMS_TEST_ARTIFACTS).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.floor.conftest import SHIP_TO
from tests.support.api import LOGINS
from wms.config import ROOT
from wms.db import Database
from wms.services import check

CHROMIUM = os.environ.get("WMS_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("WMS_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts")) / "web"


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        await b.close()


@pytest.fixture
async def page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    p = await context.new_page()
    errors: list[str] = []
    # A CSP violation or a script error in the console is a failure, not a warning.
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield p
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    await p.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    await context.close()
    # Refused requests (4xx) are the point of some tests; anything else is a failure.
    refused = ("Failed to load resource", "Response Status Error Code 4")
    assert [e for e in errors if not e.startswith(refused)] == []


async def sign_in(page: Page, url: str, who: str = "supervisor") -> None:
    badge, pin = LOGINS[who]
    await page.goto(f"{url}/ui/login")
    await page.fill("input[name=badge]", badge)
    await page.fill("input[name=pin]", pin)
    await page.click("button[type=submit]")


def new_order(integration: httpx.Client, *lines: tuple[str, int], **fields: object) -> dict:
    n = time.monotonic_ns()
    body = {
        "order_id": f"WEB-{n}",
        "currency": "USD",
        "reference": f"#W{n % 10**6:06d}",
        "lines": [{"sku": sku, "qty": qty, "unit_price": "9.90"} for sku, qty in lines],
        "ship_to": SHIP_TO,
    } | fields
    r = integration.post("/api/v1/orders/", params={"channel": "own-main"}, json=body)
    assert r.status_code == 201, r.text
    return r.json()



@pytest.fixture(scope="module")
def console(server: Any) -> Iterator[httpx.Client]:
    """A supervisor's console session without a browser: the cookie and its CSRF header."""
    with httpx.Client(base_url=server.url, timeout=30) as c:
        page = c.get("/ui/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        badge, pin = LOGINS["supervisor"]
        signed = c.post("/ui/login", data={"badge": badge, "pin": pin, "csrf": csrf})
        assert signed.status_code == 302
        board = c.get("/ui/").text
        token = re.search(r'"X-CSRF-Token": "([^"]+)"', board).group(1)  # type: ignore[union-attr]
        c.headers.update({"X-CSRF-Token": token, "HX-Request": "true"})
        yield c


async def violations(database_url: str) -> list[str]:
    """What `wms check` finds in the server's database."""
    db = Database(database_url)
    try:
        return await check.violations(db)
    finally:
        await db.dispose()
