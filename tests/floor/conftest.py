"""Floor fixtures: orders through the API, waves released for them, logins by badge, `wms check`."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support import api
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


def login_badge(url: str, badge: str, pin: str = "1234") -> httpx.Client:
    """A client logged in by badge and PIN, as a terminal does (picker3 is B1003 ...)."""
    r = httpx.post(f"{url}/api/v1/auth/login", json={"badge": badge, "pin": pin})
    r.raise_for_status()
    return api.client(url, r.json()["token"])


@pytest.fixture(scope="module")
def badge_login(server: ThreadServer) -> Iterator[Callable[[str], httpx.Client]]:
    """`badge_login("B1003")` → a client logged in as that badge (picker3) for the module."""
    clients: dict[str, httpx.Client] = {}

    def make(badge: str, pin: str = "1234") -> httpx.Client:
        # One login per badge and module: a PIN check is deliberately slow (scrypt).
        if badge not in clients:
            clients[badge] = login_badge(server.url, badge, pin)
        return clients[badge]

    yield make
    for c in clients.values():
        c.close()


@pytest.fixture(scope="module")
def new_order(integration: httpx.Client) -> Callable[..., dict[str, Any]]:
    """`new_order(("SKU-0003", 2), ...)` → the created order (own channel, READY if in stock)."""

    def make(*lines: tuple[str, int], **fields: Any) -> dict[str, Any]:
        n = next(_numbers)
        body = {
            "order_id": f"FLOOR-{uuid.uuid4().hex[:8]}-{n}",
            "currency": "USD",
            "reference": f"#F{n:04d}",
            "lines": [{"sku": sku, "qty": qty, "unit_price": "9.90"} for sku, qty in lines],
            "ship_to": SHIP_TO,
        } | fields
        r = integration.post("/api/v1/orders/", params={"channel": "own-main"}, json=body)
        assert r.status_code == 201, r.text
        return r.json()

    return make


@pytest.fixture(scope="module")
def release_wave(supervisor: httpx.Client) -> Callable[..., dict[str, Any]]:
    """`release_wave([order ids], **rules)` → the released wave (only those orders)."""

    def release(order_ids: list[int], **rules: Any) -> dict[str, Any]:
        body = {"order_ids": order_ids, "iterations": 5} | rules
        r = supervisor.post("/api/v1/waves/", json=body, headers=api.idem())
        assert r.status_code == 201, r.text
        return r.json()

    return release


@pytest.fixture(scope="module")
def violations(database_url: str) -> Callable[[], list[str]]:
    """`violations()` → what `wms check` finds in the server's database."""

    def run() -> list[str]:
        async def go() -> list[str]:
            db = Database(database_url)
            try:
                return await check.violations(db)
            finally:
                await db.dispose()

        return asyncio.run(go())

    return run


def pick_all(client: httpx.Client, batch_id: int) -> dict[str, Any]:
    """Bind free totes to empty slots, confirm every open stop as asked, drop the batch."""
    url = f"/api/v1/picking/batches/{batch_id}"
    batch = client.get(url).json()
    for slot in batch["slots"]:
        if slot["tote"] is None:
            tote = f"T{batch_id:04d}{slot['slot']:02d}"
            r = client.post(
                f"{url}/totes", json={"slot": slot["slot"], "tote": tote}, headers=api.idem()
            )
            assert r.status_code == 200, r.text
            batch = r.json()
    while batch["next_task_id"] is not None:
        stop = next(s for s in batch["stops"] if s["task_id"] == batch["next_task_id"])
        item = stop["barcodes"][0]
        if stop["lot"]:
            item = f"]C101{item.zfill(14)}10{stop['lot']}"
        tote = stop["tote"] or batch["slots"][0]["tote"]  # a bulk stop goes into the bulk tote
        body = {
            "location": stop["location"],
            "item": item,
            "qty": stop["qty"] - stop["picked"],
            "tote": tote,
        }
        r = client.post(
            f"/api/v1/picking/tasks/{stop['task_id']}/confirm", json=body, headers=api.idem()
        )
        assert r.status_code == 200, r.text
        batch = r.json()
    r = client.post(f"{url}/finish", json={"drop": batch["drop_location"]}, headers=api.idem())
    assert r.status_code == 200, r.text
    return r.json()
