"""Receive, put away, move, count and look up with the terminal against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.app import TerminalApp
from terminal.config import Settings
from terminal.screens.error import ErrorScreen
from tests.support import api
from tests.terminal.conftest import log_in, scan, screen_text, wait_for
from tests.terminal.real import quiet_server, step, violations
from wms.loopback import ThreadServer

MUG = "2800000000035"  # SKU-0003 in the demo catalogue


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[ThreadServer]:
    with quiet_server(database_url) as srv:
        yield srv


def terminal(url: str, tmp_path: Path) -> TerminalApp:
    return TerminalApp(Settings(server=url, journal=tmp_path / "j.sqlite", timeout_s=5))


def on_hand(url: str, sku: str, location: str) -> int:
    with api.client(url, api.login(url, "supervisor")) as supervisor:
        rows = supervisor.get("/api/v1/stock/", params={"sku": sku, "location": location}).json()
    return sum(r["on_hand"] for r in rows)


async def test_stock_is_moved_counted_and_looked_up_on_the_real_server(server, tmp_path):
    before = on_hand(server.url, "SKU-0003", "A01-03-1")
    app = terminal(server.url, tmp_path)
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot, "B1001")
        await scan(pilot, "4")
        await scan(pilot, "A01-03-1")
        await wait_for(pilot, lambda: step(app) == "item")
        await scan(pilot, MUG)
        await wait_for(pilot, lambda: step(app) == "qty")
        await scan(pilot, "2")
        await scan(pilot, "STAGE-02")
        await wait_for(pilot, lambda: step(app) == "source" and app.waiting == 0)
        await pilot.press("f4")
        await scan(pilot, "5")
        await scan(pilot, "STAGE-02")
        await wait_for(pilot, lambda: step(app) == "items")
        await scan(pilot, MUG)
        await scan(pilot, "")  # one found where two were: the count corrects the ledger
        await wait_for(pilot, lambda: step(app) == "location" and app.waiting == 0)
        await pilot.press("f4")
        await scan(pilot, "6")
        await scan(pilot, MUG)
        await wait_for(pilot, lambda: "STAGE-02 1" in screen_text(app))
    assert on_hand(server.url, "SKU-0003", "A01-03-1") == before - 2
    assert on_hand(server.url, "SKU-0003", "STAGE-02") == 1
    assert app.journal is not None
    assert [s["status"] for s in await app.journal.steps()] == ["sent", "sent"]


async def test_goods_received_into_staging_are_put_away_to_the_suggestion(server, tmp_path):
    app = terminal(server.url, tmp_path)
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot, "B1001")
        await scan(pilot, "3")
        await scan(pilot, "PO-0815")  # the purchase order the goods come with
        await scan(pilot, "STAGE-03")
        await wait_for(pilot, lambda: step(app) == "item")
        await scan(pilot, MUG)
        await wait_for(pilot, lambda: step(app) == "qty")
        await scan(pilot, "5")
        await wait_for(pilot, lambda: step(app) != "qty")
        assert step(app) == "putaway", screen_text(app)  # needs GET /stock/putaway
        target = app.screen.target
        await scan(pilot, target)
        await wait_for(pilot, lambda: step(app) == "item" and app.waiting == 0)
    assert on_hand(server.url, "SKU-0003", "STAGE-03") == 0


async def test_a_receipt_names_its_purchase_order_and_one_over_the_floor_limit_is_refused(
    server, database_url, tmp_path
):
    before = on_hand(server.url, "SKU-0003", "STAGE-01")
    app = terminal(server.url, tmp_path)
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot, "B1001")
        await scan(pilot, "3")
        assert "SCAN PO / NOTE" in screen_text(app)
        await scan(pilot, "")  # no reference, no receipt: the step stays
        assert step(app) == "ref"
        await scan(pilot, "DN-2026-77")  # the delivery note's barcode
        await scan(pilot, "STAGE-01")
        await wait_for(pilot, lambda: step(app) == "item")
        await scan(pilot, MUG)
        await wait_for(pilot, lambda: step(app) == "qty")
        await scan(pilot, "501")  # over the floor's limit of 500 a line
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))
        text = screen_text(app).replace("\n", " ")
        assert "Ask a supervisor" in text and "at most 500" in text and "Not done" in text
        await pilot.press("enter")
        await wait_for(pilot, lambda: step(app) == "item")  # nothing to put away
        await scan(pilot, MUG)
        await wait_for(pilot, lambda: step(app) == "qty")
        await scan(pilot, "4")
        await wait_for(pilot, lambda: step(app) == "putaway" and app.waiting == 0)
    assert on_hand(server.url, "SKU-0003", "STAGE-01") == before + 4
    with api.client(server.url, api.login(server.url, "supervisor")) as supervisor:
        r = supervisor.get("/api/v1/stock/moves", params={"sku": "SKU-0003", "limit": 1})
        [receipt] = r.json()
    assert (receipt["reason"], receipt["qty"], receipt["ref"]) == ("receive", 4, "DN-2026-77")
    assert await violations(database_url) == []
