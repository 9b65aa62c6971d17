"""Helpers for terminal tests against a real WMS server: orders, waves, picking by scans."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from terminal.app import TerminalApp
from terminal.config import Settings
from terminal.screens.error import ErrorScreen
from tests.support import api
from tests.terminal.conftest import log_in, scan, screen_text, wait_for
from wms.db import Database
from wms.loopback import ThreadServer
from wms.services import check

_numbers = itertools.count(1)
SHIP_TO = {
    "name": "Ada Lovelace",
    "line1": "1 Analytical Way",
    "city": "London",
    "postal_code": "N1 9GU",
    "country": "GB",
}


def released_order(url: str, *lines: tuple[str, int]) -> dict[str, Any]:
    """An order taken in through the API and released in a wave of its own."""
    return released_orders(url, list(lines))[0]


def released_orders(url: str, *orders: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Orders taken in through the API and released together in one wave."""
    taken = [take_in(url, lines) for lines in orders]
    with api.client(url, api.login(url, "supervisor")) as supervisor:
        body = {"order_ids": [o["id"] for o in taken], "iterations": 5}
        r = supervisor.post("/api/v1/waves/", json=body, headers=api.idem())
        assert r.status_code == 201, r.text
    return taken


def take_in(url: str, lines: list[tuple[str, int]]) -> dict[str, Any]:
    body = {
        "order_id": f"TERM-{uuid.uuid4().hex[:8]}",
        "currency": "USD",
        "reference": f"#TM{next(_numbers):03d}",
        "lines": [{"sku": sku, "qty": qty, "unit_price": "9.90"} for sku, qty in lines],
        "ship_to": SHIP_TO,
    }
    with api.client(url, api.INTEGRATION_TOKEN) as integration:
        r = integration.post("/api/v1/orders/", params={"channel": "own-main"}, json=body)
        assert r.status_code == 201, r.text
        return r.json()


def step(app: TerminalApp) -> str:
    return getattr(app.screen, "step", type(app.screen).__name__)


async def pick_current_stop(pilot: Pilot) -> None:
    """Scan the stop on screen the way a picker does: location, item, all of it, tote."""
    app = pilot.app
    stop = app.screen.stop  # type: ignore[attr-defined]
    if step(app) == "location":  # the next stop at the same shelf starts at the item
        await scan(pilot, stop["location"])
    await scan(pilot, stop["barcodes"][0])
    if step(app) == "qty":
        await scan(pilot, "")
    if step(app) == "tote":
        await scan(pilot, app.screen.tote_of(stop))  # type: ignore[attr-defined]


async def pick_to_the_drop(pilot: Pilot) -> None:
    app = pilot.app
    while step(app) in ("location", "item"):
        await pick_current_stop(pilot)
    assert step(app) == "drop", step(app)


async def violations(database_url: str) -> list[str]:
    """What `wms check` finds in the server's database."""
    db = Database(database_url)
    try:
        return await check.violations(db)
    finally:
        await db.dispose()


def order_status(url: str, order_id: int) -> str:
    with api.client(url, api.login(url, "supervisor")) as supervisor:
        return str(supervisor.get(f"/api/v1/orders/{order_id}").json()["status"])


def quiet_server(database_url: str) -> ThreadServer:
    """A server without its outbox worker, for flows that print nothing."""
    return ThreadServer(database_url, run_workers=False)


def terminal(url: str, tmp_path: Path, name: str) -> TerminalApp:
    return TerminalApp(
        Settings(server=url, journal=tmp_path / f"{name}.sqlite", timeout_s=5, station="PACK-01")
    )


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
