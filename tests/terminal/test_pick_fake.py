"""Picking a cart batch with the real app against the fake floor API."""

from __future__ import annotations

from terminal.app import TerminalApp
from terminal.screens.error import ErrorScreen
from tests.terminal.conftest import log_in, scan, screen_text, settle, type_keys, wait_for
from tests.terminal.fake_floor import bulk_batch


def step(app: TerminalApp) -> str:
    return getattr(app.screen, "step", type(app.screen).__name__)


async def start_picking(pilot) -> None:
    await log_in(pilot)
    await scan(pilot, "1")
    await wait_for(pilot, lambda: step(pilot.app) == "bind")
    await scan(pilot, "T1")
    await scan(pilot, "T2")


async def test_a_picker_picks_a_whole_batch_with_a_short_pick_and_drops_it(fake, settings):
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await start_picking(pilot)
        assert step(app) == "location"
        assert "A01-03-1" in screen_text(app)
        await scan(pilot, "47")  # the check code instead of the location label
        assert step(app) == "item"
        await scan(pilot, "2000000000031")
        assert step(app) == "qty"
        await scan(pilot, "2000000000031")  # a second scan counts one more
        assert app.screen.count == 2
        await scan(pilot, "")  # Enter alone: all that is asked
        assert step(app) == "tote"
        await scan(pilot, "T1")

        await scan(pilot, "A02-01-2")
        await scan(pilot, "4006381333931")  # qty 1: straight to the tote
        assert step(app) == "tote"
        await scan(pilot, "T2")

        await scan(pilot, "85")
        await pilot.press("f2")
        assert step(app) == "short_qty"
        await scan(pilot, "1")
        await scan(pilot, "5012345678900")
        await scan(pilot, "T1")
        # The server re-allocated the missing unit as a new stop; the terminal adopts it.
        await wait_for(pilot, lambda: app.screen.stop and app.screen.stop["task_id"] == 403)
        assert "C01-01-1" in screen_text(app)
        await scan(pilot, "C01-01-1")
        await scan(pilot, "]C10105012345678900")  # GS1-128 with the GTIN of the teapot
        await scan(pilot, "T1")
        assert step(app) == "drop", screen_text(app)
        await scan(pilot, "STAGE-01")
        await wait_for(pilot, lambda: fake.floor.batch["status"] == "done")
        assert step(app) == "done"

    paths = [p.removeprefix("/api/v1") for p, _ in fake.floor.applied]
    assert paths == [
        "/picking/batches/12/totes",
        "/picking/batches/12/totes",
        "/picking/tasks/301/confirm",
        "/picking/tasks/302/confirm",
        "/picking/tasks/303/short",
        "/picking/tasks/403/confirm",
        "/picking/batches/12/finish",
    ]
    assert [s["status"] for s in fake.floor.batch["stops"]] == ["done", "done", "short", "done"]


