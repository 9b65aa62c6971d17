"""Off the happy path with a scanner and a keypad, on a real server: lots, packs, one place.

Each test drives the real terminal app (Pilot, 20×16) against a real server on loopback
and ends with the ledger's lines and `wms check`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Digits

from terminal.screens.error import ErrorScreen
from tests.support import api
from tests.terminal.conftest import log_in, scan, screen_text, wait_for
from tests.terminal.real import (
    order_status,
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


def moves(url: str, sku: str, limit: int = 5) -> list[dict[str, Any]]:
    with api.client(url, api.login(url, "supervisor")) as supervisor:
        r = supervisor.get("/api/v1/stock/moves", params={"sku": sku, "limit": limit})
        assert r.status_code == 200, r.text
        return list(r.json())


async def start(pilot, badge: str, tote: str) -> None:
    app = pilot.app
    await log_in(pilot, badge)
    await scan(pilot, "1")
    await wait_for(pilot, lambda: step(app) == "bind")
    await scan(pilot, tote)
    await wait_for(pilot, lambda: step(app) == "location")


async def drop_by_check_code(pilot) -> None:
    """The drop's 2-digit check code is on screen, and typing it finishes the batch."""
    app = pilot.app
    assert step(app) == "drop"
    code = app.screen.batch["drop_check_code"]
    assert code and app.screen.query_one("#digits", Digits).value == code
    await scan(pilot, code)
    await wait_for(pilot, lambda: app.waiting == 0 and step(app) == "done", timeout=10)


async def test_a_second_lot_at_the_location_is_chosen_from_the_list_at_the_item_step(
    server, database_url, tmp_path
):
    receipt = {
        "sku": "SKU-0007",
        "location": "A02-01-1",
        "qty": 4,
        "lot": "L99999",
        "expiry": "2029-01-01",
        "ref": "second lot",
    }
    with api.client(server.url, api.login(server.url, "supervisor")) as supervisor:
        assert supervisor.post("/api/v1/stock/receive", json=receipt).status_code == 201
    order = released_order(server.url, ("SKU-0007", 2))
    app = terminal(server.url, tmp_path, "lots")
    async with app.run_test(size=(20, 16)) as pilot:
        await start(pilot, "B1001", "T0401")
        stop = app.screen.stop
        assert stop["lot"] == "L66838"
        await scan(pilot, stop["check_code"])
        assert step(app) == "item" and "Lot L66838" in screen_text(app)
        await scan(pilot, stop["barcodes"][0])  # the plain EAN: which lot is not known yet
        assert step(app) == "lot"
        text = screen_text(app)
        assert "1 L66838" in text and "2 L99999" in text
        await scan(pilot, "2")
        assert isinstance(app.screen, ErrorScreen) and "L66838" in screen_text(app)
        await pilot.press("enter")
        await scan(pilot, "1")
        assert step(app) == "qty"
        await scan(pilot, "")
        await scan(pilot, "T0401")
        await wait_for(pilot, lambda: step(app) == "drop")
        await drop_by_check_code(pilot)
    assert order_status(server.url, order["id"]) == "picked"
    pick = moves(server.url, "SKU-0007")[0]
    assert (pick["reason"], pick["lot"], pick["qty"], pick["from"]) == (
        "pick",
        "L66838",
        2,
        "A02-01-1",
    )
    assert await violations(database_url) == []


async def test_an_inner_pack_counts_six_and_one_too_big_is_refused(server, database_url, tmp_path):
    order = released_order(server.url, ("SKU-0010", 7))
    app = terminal(server.url, tmp_path, "packs")
    async with app.run_test(size=(20, 16)) as pilot:
        await start(pilot, "B1002", "T0402")
        stop = app.screen.stop
        pack = next(code for code, n in stop["packs"].items() if n == 6)
        await scan(pilot, stop["location"])
        await scan(pilot, pack)
        assert step(app) == "qty" and app.screen.count == 6
        assert "Qty 6/7" in screen_text(app)
        await scan(pilot, pack)  # 6 more would be 12 of 7
        assert isinstance(app.screen, ErrorScreen)
        assert "Pack too big" in screen_text(app) and "1 left" in screen_text(app)
        await pilot.press("enter")
        await scan(pilot, stop["barcodes"][0])
        assert step(app) == "tote"
        await scan(pilot, "T0402")
        await wait_for(pilot, lambda: step(app) == "drop")
        await drop_by_check_code(pilot)
    assert order_status(server.url, order["id"]) == "picked"
    pick = moves(server.url, "SKU-0010")[0]
    assert (pick["reason"], pick["qty"]) == ("pick", 7)
    assert await violations(database_url) == []


