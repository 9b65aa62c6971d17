"""An empty count from the terminal: asked twice, then "Sent for approval" to a supervisor."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.app import TerminalApp
from terminal.config import Settings
from terminal.screens.error import NoticeScreen
from tests.support import api
from tests.terminal.conftest import log_in, scan, screen_text, wait_for
from tests.terminal.real import quiet_server, step
from wms.loopback import ThreadServer


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[ThreadServer]:
    with quiet_server(database_url) as srv:
        yield srv


def _on_hand(url: str, sku: str, location: str) -> int:
    with api.client(url, api.login(url, "supervisor")) as supervisor:
        rows = supervisor.get("/api/v1/stock/", params={"sku": sku, "location": location}).json()
    return sum(r["on_hand"] for r in rows)


async def test_enter_on_no_items_asks_again_and_the_empty_count_waits_for_approval(
    server, tmp_path: Path
):
    before = _on_hand(server.url, "SKU-0005", "A01-05-1")
    app = TerminalApp(Settings(server=server.url, journal=tmp_path / "j.sqlite", timeout_s=5))
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot, "B1001")
        await scan(pilot, "5")
        await scan(pilot, "A01-05-1")
        await wait_for(pilot, lambda: step(app) == "items")
        await scan(pilot, "")  # Enter too early: nothing is sent yet
        await wait_for(pilot, lambda: "EMPTY? ENTER" in screen_text(app))
        assert app.journal is not None and await app.journal.steps() == []
        await scan(pilot, "")
        # 202 pending: neither done nor an error, the picker is told it waits for approval.
        await wait_for(pilot, lambda: "Sent for approval" in screen_text(app) and not app.waiting)
        assert type(app.screen) is NoticeScreen  # calm, not the error screen (no bell)
        count_id = re.search(r"Count (\d+)", screen_text(app))[1]  # type: ignore[index]
        await pilot.press("enter")
        await wait_for(pilot, lambda: step(app) == "location")
        assert [s["status"] for s in await app.journal.steps()] == ["sent"]
    assert _on_hand(server.url, "SKU-0005", "A01-05-1") == before  # 301 off: a supervisor's
    with api.client(server.url, api.login(server.url, "supervisor")) as supervisor:
        pending = supervisor.get("/api/v1/stock/counts").json()
    assert [(c["location"], str(c["id"])) for c in pending] == [("A01-05-1", count_id)]
