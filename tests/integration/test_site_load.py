"""`wms load DIR`: one transaction, reloadable after edits; a bad site changes nothing."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.support.databases import new_empty_database
from wms import cli
from wms.db import Database, reads
from wms.secret_box import PREFIX, keyring
from wms.services import loader
from wms.services.check import violations
from wms.services.site_files import SiteInvalid
from wms.services.site_starter import init_site

TABLES = (
    "location",
    "site_document",
    "product",
    "product_availability",
    "barcode",
    "carton_type",
    "user",
    "api_token",
    "pack_station",
    "channel",
    "channel_listing",
    "stock",
    "stock_move",
)


@reads
def _rows(s: Session) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t: sorted(tuple(map(str, r)) for r in s.execute(text(f'SELECT * FROM "{t}"')))
        for t in TABLES
    }


async def _load(url: str, folder: Path) -> dict[str, int]:
    db = Database(url)
    try:
        return await loader.load_warehouse(db, folder)
    finally:
        await db.dispose()


async def _snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    db = Database(url)
    try:
        return await db.run(_rows)
    finally:
        await db.dispose()


async def _violations(url: str) -> list[str]:
    db = Database(url)
    try:
        return await violations(db)
    finally:
        await db.dispose()


def load(url: str, folder: Path) -> dict[str, int]:
    return asyncio.run(_load(url, folder))


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    return asyncio.run(_snapshot(url))


def check(url: str) -> list[str]:
    return asyncio.run(_violations(url))


def edit(folder: Path, name: str, old: str, new: str) -> None:
    content = (folder / name).read_text()
    assert old in content, f"{old!r} not in {name}"
    (folder / name).write_text(content.replace(old, new, 1))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    init_site(tmp_path / "site")
    return tmp_path / "site"


@pytest.fixture
def empty_url(backend: str, db_folder: Path) -> str:
    return new_empty_database(backend, db_folder)


@pytest.fixture(scope="module")
def loaded(backend: str, db_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One database with the starter site loaded, that the bad sites must leave alone."""
    url = new_empty_database(backend, db_folder)
    folder = tmp_path_factory.mktemp("loaded") / "site"
    init_site(folder)
    load(url, folder)
    return url


def test_a_starter_site_loads_into_an_empty_database_and_keeps_the_invariants(
    empty_url: str, site: Path
) -> None:
    counts = load(empty_url, site)
    assert counts["products"] == 3 and counts["stock_lines"] == 4 and counts["users"] == 3
    assert check(empty_url) == []
    rows = snapshot(empty_url)
    assert len(rows["stock_move"]) == 4
    assert len(rows["site_document"]) == 2  # the layout (planning, routes) and the carriers


def test_an_edited_site_reloads_updating_what_changed_and_adding_what_is_new(
    empty_url: str, site: Path
) -> None:
    load(empty_url, site)
    before = snapshot(empty_url)
    edit(site, "products.csv", "White mug,120,90,100,350", "White mug large,130,90,100,420")
    with open(site / "products.csv", "a") as f:
        f.write("CAP-RED,Red cap,200,180,90,110,1.80,,,4001234000053\n")
    with open(site / "stock.csv", "a") as f:
        f.write("CAP-RED,A03-01-1,12,,\n")
    edit(site, "stock.csv", "TEE-BLK-M,A01-01-1,40", "TEE-BLK-M,A01-01-1,400")
    edit(site, "channels.json", '"buffer": 0', '"buffer": 3')
    edit(site, "stations.json", "tcp://127.0.0.1:9100", "tcp://10.0.0.7:9100")
    users = json.loads((site / "users.json").read_text())
    users.append({"username": "packer2", "role": "packer", "badge": "B2002", "pin": "4321"})
    (site / "users.json").write_text(json.dumps(users))
    edit(site, "layout.json", '"prefix": "PACK", "count": 2', '"prefix": "PACK", "count": 3')

    counts = load(empty_url, site)

    assert counts["stock_lines"] == 1  # only the new product's opening stock
    after = snapshot(empty_url)
    assert len(after["product"]) == 4 and len(after["user"]) == 4
    assert len(after["location"]) == len(before["location"]) + 1
    assert len(after["stock_move"]) == 5
    assert any("White mug large" in r and "420" in r for r in after["product"])
    assert scalar(empty_url, "SELECT buffer FROM channel WHERE code = 'own-shop'") == 3
    assert scalar(empty_url, "SELECT label_printer_url FROM pack_station") == "tcp://10.0.0.7:9100"
    # Counted stock belongs to the ledger: the reload did not turn 40 into 400.
    tee = (
        "SELECT on_hand FROM stock JOIN product ON product.id = stock.product_id"
        " WHERE product.sku = 'TEE-BLK-M'"
    )
    assert scalar(empty_url, tee) == 40
    assert scalar(empty_url, "SELECT name FROM product WHERE sku = 'CAP-RED'") == "Red cap"
    assert check(empty_url) == []


