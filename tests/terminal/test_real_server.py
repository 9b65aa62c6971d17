"""The terminal against a real WMS server on loopback: pick a cart batch, then pack it."""

from __future__ import annotations

from pathlib import Path

from terminal.app import TerminalApp
from terminal.config import Settings
from terminal.screens.error import ErrorScreen
from tests.floor.shipping_fixtures import (  # noqa: F401 (fixtures)
    db,
    docs_dir,
    floor,
    picked_order,
    printer,
)
from tests.terminal.conftest import log_in, scan, screen_text, wait_for
from tests.terminal.real import (
    order_status,
    pick_to_the_drop,
    released_order,
    step,
    violations,
)


def terminal(url: str, tmp_path: Path, name: str) -> TerminalApp:
    return TerminalApp(Settings(server=url, journal=tmp_path / f"{name}.sqlite", timeout_s=5,
                                station="PACK-01"))


async def pick_a_batch(url: str, tmp_path: Path, tote: str, *lines: tuple[str, int]) -> int:
    """A released order picked into `tote` by a terminal, scan by scan; its id."""
    order = released_order(url, *lines)
    picker = terminal(url, tmp_path, f"picker-{tote}")
    async with picker.run_test(size=(20, 16)) as pilot:
        await log_in(pilot, "B1001")
        await scan(pilot, "1")
        await wait_for(pilot, lambda: step(picker) == "bind")
        assert picker.screen.batch["slots"][0]["order_id"] == order["id"]
        await scan(pilot, tote)
        await wait_for(pilot, lambda: step(picker) == "location")
        # A wrong location is caught at once, with the right one shown.
        where = picker.screen.stop["location"]
        await scan(pilot, "STAGE-01")
        assert isinstance(picker.screen, ErrorScreen)
        assert where in screen_text(picker)
        await pilot.press("enter")
        await pick_to_the_drop(pilot)
        await scan(pilot, picker.screen.batch["drop_location"])
        await wait_for(pilot, lambda: picker.waiting == 0 and step(picker) == "done", timeout=10)
    return int(order["id"])


async def pack_by_scans(url: str, tmp_path: Path, scan_code: str) -> dict:
    """Pack the order behind `scan_code` at PACK-01 with a terminal; the parcel."""
    packer = terminal(url, tmp_path, f"packer-{scan_code}")
    async with packer.run_test(size=(20, 16)) as pilot:
        await log_in(pilot, "B2001")
        await scan(pilot, "2")
        await scan(pilot, scan_code)
        await wait_for(pilot, lambda: step(packer) == "verify")
        for line in list(packer.screen.view["lines"]):
            for _ in range(line["picked"]):
                await scan(pilot, line["barcodes"][0])
        await wait_for(pilot, lambda: step(packer) == "carton")
        await scan(pilot, "")
        await scan(pilot, "900")
        await wait_for(pilot, lambda: step(packer) != "printing", timeout=20)
        assert step(packer) == "packed", screen_text(packer)
        parcel = packer.screen.parcel
        assert parcel["tracking"] in screen_text(packer).replace("\n", "")
    return parcel


async def test_a_cart_batch_is_picked_scan_by_scan_on_the_real_server(
    server, database_url, tmp_path
):
    order_id = await pick_a_batch(server.url, tmp_path, "T0301", ("SKU-0003", 2), ("SKU-0002", 1))
    assert order_status(server.url, order_id) == "picked"
    assert await violations(database_url) == []


async def test_a_picked_order_is_packed_at_a_station_and_its_label_prints(
    floor, printer, db, database_url, tmp_path  # noqa: F811
):
    order_id = await picked_order(db, [("SKU-0002", 2), ("SKU-0003", 1)])
    printed = len(printer.labels)
    parcel = await pack_by_scans(floor.url, tmp_path, str(order_id))
    labels = printer.wait_for_labels(printed + 1)
    assert parcel["sscc"].encode() in labels[-1]
    assert order_status(floor.url, order_id) == "packed"
    assert await violations(database_url) == []


async def test_a_batch_the_terminal_picked_is_packed_from_its_tote(
    floor, printer, database_url, tmp_path  # noqa: F811
):
    order_id = await pick_a_batch(floor.url, tmp_path, "T0303", ("SKU-0005", 1))
    printed = len(printer.labels)
    parcel = await pack_by_scans(floor.url, tmp_path, "T0303")
    labels = printer.wait_for_labels(printed + 1)
    assert parcel["sscc"].encode() in labels[-1]
    assert order_status(floor.url, order_id) == "packed"
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
