"""Bad Wi-Fi against the real server: stopped mid-batch, terminal killed and restarted, replayed."""

from __future__ import annotations

from terminal.app import TerminalApp
from terminal.config import Settings
from tests.support import api
from tests.terminal.conftest import log_in, scan, screen_text, wait_for
from tests.terminal.real import pick_current_stop, released_order, step, violations
from wms.loopback import ThreadServer


async def test_a_batch_picked_partly_offline_is_applied_exactly_once_after_a_restart(
    database_url, tmp_path
):
    url = database_url  # this module's own throwaway copy of the demo database
    server = ThreadServer(url, run_workers=False).start()
    order = released_order(server.url, ("SKU-0003", 1), ("SKU-0002", 2), ("SKU-0006", 1))
    settings = Settings(server=server.url, journal=tmp_path / "journal.sqlite", timeout_s=2)
    app = TerminalApp(settings)
    try:
        async with app.run_test(size=(20, 16)) as pilot:
            await log_in(pilot, "B1001")
            await scan(pilot, "1")
            await wait_for(pilot, lambda: step(app) == "bind")
            assert app.screen.batch["slots"][0]["order_id"] == order["id"]
            stops = len(app.screen.batch["stops"])
            await scan(pilot, "T0401")
            await pick_current_stop(pilot)
            await wait_for(pilot, lambda: app.waiting == 0)

            server.stop()  # the Wi-Fi drops mid-batch
            while step(app) == "location":
                await pick_current_stop(pilot)
            await wait_for(pilot, lambda: not app.online)
            assert step(app) == "drop"
            assert f"offline, {stops - 1} waiting" in screen_text(app)
        # The terminal is killed here: what it did offline lives only in its journal.

        # Back on the same port, with the same database.
        server = ThreadServer(url, port=server.port, run_workers=False).start()
        again = TerminalApp(settings)
        async with again.run_test(size=(20, 16)) as pilot:
            # The session survived both restarts; the journal replays by itself.
            await wait_for(pilot, lambda: type(again.screen).__name__ == "MenuScreen")
            await wait_for(pilot, lambda: again.waiting == 0 and again.online, timeout=15)
            await scan(pilot, "1")
            await wait_for(pilot, lambda: step(again) == "drop")
            await scan(pilot, again.screen.batch["drop_location"])
            await wait_for(pilot, lambda: again.waiting == 0 and step(again) == "done")

        with api.client(server.url, api.login(server.url, "supervisor")) as supervisor:
            moves = supervisor.get("/api/v1/stock/moves", params={"limit": 50}).json()
            picked = supervisor.get(f"/api/v1/orders/{order['id']}").json()
        picks = [m for m in moves if m["reason"] == "pick"]
        assert len(picks) == stops  # one move per stop: nothing lost, nothing twice
        assert all(line["picked"] == line["qty"] for line in picked["lines"])
        assert await violations(url) == []
    finally:
        server.stop()