async def test_a_wrong_location_shows_the_error_screen_until_acknowledged(fake, settings):
    app = TerminalApp(settings)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(20, 16)) as pilot:
        await start_picking(pilot)
        await scan(pilot, "A09-09-9")
        assert isinstance(app.screen, ErrorScreen)
        text = screen_text(app)
        assert "Wrong location" in text and "A01-03-1" in text
        assert bells
        await type_keys(pilot, "A01-03-1")  # a scan (keys, then Enter) is no acknowledgement
        assert isinstance(app.screen, ErrorScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert step(app) == "location"
        await scan(pilot, "A01-03-1")
        assert step(app) == "item"


async def test_a_wrong_item_or_tote_is_caught_locally_and_nothing_is_sent(fake, settings):
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await start_picking(pilot)
        await scan(pilot, "A01-03-1")
        await scan(pilot, "4006381333931")
        assert isinstance(app.screen, ErrorScreen)
        # The product expected by its name, and what was scanned instead.
        text = screen_text(app)
        assert "Blue mug" in text and "Tea towel" in text and "SKU-0007" in text
        await pilot.press("enter")
        await scan(pilot, "2000000000031")
        await scan(pilot, "4")
        assert isinstance(app.screen, ErrorScreen)  # 4 > 3 asked: too many
        await pilot.press("enter")
        await scan(pilot, "3")
        await scan(pilot, "T2")
        assert isinstance(app.screen, ErrorScreen)
        assert "T1" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
    assert [p for p, _ in fake.floor.applied if "confirm" in p] == []


async def test_skip_moves_the_stop_to_the_end_and_pause_returns_to_the_menu(fake, settings):
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await start_picking(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert app.screen.stop["task_id"] == 302
        await pilot.press("f5")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MenuScreen")
        await wait_for(pilot, lambda: fake.floor.batch["status"] == "paused")
        await scan(pilot, "1")  # back to picking: the batch resumes where it was
        await wait_for(pilot, lambda: step(app) == "location")
        assert app.screen.stop["task_id"] == 302
        await wait_for(pilot, lambda: fake.floor.batch["status"] == "picking")
    assert [s["task_id"] for s in fake.floor.batch["stops"]] == [302, 303, 301]


async def test_a_picker_hands_the_cart_over_by_scanning_the_next_badge(fake, settings):
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await start_picking(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert "SCAN NEW BADGE" in screen_text(app)
        await pilot.press("f4")
        assert step(app) == "location"
        await pilot.press("f6")
        await scan(pilot, "B1002")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MenuScreen")
        await wait_for(pilot, lambda: app.waiting == 0)
        assert app.journal is not None and await app.journal.get("batch") is None
    assert fake.floor.batch["status"] == "paused" and fake.floor.batch["picker"] == "picker2"


async def test_a_bulk_batch_binds_one_tote_and_every_stop_goes_into_it(fake, settings):
    fake.floor.batch = bulk_batch()
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot)
        await scan(pilot, "1")
        await wait_for(pilot, lambda: step(app) == "bind")
        await scan(pilot, "T9")
        await scan(pilot, "12")
        await scan(pilot, "4006381333931")
        await scan(pilot, "4")
        assert step(app) == "tote"
        await scan(pilot, "T9")
        await wait_for(pilot, lambda: step(app) == "drop" and app.waiting == 0)
    assert fake.floor.batch["stops"][0]["status"] == "done"


async def test_the_order_s_tote_is_fetched_once_and_a_new_one_can_be_taken_instead(fake, settings):
    fake.floor.batch["slots"][0].update(tote="T0042", fetch_from="STAGE-01")
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot)
        await scan(pilot, "1")
        await wait_for(pilot, lambda: step(app) == "fetch")
        assert "FETCH T0042" in screen_text(app)
        await scan(pilot, "T0042")
        assert step(app) == "bind"  # slot 2 takes a new tote
        await scan(pilot, "T2")
        # The server's answer still says fetch_from (nothing picked yet): not asked again.
        await wait_for(pilot, lambda: app.waiting == 0 and step(app) == "location")
        await settle(pilot)
        assert step(app) == "location" and app.screen.tote_of(app.screen.stop) == "T0042"
        assert [p for p, _ in fake.floor.applied] == ["/api/v1/picking/batches/12/totes"]


async def test_enter_at_the_tote_to_fetch_takes_a_new_tote_instead(fake, settings):
    fake.floor.batch["slots"][0].update(tote="T0042", fetch_from="STAGE-01")
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot)
        await scan(pilot, "1")
        await wait_for(pilot, lambda: step(app) == "fetch")
        await scan(pilot, "T0041")  # not the order's tote
        assert isinstance(app.screen, ErrorScreen) and "T0042" in screen_text(app)
        await pilot.press("enter")
        await scan(pilot, "")  # the tote is not to be found: a new one
        assert step(app) == "bind" and "SCAN TOTE" in screen_text(app)
        await scan(pilot, "T1")
        await scan(pilot, "T2")
        await wait_for(pilot, lambda: app.waiting == 0 and step(app) == "location")
    binds = [b for p, b in fake.floor.applied if p.endswith("/totes")]
    assert binds == [{"slot": 1, "tote": "T1"}, {"slot": 2, "tote": "T2"}]
