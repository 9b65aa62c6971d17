"""The terminal picks on a real WMS server on loopback: a cart batch, a short pick."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.terminal.conftest import log_in, scan, wait_for
from tests.terminal.real import (
    order_status,
    pick_a_batch,
    pick_to_the_drop,
    quiet_server,
    released_order,
    released_orders,
    step,
    terminal,
    violations,
)
from wms.loopback import ThreadServer


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[ThreadServer]:
    with quiet_server(database_url) as srv:
        yield srv


async def test_a_cart_batch_is_picked_scan_by_scan_on_the_real_server(
    server, database_url, tmp_path
):
    order_id = await pick_a_batch(server.url, tmp_path, "T0301", ("SKU-0003", 2), ("SKU-0002", 1))
    assert order_status(server.url, order_id) == "picked"
    assert await violations(database_url) == []


async def test_a_short_pick_on_the_real_server_leaves_the_books_straight(
    server, database_url, tmp_path
):
    order = released_order(server.url, ("SKU-0004", 3))
    app = terminal(server.url, tmp_path, "short")
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot, "B1002")
        await scan(pilot, "1")
        await wait_for(pilot, lambda: step(app) == "bind")
        assert app.screen.batch["slots"][0]["order_id"] == order["id"]
        await scan(pilot, "T0302")
        stop = app.screen.stop
        await scan(pilot, stop["location"])
        await pilot.press("f2")
        await scan(pilot, "1")
        await scan(pilot, stop["barcodes"][0])
        await scan(pilot, "T0302")
        await wait_for(pilot, lambda: app.waiting == 0)
        await wait_for(pilot, lambda: step(app) in ("location", "drop"))
        await pick_to_the_drop(pilot)
        await scan(pilot, app.screen.batch["drop_location"])
        await wait_for(pilot, lambda: app.waiting == 0 and step(app) == "done", timeout=10)
        batch = app.screen.batch
    shorts = [s for s in batch["stops"] if s["task_id"] == stop["task_id"]]
    assert shorts and shorts[0]["status"] == "short"
    assert await violations(database_url) == []


async def test_a_bulk_batch_of_single_unit_orders_is_picked_into_one_tote(
    server, database_url, tmp_path
):
    orders = released_orders(server.url, [("SKU-0005", 1)], [("SKU-0005", 1)], [("SKU-0005", 1)])
    app = terminal(server.url, tmp_path, "bulk")
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot, "B1003")
        await scan(pilot, "1")
        await wait_for(pilot, lambda: step(app) == "bind")
        assert app.screen.batch["kind"] == "bulk"
        await scan(pilot, "T0305")
        await pick_to_the_drop(pilot)
        await scan(pilot, app.screen.batch["drop_location"])
        await wait_for(pilot, lambda: app.waiting == 0 and step(app) == "done", timeout=10)
    assert {order_status(server.url, o["id"]) for o in orders} == {"picked"}
    assert await violations(database_url) == []
