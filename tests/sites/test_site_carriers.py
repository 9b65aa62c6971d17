"""A site's carrier keys come from its secrets file (outside the repository) or the
environment (which wins), never from the database or an answer; a running server takes a
reloaded site's carriers for the next label, without a restart.

The UPS account books through karrio against recorded answers; `wms load` runs as its own
process against the running server's database (SQLite and PostgreSQL).
"""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx
import pytest

pytest.importorskip("karrio.mappers.ups", reason="needs the karrio extra and karrio-ups")

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from tests.floor.shipping_fixtures import (  # noqa: E402, F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    pack,
    packer,
    picked_order,
    printer,
)
from tests.floor.test_shipping_karrio import SHIP_ANSWER, TRACKING, recorded  # noqa: E402
from tests.support import api  # noqa: E402
from tests.support.waiting import wait_until  # noqa: E402
from wms.carriers import secrets_file  # noqa: E402
from wms.config import ROOT  # noqa: E402
from wms.db import Database, reads  # noqa: E402
from wms.loopback import ThreadServer  # noqa: E402
from wms.models.site import SiteDocument  # noqa: E402
from wms.services.site_files import read_site  # noqa: E402

DEMO = ROOT / "fixtures" / "demo"
SKU3 = "2800000000035"  # SKU-0003's barcode
UPS_VARS = ("WMS_UPS_CLIENT_ID", "WMS_UPS_CLIENT_SECRET", "WMS_UPS_ACCOUNT_NUMBER")
CLIENT_SECRET = "ups-client-secret-never-in-the-database-4471"


@pytest.fixture(scope="module", autouse=True)
def no_ups_in_the_environment() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as env:
        for name in (*UPS_VARS, "WMS_CARRIERS"):
            env.delenv(name, raising=False)
        yield


@pytest.fixture(scope="module")
def admin(server: ThreadServer) -> Iterator[httpx.Client]:
    with api.client(server.url, api.login(server.url, "admin")) as c:
        yield c


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's layout and catalogue with carriers of its own; its secrets beside it."""
    folder = tmp_path_factory.mktemp("merchant") / "site"
    folder.mkdir()
    for name in ("layout.json", "products.csv", "barcodes.csv"):
        shutil.copy(DEMO / name, folder / name)
    (folder.parent / "secrets").mkdir()
    return folder


def _write(site: Path, account: str) -> None:
    carriers = json.loads((DEMO / "carriers.json").read_text())
    carriers["secrets_file"] = "../secrets/carriers.env"
    (site / "carriers.json").write_text(json.dumps(carriers))
    (site.parent / "secrets" / "carriers.env").write_text(
        "# UPS developer app and account\n"
        "WMS_UPS_CLIENT_ID=cid\n"
        f'WMS_UPS_CLIENT_SECRET="{CLIENT_SECRET}"\n'
        f"WMS_UPS_ACCOUNT_NUMBER={account}\n"
    )