async def test_the_next_stop_at_the_same_location_starts_at_the_item(
    server, database_url, tmp_path
):
    orders = released_orders(server.url, [("SKU-0003", 2)], [("SKU-0003", 2)])
    app = terminal(server.url, tmp_path, "same-place")
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot, "B1003")
        await scan(pilot, "1")
        await wait_for(pilot, lambda: step(app) == "bind")
        await scan(pilot, "T0403")
        await scan(pilot, "T0404")
        await wait_for(pilot, lambda: step(app) == "location")
        first = app.screen.stop
        await scan(pilot, first["check_code"])
        await scan(pilot, "2400000000044")  # SKU-0004: another product
        assert isinstance(app.screen, ErrorScreen)
        text = screen_text(app)  # the expected product by name, and what was scanned
        assert first["name"] in text and "2400000000044" in text
        await pilot.press("enter")
        await scan(pilot, first["barcodes"][0])
        assert "Qty 1/2" in screen_text(app)
        assert app.screen.query_one("#digits", Digits).value == "1"  # what is left
        await scan(pilot, "")
        await scan(pilot, app.screen.tote_of(first))
        second = app.screen.stop
        assert second["location"] == first["location"] and second is not first
        assert step(app) == "item"  # no second location scan at the same shelf
        await scan(pilot, second["barcodes"][0])
        await scan(pilot, "2")
        await scan(pilot, app.screen.tote_of(second))
        await wait_for(pilot, lambda: step(app) == "drop")
        await drop_by_check_code(pilot)
    assert {order_status(server.url, o["id"]) for o in orders} == {"picked"}
    picks = [m for m in moves(server.url, "SKU-0003") if m["reason"] == "pick"][:2]
    assert [m["qty"] for m in picks] == [2, 2]
    assert await violations(database_url) == []


async def test_a_lot_tracked_receipt_asks_lot_and_expiry_and_a_case_counts_six(
    server, database_url, tmp_path
):
    app = terminal(server.url, tmp_path, "receive-lots")
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot, "B1001")
        await scan(pilot, "3")
        await scan(pilot, "PO-LOTS-1")  # the purchase order the goods come with
        await scan(pilot, "STAGE-03")
        await wait_for(pilot, lambda: step(app) == "item")
        await scan(pilot, "2400000000013")  # SKU-0001, tracked by lot and expiry
        await wait_for(pilot, lambda: step(app) == "lot")
        await scan(pilot, "]C110LNEW42")  # the lot label on the carton (GS1-128, AI 10)
        assert step(app) == "expiry"
        await scan(pilot, "271399")
        assert isinstance(app.screen, ErrorScreen)  # month 13: typed again
        await pilot.press("enter")
        await scan(pilot, "271200")  # day 00: the month's last day, as GS1 reads it
        assert step(app) == "qty"
        await scan(pilot, "3")
        await wait_for(pilot, lambda: step(app) == "putaway")
        target, check_code = app.screen.target, app.screen.target_check
        assert check_code
        await scan(pilot, check_code)  # the keypad alone confirms the shelf
        await wait_for(pilot, lambda: step(app) == "item" and app.waiting == 0)
        await scan(pilot, "12400000000102")  # a case of six SKU-0010
        await wait_for(pilot, lambda: step(app) == "qty")
        assert "case of 6" in screen_text(app)
        await scan(pilot, "12400000000102")
        await scan(pilot, "")  # Enter takes the twelve scanned
        await wait_for(pilot, lambda: step(app) == "putaway")
        await pilot.press("f4")
        await wait_for(pilot, lambda: app.waiting == 0)
    lot_moves = moves(server.url, "SKU-0001", 2)
    assert [(m["reason"], m["lot"], m["qty"], m["to"]) for m in lot_moves] == [
        ("move", "LNEW42", 3, target),
        ("receive", "LNEW42", 3, "STAGE-03"),
    ]
    with api.client(server.url, api.login(server.url, "supervisor")) as supervisor:
        rows = supervisor.get("/api/v1/stock/", params={"sku": "SKU-0001"}).json()
    assert {r["expiry"] for r in rows if r["lot"] == "LNEW42"} == {"2027-12-31"}
    case = moves(server.url, "SKU-0010", 1)[0]
    assert (case["reason"], case["qty"], case["to"]) == ("receive", 12, "STAGE-03")
    assert await violations(database_url) == []


async def test_a_short_pick_at_a_location_of_two_lots_sends_the_lot_chosen(
    server, database_url, tmp_path
):
    receipt = {
        "sku": "SKU-0011",
        "location": "A02-03-1",
        "qty": 2,
        "lot": "L77777",
        "expiry": "2029-06-01",
        "ref": "second lot",
    }
    with api.client(server.url, api.login(server.url, "supervisor")) as supervisor:
        assert supervisor.post("/api/v1/stock/receive", json=receipt).status_code == 201
    released_order(server.url, ("SKU-0011", 3))
    app = terminal(server.url, tmp_path, "short-lots")
    async with app.run_test(size=(20, 16)) as pilot:
        await start(pilot, "B1001", "T0405")
        stop = app.screen.stop
        assert stop["location"] == "A02-03-1" and stop["lot"] == "L39260"
        await scan(pilot, stop["location"])
        await scan(pilot, stop["barcodes"][0])
        assert step(app) == "lot"
        await scan(pilot, "1")
        assert step(app) == "qty"
        await pilot.press("f2")
        assert step(app) == "short_qty"
        assert app.screen.query_one("#digits", Digits).value == "2"  # left to pick, not 3
        await scan(pilot, "")  # Enter: the one in hand is all there was
        assert step(app) == "short_tote"
        await scan(pilot, "T0405")
        await wait_for(pilot, lambda: app.waiting == 0)
        assert app.journal is not None
        assert all(s["status"] == "sent" for s in await app.journal.steps())
    pick = next(m for m in moves(server.url, "SKU-0011", 5) if m["reason"] == "pick")
    assert (pick["lot"], pick["qty"], pick["from"]) == ("L39260", 1, "A02-03-1")
    assert await violations(database_url) == []
