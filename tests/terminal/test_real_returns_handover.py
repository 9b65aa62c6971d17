"""Hand over and returns on the terminal, on a real server: pick, pack, hand over, return.

One order goes the whole way with terminals only (scanner and keypad): picked (a lot-tracked
item from a location of one lot, by its plain barcode), packed, scanned onto its carrier's
manifest (shipped), the manifest closed; then it comes back and each unit is graded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from terminal.screens.error import ErrorScreen
from tests.floor.shipping_fixtures import (  # noqa: F401 (fixtures)
    db,  # noqa: F811
    docs_dir,
    floor,  # noqa: F811
    printer,  # noqa: F811
)
from tests.support import api
from tests.terminal.conftest import log_in, scan, screen_text, wait_for
from tests.terminal.real import (
    order_status,
    pack_by_scans,
    pick_a_batch,
    step,
    terminal,
    violations,
)
from wms.loopback import ThreadServer

MASK = "2400000000013"  # SKU-0001: tracked by lot (L95319 alone at A01-01-1)
MUG = "2800000000035"  # SKU-0003


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[ThreadServer]:
    with ThreadServer(database_url) as srv:  # with workers: labels go out through the outbox
        yield srv


def moves(url: str, limit: int) -> list[dict[str, Any]]:
    with api.client(url, api.login(url, "supervisor")) as supervisor:
        return list(supervisor.get("/api/v1/stock/moves", params={"limit": limit}).json())


async def test_an_order_is_handed_over_then_returned_and_graded_on_the_terminal(
    floor,  # noqa: F811
    printer,  # noqa: F811
    database_url,
    tmp_path,
):
    order_id = await pick_a_batch(floor.url, tmp_path, "T0701", ("SKU-0001", 1), ("SKU-0003", 2))
    parcel = await pack_by_scans(floor.url, tmp_path, "T0701")
    assert order_status(floor.url, order_id) == "packed"

    app = terminal(floor.url, tmp_path, "dock")
    async with app.run_test(size=(20, 16)) as pilot:
        await log_in(pilot, "B2001")
        await scan(pilot, "8")
        assert step(app) == "first"
        await scan(pilot, parcel["tracking"])
        await wait_for(pilot, lambda: step(app) == "parcels" and app.screen.manifest["count"] == 1)
        manifest = app.screen.manifest
        assert manifest["carrier"] == parcel["carrier"]
        await scan(pilot, parcel["tracking"])  # twice: refused, nothing changes
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))
        await pilot.press("enter")
        await scan(pilot, "")
        assert step(app) == "close"
        await scan(pilot, "")
        await wait_for(pilot, lambda: step(app) == "closed")
        assert app.screen.manifest["status"] == "closed"
    assert order_status(floor.url, order_id) == "shipped"

    app = terminal(floor.url, tmp_path, "returns")
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "B2001")
        await scan(pilot, "7")
        await scan(pilot, parcel["tracking"])
        await wait_for(pilot, lambda: step(app) == "item")
        assert "SKU-0001 1 left" in screen_text(app) and "SKU-0003 2 left" in screen_text(app)
        await scan(pilot, MASK)
        await wait_for(pilot, lambda: step(app) == "lot")
        await scan(pilot, "]C110L95319")  # the lot label on the unit
        assert step(app) == "grade"
        await scan(pilot, "1")  # restock, with its lot
        await wait_for(pilot, lambda: step(app) == "item" and "SKU-0001" not in screen_text(app))
        await scan(pilot, MUG)
        await scan(pilot, "2")  # quarantine
        await wait_for(pilot, lambda: step(app) == "item" and "SKU-0003 1 left" in screen_text(app))
        await scan(pilot, MUG)
        await scan(pilot, "3")  # scrap
        await wait_for(pilot, lambda: step(app) == "done")
    ledger = [(m["reason"], m["lot"], m["qty"]) for m in moves(floor.url, 6)]
    assert ledger == [
        ("scrap", "", 1),
        ("return", "", 1),
        ("quarantine", "", 1),
        ("return", "", 1),
        ("restock", "L95319", 1),
        ("return", "L95319", 1),
    ]
    assert await violations(database_url) == []
