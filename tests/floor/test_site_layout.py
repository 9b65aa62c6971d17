"""Waves, routes and their drawings use the loaded site's layout, never the demo's file."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.floor.conftest import SHIP_TO
from tests.support.api import idem
from tests.support.databases import new_empty_database
from wms.db import Database
from wms.domain.layout import Layout
from wms.errors import Conflict
from wms.loopback import ThreadServer
from wms.services import loader, site
from wms.services.site_starter import init_site

TOKEN = "site-layout-integration-token"


def _load(url: str, folder: Path) -> None:
    async def go() -> None:
        db = Database(url)
        try:
            await loader.load_warehouse(db, folder)
        finally:
            await db.dispose()

    asyncio.run(go())


@pytest.fixture(scope="module")
def site_folder(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp(f"own-{backend}") / "site"
    init_site(folder)
    users = json.loads((folder / "users.json").read_text())
    users += [
        {"username": "boss", "role": "supervisor", "badge": "B3001", "pin": "4321"},
        {"username": "shop", "role": "integration", "token": TOKEN, "channels": ["own-shop"]},
    ]
    (folder / "users.json").write_text(json.dumps(users))
    return folder


@pytest.fixture(scope="module")
def database_url(backend: str, db_folder: Path, site_folder: Path) -> str:
    """Overrides the demo database: this module's server runs the starter site."""
    url = new_empty_database(backend, db_folder)
    _load(url, site_folder)
    return url


@pytest.fixture(scope="module")
def shop(server: ThreadServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    )


def _order(shop: httpx.Client, *lines: tuple[str, int]) -> int:
    body = {
        "order_id": f"OWN-{uuid.uuid4().hex[:8]}",
        "currency": "EUR",
        "lines": [{"sku": sku, "qty": qty, "unit_price": "9.90"} for sku, qty in lines],
        "ship_to": SHIP_TO,
    }
    r = shop.post("/api/v1/orders/", params={"channel": "own-shop"}, json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _route(supervisor: httpx.Client, order_id: int) -> str:
    r = supervisor.post(
        "/api/v1/waves/", json={"order_ids": [order_id], "iterations": 5}, headers=idem()
    )
    assert r.status_code == 201, r.text
    wave = supervisor.get(f"/api/v1/waves/{r.json()['id']}").json()
    batch_id = wave["batches"][0]["id"]
    svg = supervisor.get(f"/api/v1/batches/{batch_id}/route.svg")
    assert svg.status_code == 200, svg.text
    return svg.text


def test_a_wave_is_planned_and_drawn_on_the_loaded_site_s_layout(
    supervisor: httpx.Client, shop: httpx.Client, site_folder: Path
) -> None:
    order = _order(shop, ("MUG-WHT", 1), ("TEE-BLK-M", 2))
    plan = supervisor.post("/api/v1/waves/plan", json={"order_ids": [order]}).json()
    assert plan["orders"] == 1 and plan["distance_m"] > 0
    svg = _route(supervisor, order)
    # The starter's 4 aisles in 2 blocks, racks both sides: 16 racks (the demo's: 80).
    assert svg.count('class="rack"') == 16
    assert "A02-02-1" in svg and "A01-01-1" in svg and svg.count('class="stop"') == 2
    starter = Layout.from_file(site_folder / "layout.json")
    assert len(starter.geometry.aisle_x) == 4


def test_a_reloaded_layout_is_used_at_once(
    supervisor: httpx.Client, shop: httpx.Client, site_folder: Path, database_url: str
) -> None:
    layout = site_folder / "layout.json"
    layout.write_text(
        layout.read_text()
        .replace('"aisles": 4', '"aisles": 6')
        .replace('"last_aisle": 4', '"last_aisle": 6')
    )
    _load(database_url, site_folder)
    svg = _route(supervisor, _order(shop, ("MUG-WHT", 1)))
    assert svg.count('class="rack"') == 24


def test_asking_for_the_layout_before_any_site_is_loaded_says_so(
    db_folder: Path, backend: str
) -> None:
    url = new_empty_database(backend, db_folder)

    async def go() -> None:
        db = Database(url)
        try:
            with pytest.raises(Conflict) as caught:
                await site.current_layout(db)
            assert caught.value.code == "no_site"
        finally:
            await db.dispose()

    asyncio.run(go())
