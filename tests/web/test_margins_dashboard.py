"""The margin dashboard in a real Chromium: its pictures show the JSON report's figures,
its tables sort, drill down to the orders behind a figure, and download as CSV.

The hand-worked margin fixture (fixtures/margins, loaded by tests/money's `margin`
fixture through the real API) is what the page shows.
"""
# ruff: noqa: F811  (the margin fixture is imported from tests.money)

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import httpx
from playwright.async_api import Page

from tests.floor.conftest import pick_all  # noqa: F401  (the margin fixture's helper)
from tests.money.test_margin_fixture import EXPECTED, RANGE, margin  # noqa: F401  (fixture)
from tests.support import api
from tests.web.conftest import sign_in

PAGE = f"/ui/margins?from={RANGE['from']}&to={RANGE['to']}"


def _rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in report["rows"]}


async def test_the_dashboard_shows_the_reports_figures_and_downloads_them_as_csv(
    page: Page, server: Any, margin: Any
) -> None:
    await sign_in(page, server.url)
    await page.goto(server.url + PAGE)
    by_channel = _rows(margin("channel"))
    bar = page.locator('svg[data-chart="margin-by-channel"] g[data-key="tiktok-main"]')
    # The figure the picture draws is the JSON report's (and the hand-worked one).
    assert await bar.get_attribute("data-value") == by_channel["tiktok-main"]["margin"]
    drawn = await bar.locator("text.value").text_content()
    assert drawn == EXPECTED["channel"]["tiktok-main"]["margin"]
    day = page.locator('svg[data-chart="margin-per-day"] g[data-key="2026-11-05"]')
    assert await day.get_attribute("data-value") == _rows(margin("day"))["2026-11-05"]["margin"]
    creators = page.locator('svg[data-chart="creators"] g.row')
    assert await creators.count() == len([k for k in EXPECTED["creator"] if k])
    assert await page.locator('[data-kpi="margin"]').inner_text() == EXPECTED["total"]["margin"]

    async with page.expect_download() as info:
        await page.click("#table-channel a.csv")
    download = await info.value
    table = list(csv.DictReader(io.StringIO(open(await download.path()).read())))  # noqa: SIM115
    rows = {r["key"]: r for r in table}
    assert rows["tiktok-main"]["margin"] == by_channel["tiktok-main"]["margin"]
    assert rows[""]["label"] == "total" and rows[""]["margin"] == EXPECTED["total"]["margin"]


async def test_a_bar_drills_down_to_its_orders_and_a_header_sorts_its_table(
    page: Page, server: Any, margin: Any
) -> None:
    await sign_in(page, server.url)
    await page.goto(server.url + PAGE)
    await page.click('svg[data-chart="margin-by-channel"] g[data-key="own-main"] a')
    await page.wait_for_url("**/ui/margins/orders?**")
    orders = page.locator('table[data-table="orders"] tbody tr')
    assert await orders.count() == EXPECTED["channel"]["own-main"]["orders"]
    figures = [await c.inner_text() for c in await orders.locator('[data-col="margin"]').all()]
    # Descending by margin, as the page says; each order's own margin.
    assert figures == sorted(figures, key=Decimal, reverse=True)
    own_orders = {ref: w for ref, w in EXPECTED["order"].items() if ref.startswith("MG-")}
    assert {f for f in figures} <= {w["margin"] for w in own_orders.values()}

    await page.goto(server.url + PAGE)
    await page.click('#table-product th:has-text("margin pct") a')
    await page.wait_for_url("**sort=product.margin_pct.desc**")
    pcts = page.locator('#table-product tbody [data-col="margin_pct"]')
    got = [Decimal(await c.inner_text()) for c in await pcts.all()]
    assert got == sorted(got, reverse=True) and len(got) == len(EXPECTED["product"])
    await page.click('#table-product th:has-text("margin pct") a')
    await page.wait_for_url("**sort=product.margin_pct.asc**")
    got = [Decimal(await c.inner_text()) for c in await pcts.all()]
    assert got == sorted(got)


def test_every_table_downloads_and_a_bad_request_is_a_problem(
    console: httpx.Client, margin: Any
) -> None:
    query = {**RANGE}
    for table in ("channel", "day", "product", "creator", "content", "work"):
        r = console.get("/ui/margins/table.csv", params={**query, "table": table})
        assert r.status_code == 200, (table, r.text)
        assert r.headers["content-type"].startswith("text/csv")
        assert list(csv.DictReader(io.StringIO(r.text)))[-1]["label"] == "total"
    r = console.get(
        "/ui/margins/table.csv",
        params={**query, "table": "orders", "by": "creator", "key": "latteart.lu"},
    )
    # The orders behind the figure, and no total row: the range's total is not theirs.
    assert [row["label"] for row in csv.DictReader(io.StringIO(r.text))] == ["576461413038785001"]
    bad = console.get("/ui/margins/table.csv", params={**query, "table": "colour"})
    # The console answers its own requests with the problem as a fragment it can show.
    assert bad.status_code == 422 and 'data-code="bad_table"' in bad.text
    late = console.get("/ui/margins", params={"from": "2026-12-01", "to": "2026-11-01"})
    assert late.status_code == 422


def test_the_dashboard_is_for_the_office_only(server: Any, margin: Any) -> None:
    with httpx.Client(base_url=server.url) as anonymous:
        r = anonymous.get("/ui/margins")
        assert r.status_code in (302, 303) and r.headers["location"] == "/ui/login"
    with api.client(server.url, api.login(server.url, "picker")) as picker:
        assert picker.get("/ui/margins/table.csv", params=RANGE).status_code in (302, 303, 401)