def scalar(url: str, sql: str) -> Any:
    async def read() -> Any:
        db = Database(url)
        try:
            return await db.run(reads(lambda s: s.execute(text(sql)).scalar_one()))
        finally:
            await db.dispose()

    return asyncio.run(read())


def opened(url: str, column: str) -> str:
    """A channel secret as stored (sealed, never plain), opened with the suite's key."""
    stored = scalar(url, f"SELECT {column} FROM channel")
    assert stored.startswith(PREFIX), "a secret is stored in plain"
    return keyring.open(stored)


def _missing_layout(folder: Path) -> None:
    (folder / "layout.json").unlink()


def _missing_products(folder: Path) -> None:
    (folder / "products.csv").unlink()


def _missing_column(folder: Path) -> None:
    edit(folder, "stock.csv", "sku,location,qty", "sku,location,quantity")


def _wrong_type(folder: Path) -> None:
    edit(folder, "products.csv", "White mug,120,90,100,350", "White mug,120,90,100,heavy")
    with open(folder / "products.csv", "a") as f:  # and something new that must not appear
        f.write("CAP-RED,Red cap\n")


def _duplicate(folder: Path) -> None:
    with open(folder / "products.csv", "a") as f:
        f.write("CAP-RED,Red cap\nCAP-RED,Red cap again\n")


def _unknown_location(folder: Path) -> None:
    with open(folder / "stock.csv", "a") as f:
        f.write("MUG-WHT,Z09-01-1,5,,\n")


def _bad_barcode(folder: Path) -> None:
    edit(folder, "products.csv", "White mug,", "White mug renamed,")
    with open(folder / "barcodes.csv", "a") as f:
        f.write("4001234000054,MUG-WHT,1,EAN13\n")


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (_missing_layout, "layout.json:0:0: required file is missing"),
        (_missing_products, "products.csv:0:0: required file is missing"),
        (_missing_column, "missing required column 'qty'"),
        (_wrong_type, "weight_g: not a whole number: 'heavy'"),
        (_duplicate, "duplicate sku 'CAP-RED'"),
        (_unknown_location, "unknown location 'Z09-01-1'"),
        (_bad_barcode, "wrong check digit in barcode '4001234000054'"),
    ],
)
def test_a_bad_site_is_refused_with_a_clear_message_and_changes_nothing(
    loaded: str, site: Path, spoil: Any, expected: str
) -> None:
    before = snapshot(loaded)
    spoil(site)
    with pytest.raises(SiteInvalid) as caught:
        load(loaded, site)
    assert any(expected in str(p) for p in caught.value.problems), caught.value.problems
    assert snapshot(loaded) == before


def test_a_refusal_half_way_through_the_load_rolls_everything_back(loaded: str, site: Path) -> None:
    """Aisle 2 holds the mugs: a layout without it is refused after the writes began."""
    before = snapshot(loaded)
    edit(site, "products.csv", "White mug,", "White mug renamed,")
    edit(site, "layout.json", '"aisles": 4', '"aisles": 1')
    edit(site, "layout.json", '"last_aisle": 4', '"last_aisle": 1')
    for name in ("stock.csv", "listings.csv", "barcodes.csv"):
        (site / name).unlink()
    with pytest.raises(SiteInvalid) as caught:
        load(loaded, site)
    assert "holds stock: it cannot leave the layout" in str(caught.value)
    assert snapshot(loaded) == before


