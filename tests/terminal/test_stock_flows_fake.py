"""Receive and put away, move, count and look up with the real app against the fake floor API."""

from __future__ import annotations

from terminal.app import TerminalApp
from tests.terminal.conftest import log_in, scan, screen_text, wait_for


def step(app: TerminalApp) -> str:
    return getattr(app.screen, "step", type(app.screen).__name__)


async def test_a_receiver_receives_into_staging_and_puts_away_to_the_suggestion(fake, settings):
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot)
        await scan(pilot, "3")
        assert "SCAN PO / NOTE" in screen_text(app)  # the receipt's reference comes first
        await scan(pilot, "DN-4711")
        await scan(pilot, "STAGE-01")
        await wait_for(pilot, lambda: step(app) == "item")
        await scan(pilot, "2000000000031")
        await wait_for(pilot, lambda: step(app) == "qty")
        await scan(pilot, "12")
        await wait_for(pilot, lambda: step(app) == "putaway")
        assert "GO TO A01-03-1" in screen_text(app)
        await scan(pilot, "A01-03-1")
        await wait_for(pilot, lambda: len(fake.floor.stock_calls) == 2)
    assert fake.floor.stock_calls == [
        (
            "receive",
            {
                "sku": "SKU-0003",
                "location": "STAGE-01",
                "qty": 12,
                "lot": "",
                "ref": "DN-4711",
            },
        ),
        (
            "move",
            {
                "sku": "SKU-0003",
                "source": "STAGE-01",
                "target": "A01-03-1",
                "qty": 12,
                "lot": "",
                "ref": "putaway DN-4711",
            },
        ),
    ]


async def test_stock_is_moved_and_a_location_is_counted(fake, settings):
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot)
        await scan(pilot, "4")
        await scan(pilot, "A01-03-1")
        await scan(pilot, "2000000000031")
        await scan(pilot, "2")
        await scan(pilot, "B01-02-1")
        await wait_for(pilot, lambda: len(fake.floor.stock_calls) == 1)
        await pilot.press("f4")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MenuScreen")
        await scan(pilot, "5")
        await scan(pilot, "A01-03-1")
        await scan(pilot, "2000000000031")
        await scan(pilot, "2000000000031")
        await scan(pilot, "4006381333931")
        await scan(pilot, "7")  # a number sets the count of the item scanned last
        await scan(pilot, "")
        await wait_for(pilot, lambda: len(fake.floor.stock_calls) == 2)
    assert fake.floor.stock_calls[0] == (
        "move",
        {
            "sku": "SKU-0003",
            "source": "A01-03-1",
            "target": "B01-02-1",
            "qty": 2,
            "lot": "",
            "ref": "terminal move",
        },
    )
    assert fake.floor.stock_calls[1] == (
        "count",
        {
            "location": "A01-03-1",
            "ref": "terminal count",
            "lines": [
                {"sku": "SKU-0003", "qty": 2, "lot": ""},
                {"sku": "SKU-0007", "qty": 7, "lot": ""},
            ],
        },
    )


async def test_looking_up_an_item_shows_where_it_is(fake, settings):
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot)
        await scan(pilot, "6")
        await scan(pilot, "2000000000031")
        await wait_for(pilot, lambda: "A01-03-1 17" in screen_text(app))
        assert "SKU-0003" in screen_text(app)
        await scan(pilot, "nonsense")
        await wait_for(pilot, lambda: "Unknown code" in screen_text(app))
