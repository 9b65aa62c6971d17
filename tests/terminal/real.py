"""Helpers for terminal tests against a real WMS server: orders, waves, picking by scans."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

import httpx
from textual.pilot import Pilot

from terminal.app import TerminalApp
from tests.support import api
from tests.terminal.conftest import scan, wait_for
from wms.db import Database
from wms.services import check

_numbers = itertools.count(1)
SHIP_TO = {"name": "Ada Lovelace", "line1": "1 Analytical Way", "city": "London",
           "postal_code": "N1 9GU", "country": "GB"}


def released_order(url: str, *lines: tuple[str, int]) -> dict[str, Any]:
    """An order taken in through the API and released in a wave of its own."""
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
        order = r.json()
    with api.client(url, api.login(url, "supervisor")) as supervisor:
        r = supervisor.post("/api/v1/waves/", json={"order_ids": [order["id"]], "iterations": 5},
                            headers=api.idem())
        assert r.status_code == 201, r.text
    return order


def step(app: TerminalApp) -> str:
    return getattr(app.screen, "step", type(app.screen).__name__)


async def pick_current_stop(pilot: Pilot) -> None:
    """Scan the stop on screen the way a picker does: location, item, all of it, tote."""
    app = pilot.app
    stop = app.screen.stop  # type: ignore[attr-defined]
    await scan(pilot, stop["location"])
    await scan(pilot, stop["barcodes"][0])
    if step(app) == "qty":
        await scan(pilot, "")
    if step(app) == "tote":
        await scan(pilot, app.screen.tote_of(stop))  # type: ignore[attr-defined]


async def pick_to_the_drop(pilot: Pilot) -> None:
    app = pilot.app
    while step(app) == "location":
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


async def until(predicate: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


__all__ = ["httpx", "wait_for"]