def test_the_demo_reloads_onto_itself_without_a_change_of_stock(empty_url: str) -> None:
    from wms.config import ROOT

    demo = ROOT / "fixtures" / "demo"
    load(empty_url, demo)
    before = snapshot(empty_url)
    counts = load(empty_url, demo)
    assert counts["stock_lines"] == 0
    after = snapshot(empty_url)
    for table in ("stock", "stock_move", "product_availability", "location", "barcode"):
        assert after[table] == before[table], table
    assert check(empty_url) == []


# -- the command on a database that is not ready --------------------------------------------


@pytest.mark.parametrize("command", ["load", "check", "serve", "worker"])
def test_a_command_on_a_missing_database_says_to_upgrade_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: Path, command: str
) -> None:
    monkeypatch.setenv("WMS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'none.sqlite'}")
    args = [command, str(site)] if command == "load" else [command]
    with pytest.raises(SystemExit) as caught:
        cli.main(args)
    assert str(caught.value) == (
        f"There is no database at {tmp_path / 'none.sqlite'} yet: run `wms db upgrade` first."
    )
    assert not (tmp_path / "none.sqlite").exists()


def test_load_into_a_database_without_tables_says_to_upgrade_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: Path
) -> None:
    path = tmp_path / "bare.sqlite"
    sqlite3.connect(path).close()
    monkeypatch.setenv("WMS_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    with pytest.raises(SystemExit) as caught:
        cli.main(["load", str(site)])
    assert str(caught.value) == "The database has no tables yet: run `wms db upgrade` first."


def test_load_of_a_bad_site_prints_its_problems_and_fails(
    empty_url: str,
    monkeypatch: pytest.MonkeyPatch,
    site: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WMS_DATABASE_URL", empty_url)
    _unknown_location(site)
    assert cli.main(["load", str(site)]) == 1
    captured = capsys.readouterr()
    assert "stock.csv:7:2: unknown location 'Z09-01-1' (not in layout.json)" in captured.out
    assert "nothing loaded" in captured.err


def test_a_secret_changed_by_a_reload_keeps_the_old_one_for_a_grace_period(
    empty_url: str, site: Path
) -> None:
    load(empty_url, site)
    edit(site, "channels.json", "replace-with-a-long-random-secret", "a-new-secret-after-a-leak")
    load(empty_url, site)
    assert opened(empty_url, "secret") == "a-new-secret-after-a-leak"
    assert opened(empty_url, "previous_secret") == "replace-with-a-long-random-secret"
    assert scalar(empty_url, "SELECT previous_secret_until FROM channel") is not None
    load(empty_url, site)  # unchanged: the grace period is neither renewed nor lost
    assert opened(empty_url, "previous_secret") == "replace-with-a-long-random-secret"


def test_load_into_a_database_of_an_older_schema_says_to_upgrade_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: Path
) -> None:
    from wms import migrate

    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite'}"
    migrate.upgrade(url, "0001")
    monkeypatch.setenv("WMS_DATABASE_URL", url)
    with pytest.raises(SystemExit) as caught:
        cli.main(["load", str(site)])
    assert str(caught.value) == (
        "The database schema is older than this version of wms: run `wms db upgrade` first."
    )


# -- carriers and sender are the site's -------------------------------------------------------


async def _configured_from(url: str) -> tuple[str, str]:
    from wms.carriers import registry
    from wms.services import site_carriers

    db = Database(url)
    try:
        await site_carriers.configure(db)
        return registry.sender().name, registry.generic().name
    finally:
        await db.dispose()
        registry.configure(registry.SiteCarriers())


def test_the_server_takes_the_sender_and_carriers_the_site_was_loaded_with(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wms.config import ROOT

    monkeypatch.delenv("WMS_CARRIERS", raising=False)
    counts = load(empty_url, ROOT / "tests" / "sites" / "three_blocks")
    assert "carriers" in counts
    assert asyncio.run(_configured_from(empty_url)) == ("Drei Blöcke Versand", "Drei Blöcke Post")


def test_a_bad_carriers_file_is_a_problem_of_the_site_and_loads_nothing(
    empty_url: str, site: Path
) -> None:
    (site / "carriers.json").write_text('{"sender": {"name": "No address"}}')
    with pytest.raises(SiteInvalid) as refused:
        load(empty_url, site)
    assert any(p.file == "carriers.json" for p in refused.value.problems), refused.value
    assert snapshot(empty_url)["product"] == []