def _load(url: str, site: Path) -> None:
    """`wms load DIR`, a process of its own, as the merchant runs it."""
    env = {**os.environ, "WMS_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "wms.cli", "load", str(site)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def _ups(admin: httpx.Client) -> dict[str, Any] | None:
    running = admin.get("/api/v1/admin/carriers/").json()
    return next((a for a in running["accounts"] if a["code"] == "ups"), None)


def _answer() -> dict[str, Any]:
    """The recorded UPS answer, with a tracking number of its own (one per parcel)."""
    tracking = f"1Z5R8939{uuid.uuid4().int % 10**10:010d}"
    text = json.dumps(SHIP_ANSWER).replace(TRACKING, tracking)
    return json.loads(text)  # type: ignore[no-any-return]


def _label(packer: httpx.Client, order_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []
    with patch("karrio.mappers.ups.proxy.lib.request", side_effect=recorded(_answer(), calls)):
        parcel = pack(packer, order_id, [SKU3])["parcel"]
    return parcel, calls


def _shipper_number(calls: list[dict[str, Any]]) -> str:
    ship = next(c for c in calls if "/api/shipments/" in c["url"])
    return json.loads(ship["data"])["ShipmentRequest"]["Shipment"]["Shipper"]["ShipperNumber"]


@reads
def _stored(s: Session) -> str:
    body = s.execute(select(SiteDocument.body).where(SiteDocument.name == "carriers")).scalar()
    return json.dumps(body)


async def test_a_reloaded_sites_carrier_account_takes_the_next_label_without_a_restart(
    packer: httpx.Client,
    admin: httpx.Client,
    db: Database,
    site: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The demo's UPS account has no credentials: UPS orders ship with the site's own carrier.
    assert _ups(admin) == {"code": "ups", "name": "ups", "connector": "", "configured": False,
                           "why_not": "WMS_UPS_ACCOUNT_NUMBER, WMS_UPS_CLIENT_ID, "
                                      "WMS_UPS_CLIENT_SECRET unset", "aliases": []}  # fmt: skip
    order = await picked_order(db, [("SKU-0003", 1)], carrier="UPS Ground")
    assert pack(packer, order, [SKU3])["parcel"]["carrier"] == "generic"

    # Reloaded with a secrets file: the next label books through the UPS account.
    _write(site, "5R8939")
    _load(database_url, site)
    wait_until(lambda: (_ups(admin) or {}).get("configured"), "the server to take the account")
    running = admin.get("/api/v1/admin/carriers/")
    assert running.json()["secrets_file"] == str(site.parent / "secrets" / "carriers.env")
    assert CLIENT_SECRET not in running.text and "5R8939" not in running.text
    parcel, calls = _label(packer, await picked_order(db, [("SKU-0003", 1)], carrier="UPS Ground"))
    assert parcel["carrier"] == "ups" and _shipper_number(calls) == "5R8939"
    assert CLIENT_SECRET not in await db.run(_stored)  # the file's path is stored, never a key

    # The account changed in the secrets file and the site reloaded: the next label has it.
    before = admin.get("/api/v1/admin/carriers/").json()["loaded_from"]
    _write(site, "7Y2211")
    _load(database_url, site)
    wait_until(
        lambda: admin.get("/api/v1/admin/carriers/").json()["loaded_from"] != before,
        "the server to take the reloaded site",
    )
    parcel, calls = _label(packer, await picked_order(db, [("SKU-0003", 1)], carrier="UPS Ground"))
    assert parcel["carrier"] == "ups" and _shipper_number(calls) == "7Y2211"

    # A variable in the environment wins over the file.
    monkeypatch.setenv("WMS_UPS_ACCOUNT_NUMBER", "ENV0001")
    before = admin.get("/api/v1/admin/carriers/").json()["loaded_from"]
    _load(database_url, site)
    wait_until(
        lambda: admin.get("/api/v1/admin/carriers/").json()["loaded_from"] != before,
        "the server to take the reloaded site",
    )
    parcel, calls = _label(packer, await picked_order(db, [("SKU-0003", 1)], carrier="UPS Ground"))
    assert _shipper_number(calls) == "ENV0001"
    await no_violations(db)


def _problems(folder: Path) -> list[str]:
    return [str(p) for p in read_site(folder)[1]]


def test_site_check_names_a_missing_secrets_file_and_each_missing_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in UPS_VARS:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "site"
    folder.mkdir()
    for name in ("layout.json", "products.csv"):
        shutil.copy(DEMO / name, folder / name)
    carriers = json.loads((DEMO / "carriers.json").read_text())
    carriers["secrets_file"] = "../keys/carriers.env"
    (folder / "carriers.json").write_text(json.dumps(carriers, indent=1))
    secrets = tmp_path / "keys" / "carriers.env"
    line = next(
        n for n, text in enumerate((folder / "carriers.json").read_text().splitlines(), 1)
        if '"secrets_file"' in text
    )  # fmt: skip
    [missing] = _problems(folder)
    assert missing.startswith(f"carriers.json:{line}:")
    assert f"{secrets} does not exist" in missing

    secrets.parent.mkdir()
    secrets.write_text("WMS_UPS_CLIENT_ID=cid\n")
    found = _problems(folder)
    assert f"{secrets}:0:0: WMS_UPS_CLIENT_SECRET is missing (carriers[0] ups client_secret)" in (
        found[0]
    )
    assert len(found) == 2 and "WMS_UPS_ACCOUNT_NUMBER is missing" in found[1]
    # What the environment sets is not missing: it wins over the file.
    for name in ("WMS_UPS_CLIENT_SECRET", "WMS_UPS_ACCOUNT_NUMBER"):
        monkeypatch.setenv(name, "set")
    assert _problems(folder) == []

    secrets.write_text("WMS_UPS_CLIENT_ID cid\n")
    [bad] = _problems(folder)
    assert "line 1: expected NAME=value" in bad and "cid" not in bad.split("expected")[1]


def test_a_secrets_file_inside_a_repository_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    folder = repo / "site"
    folder.mkdir()
    for name in ("layout.json", "products.csv"):
        shutil.copy(DEMO / name, folder / name)
    (folder / "carriers.json").write_text(json.dumps({"secrets_file": "carriers.env"}))
    (folder / "carriers.env").write_text("")
    [refused] = _problems(folder)
    assert "inside the repository" in refused and str(repo) in refused


def test_the_environment_wins_over_the_secrets_file(tmp_path: Path) -> None:
    path = tmp_path / "s.env"
    path.write_text("# keys\nexport A=from-file\nB='quoted value'\n\nC=file\n")
    raw = {"secrets_file": str(path)}
    assert secrets_file.environment(raw, {"C": "env"}) == {
        "A": "from-file", "B": "quoted value", "C": "env",
    }  # fmt: skip
    relative = secrets_file.environment({"secrets_file": "s.env"}, {}, tmp_path)
    assert relative["A"] == "from-file"
    with pytest.raises(secrets_file.SecretsFileError, match="does not exist"):
        secrets_file.environment({"secrets_file": "nope.env"}, {}, tmp_path)
