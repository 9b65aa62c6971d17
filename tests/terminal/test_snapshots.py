"""The main screens as text at 20×16 (RF gun) and 80×24, compared with committed snapshots.

Refresh after an intended change: WMS_UPDATE_SNAPSHOTS=1 pytest tests/terminal/test_snapshots.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from terminal.app import TerminalApp
from tests.terminal.conftest import log_in, scan, screen_text, wait_for

SNAPSHOTS = Path(__file__).parent / "snapshots"
SIZES = [(20, 16), (80, 24)]


def check(name: str, app: TerminalApp) -> None:
    width, height = app.size
    text = screen_text(app)
    lines = text.split("\n")
    assert len(lines) == height and all(len(line) <= width for line in lines)
    path = SNAPSHOTS / f"{name}-{width}x{height}.txt"
    if os.environ.get("WMS_UPDATE_SNAPSHOTS") or not path.exists():
        path.write_text(text + "\n")
        if not os.environ.get("WMS_UPDATE_SNAPSHOTS"):
            pytest.fail(f"new snapshot written: {path.name}; check it and commit it")
    assert text + "\n" == path.read_text(), f"{path.name} changed"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_login_menu_and_every_pick_step_fit_the_screen(fake, settings, size):
    app = TerminalApp(settings)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: "SCAN BADGE" in screen_text(app))
        check("login", app)
        await log_in(pilot)
        check("menu", app)
        await scan(pilot, "1")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "bind")
        check("pick-bind", app)
        await scan(pilot, "T1")
        await scan(pilot, "T2")
        await wait_for(pilot, lambda: app.waiting == 0)  # the status line says "online"
        check("pick-location", app)
        await scan(pilot, "A01-03-1")
        check("pick-item", app)
        await scan(pilot, "2000000000031")
        check("pick-qty", app)
        await scan(pilot, "")
        check("pick-tote", app)
        await scan(pilot, "T2")
        check("wrong-tote", app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_pack_screens_and_the_offline_status_fit_the_screen(fake, settings, size):
    app = TerminalApp(settings)
    async with app.run_test(size=size) as pilot:
        await log_in(pilot, "B2001")
        await scan(pilot, "2")
        check("pack-start", app)
        await scan(pilot, "T0070")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "verify")
        check("pack-verify", app)
        for code in ("2000000000031", "4006381333931", "4006381333931"):
            await scan(pilot, code)
        await wait_for(pilot, lambda: app.waiting == 0)
        check("pack-carton", app)
        await scan(pilot, "")
        check("pack-weight", app)
        fake.stop()
        await scan(pilot, "812")
        await wait_for(pilot, lambda: not app.online)
        check("pack-unreachable", app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "offline" in screen_text(app))
        check("pack-offline", app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_receive_move_count_and_look_up_fit_the_screen(fake, settings, size):
    app = TerminalApp(settings)
    async with app.run_test(size=size) as pilot:
        await log_in(pilot)
        await scan(pilot, "3")
        check("receive-ref", app)
        await scan(pilot, "PO-4711")
        await scan(pilot, "STAGE-01")
        await scan(pilot, "2000000000031")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "qty")
        check("receive-qty", app)
        await scan(pilot, "12")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "putaway")
        await wait_for(pilot, lambda: app.waiting == 0)  # the status line says "online"
        check("receive-putaway", app)
        await pilot.press("f4", "f4", "f4", "f4")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MenuScreen")
        await scan(pilot, "5")
        await scan(pilot, "A01-03-1")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "items")
        await scan(pilot, "2000000000031")
        await wait_for(pilot, lambda: "SKU-0003 1" in screen_text(app))
        check("count-items", app)
        await pilot.press("f4", "f4")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MenuScreen")
        await scan(pilot, "6")
        await scan(pilot, "2000000000031")
        await wait_for(pilot, lambda: "A01-03-1 17" in screen_text(app))
        check("lookup-item", app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_lots_totes_returns_and_handover_fit_the_screen(fake, settings, size):
    stop = fake.floor.batch["stops"][0]
    stop["lot"] = "L66838"
    stop["lots"] = [
        {"lot": "L66838", "expiry": "2027-01-03", "on_hand": 9},
        {"lot": "L99999", "expiry": "2029-01-01", "on_hand": 4},
    ]
    fake.floor.pack["totes"] = [
        {"tote": "T0070", "location": "STAGE-01", "on_cart": False, "scanned": False},
        {"tote": "T0071", "location": None, "on_cart": True, "scanned": False},
    ]
    app = TerminalApp(settings)
    async with app.run_test(size=size) as pilot:
        await log_in(pilot)
        await scan(pilot, "1")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "bind")
        await scan(pilot, "T1")
        await scan(pilot, "T2")
        await scan(pilot, "47")
        await wait_for(pilot, lambda: app.waiting == 0)
        check("pick-item-lot", app)
        await scan(pilot, "2000000000031")
        check("pick-lot", app)
        await pilot.press("f5")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MenuScreen")
        await wait_for(pilot, lambda: app.waiting == 0)
        await scan(pilot, "2")
        await scan(pilot, "T0070")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "totes")
        check("pack-totes", app)
        await pilot.press("f4")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MenuScreen")
        await scan(pilot, "7")
        await scan(pilot, "WMS0000000017")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "item")
        check("returns-item", app)
        await scan(pilot, "4006381333931")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "grade")
        check("returns-grade", app)
        await pilot.press("f4", "f4", "f4")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MenuScreen")
        await scan(pilot, "8")
        await scan(pilot, "WMS0000000017")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "parcels")
        await wait_for(pilot, lambda: "shipped" in screen_text(app))
        check("handover-parcels", app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_tote_to_fetch_a_label_to_check_and_a_count_for_approval_fit_the_screen(
    fake, settings, size
):
    # A follow-up pick: slot 1's order is already in T0042, waiting at STAGE-01.
    fake.floor.batch["slots"][0].update(tote="T0042", fetch_from="STAGE-01")
    fake.floor.label_unknown = True
    fake.floor.count_pending = True
    app = TerminalApp(settings)
    async with app.run_test(size=size) as pilot:
        await log_in(pilot)
        await scan(pilot, "1")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "fetch")
        check("pick-fetch", app)
        await scan(pilot, "T0042")
        assert getattr(app.screen, "step", "") == "bind"  # slot 2 still needs a new tote
        await pilot.press("f5")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MenuScreen")
        await wait_for(pilot, lambda: app.waiting == 0)
        await scan(pilot, "2")
        await scan(pilot, "T0070")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "verify")
        for code in ("2000000000031", "4006381333931", "4006381333931"):
            await scan(pilot, code)
        await wait_for(pilot, lambda: app.waiting == 0)
        await scan(pilot, "")
        await scan(pilot, "812")
        await wait_for(pilot, lambda: "Check printer" in screen_text(app))
        check("pack-label-unknown", app)
        await pilot.press("enter")
        await pilot.press("f7")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "label_out")
        check("pack-label-out", app)
        await pilot.press("f4")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MenuScreen")
        await scan(pilot, "5")
        await scan(pilot, "A01-03-1")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "items")
        await scan(pilot, "2000000000031")
        await scan(pilot, "")
        await wait_for(pilot, lambda: "Sent for approval" in screen_text(app))
        check("count-pending", app)
