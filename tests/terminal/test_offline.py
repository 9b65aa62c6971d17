"""Bad Wi-Fi: picking goes on offline, survives a restart of the terminal, and replays once."""

from __future__ import annotations

from terminal.app import TerminalApp
from terminal.screens.error import ErrorScreen
from tests.terminal.conftest import log_in, scan, screen_text, settle, wait_for


def step(app: TerminalApp) -> str:
    return getattr(app.screen, "step", type(app.screen).__name__)


async def test_steps_taken_offline_survive_a_restart_and_are_applied_once(fake, settings):
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot)
        await scan(pilot, "1")
        await wait_for(pilot, lambda: step(app) == "bind")
        await scan(pilot, "T1")
        await scan(pilot, "T2")
        await wait_for(pilot, lambda: len(fake.floor.applied) == 2)

        fake.stop()  # the Wi-Fi drops mid-batch
        await scan(pilot, "A01-03-1")
        await scan(pilot, "2000000000031")
        await scan(pilot, "3")
        await scan(pilot, "T1")
        await wait_for(pilot, lambda: not app.online)
        await scan(pilot, "A02-01-2")
        await scan(pilot, "4006381333931")
        await scan(pilot, "T2")
        await settle(pilot)
        assert step(app) == "location" and app.screen.stop["task_id"] == 303
        assert "offline, 2 waiting" in screen_text(app)
    # The terminal is gone (killed): nothing was sent, all of it is in the journal file.

    fake.start()  # the server is back, with the same tokens in its database
    again = TerminalApp(settings)
    async with again.run_test(size=(20, 16)) as pilot:
        await wait_for(pilot, lambda: type(again.screen).__name__ == "MenuScreen")
        await wait_for(pilot, lambda: again.waiting == 0 and again.online)
        await scan(pilot, "1")
        await wait_for(pilot, lambda: step(again) == "location")
        assert again.screen.stop["task_id"] == 303  # resumed where the picker was
        assert "online" in screen_text(again)
    confirms = [p for p, _ in fake.floor.applied if p.endswith("/confirm")]
    assert confirms == ["/api/v1/picking/tasks/301/confirm", "/api/v1/picking/tasks/302/confirm"]


async def test_a_step_the_server_rejects_on_replay_is_shown_to_the_picker(fake, settings):
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot)
        await scan(pilot, "1")
        await wait_for(pilot, lambda: step(app) == "bind")
        await scan(pilot, "T1")
        await scan(pilot, "T2")
        await wait_for(pilot, lambda: len(fake.floor.applied) == 2)
        fake.stop()
        await scan(pilot, "A01-03-1")
        await scan(pilot, "2000000000031")
        await scan(pilot, "3")
        await scan(pilot, "T1")
        await wait_for(pilot, lambda: not app.online)
        # Meanwhile a supervisor picked that stop from another terminal.
        fake.floor.batch["stops"][0].update(status="done", picked=3)
        fake.start()
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), timeout=8)
        text = screen_text(app)
        assert "Stop already done" in text and "SKU-0003" in text
        await pilot.press("enter")
        await wait_for(pilot, lambda: step(app) == "location")
        assert app.waiting == 0
