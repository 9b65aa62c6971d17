"""Packing at a station with the real app against the fake floor API."""

from __future__ import annotations

from terminal.app import TerminalApp
from terminal.screens.error import ErrorScreen
from tests.terminal.conftest import log_in, scan, screen_text, wait_for


def step(app: TerminalApp) -> str:
    return getattr(app.screen, "step", type(app.screen).__name__)


async def open_pack(pilot) -> None:
    await log_in(pilot, "B2001")
    await scan(pilot, "2")
    await wait_for(pilot, lambda: step(pilot.app) == "start")


async def test_a_packer_verifies_items_overrides_the_carton_types_the_weight_and_closes(
    fake, settings
):
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await open_pack(pilot)
        await scan(pilot, "T0070")
        await wait_for(pilot, lambda: step(app) == "verify")
        assert "Blue mug" in screen_text(app)
        await scan(pilot, "2000000000031")
        await scan(pilot, "2000000000031")  # only one was picked
        assert isinstance(app.screen, ErrorScreen)
        assert "Too many" in screen_text(app)
        await pilot.press("enter")
        await scan(pilot, "5012345678900")
        assert "Not in this order" in screen_text(app)
        await pilot.press("enter")
        await scan(pilot, "4006381333931")
        await scan(pilot, "4006381333931")
        assert step(app) == "carton"
        assert "BOX-S" in screen_text(app)  # the suggestion
        await scan(pilot, "4")  # keypad override: the 4th carton, chosen for real
        assert app.screen.carton == "BOX-M"
        assert step(app) == "weight"  # so the number typed next is the weight
        await scan(pilot, "812")
        await wait_for(pilot, lambda: step(app) == "packed")
        assert "1Z999AA10123456781" in screen_text(app)
    assert fake.floor.parcels[0]["carton"] == "BOX-M"
    assert fake.floor.parcels[0]["weight_g"] == 812
    verified = [line["verified"] for line in fake.floor.pack["lines"]]
    assert verified == [1, 2]


async def test_a_printer_fault_is_shown_with_what_to_do(fake, settings):
    fake.floor.printer_status = "paper_out"
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await open_pack(pilot)
        await scan(pilot, "T0070")  # the fault is told at the start of an order
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))
        assert "Load labels" in screen_text(app)
        await pilot.press("enter")
        await pilot.press("f4")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MenuScreen")
        await scan(pilot, "2")
        await pilot.press("f6")
        assert step(app) == "ship"
        await scan(pilot, "4006381333931")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))
        text = screen_text(app)
        assert "Printer paper_out" in text and "Load labels" in text
        await pilot.press("enter")
        fake.floor.printer_status = "ready"
        await pilot.press("f7")
        await wait_for(pilot, lambda: step(app) == "packed")


async def test_scan_and_ship_prints_a_label_for_the_next_waiting_order(fake, settings):
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await open_pack(pilot)
        await pilot.press("f6")
        await scan(pilot, "4006381333931")
        await wait_for(pilot, lambda: step(app) == "ship_packed")
        assert "#3001" in screen_text(app)
        await scan(pilot, "2000000000031")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))
        assert "No order waits" in screen_text(app)


async def test_an_order_in_two_totes_is_packed_only_when_both_are_at_the_bench(fake, settings):
    fake.floor.pack["totes"] = [
        {"tote": "T0070", "location": "STAGE-01", "on_cart": False, "scanned": False},
        {"tote": "T0071", "location": "STAGE-02", "on_cart": False, "scanned": False},
    ]
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await open_pack(pilot)
        await scan(pilot, "T0070")
        await wait_for(pilot, lambda: step(app) == "totes")
        text = screen_text(app)
        assert "SCAN TOTE T0071" in text and "T0071 STAGE-02" in text  # told where it waits
        await scan(pilot, "T0099")
        assert isinstance(app.screen, ErrorScreen)  # not this order's tote
        await pilot.press("enter")
        assert step(app) == "totes"
        await scan(pilot, "T0071")
        await wait_for(pilot, lambda: step(app) == "verify")
        assert fake.floor.pack["totes_missing"] == []


async def test_an_inner_pack_verifies_its_units_and_one_too_big_is_refused(fake, settings):
    fake.floor.pack["lines"][1]["barcodes"].append("14006381333938")
    fake.floor.pack["lines"][1]["packs"] = {"14006381333938": 2}
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await open_pack(pilot)
        await scan(pilot, "T0070")
        await wait_for(pilot, lambda: step(app) == "verify")
        await scan(pilot, "4006381333931")
        await scan(pilot, "14006381333938")  # two more would be three of two
        assert isinstance(app.screen, ErrorScreen) and "Pack too big" in screen_text(app)
        await pilot.press("enter")
        assert app.screen.view["lines"][1]["verified"] == 1
