"""A site's own carriers file (WMS_CARRIERS): its UPS account books through karrio against
recorded answers, an account without credentials ships with the site's own carrier."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import patch

import pytest

pytest.importorskip("karrio.mappers.ups", reason="needs the karrio extra and karrio-ups")

from printers.identifiers import is_valid_own_tracking  # noqa: E402
from tests.fakes.channel_apis import FakeChannelApis  # noqa: E402
from tests.floor.shipping_fixtures import (  # noqa: E402, F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    pack,
    packer,
    picked_order,
    printer,
    wait_job,
)
from tests.floor.test_shipping import hand_over, manifest, tracking_pushes  # noqa: E402
from tests.floor.test_shipping_karrio import SHIP_ANSWER, TRACKING, UPS_LABEL, recorded  # noqa: E402
from tests.support.databases import point_channels_at  # noqa: E402
from wms.carriers import registry  # noqa: E402
from wms.config import ROOT  # noqa: E402
from wms.domain.orders import ChannelKind  # noqa: E402
from wms.loopback import ThreadServer  # noqa: E402

SKU3 = "2800000000035"
SITE = {
    "sender": {"name": "Lakeside Goods", "lines": ["9 Pier St"], "postal_code": "M5V 2T6",
               "city": "Toronto", "region": "ON", "country": "CA"},
    "generic": {"prefix": "LG"},
    "carriers": [
        {"code": "ups", "karrio": "ups", "aliases": ["UPS Ground"], "service": "ups_ground",
         "services": {"express": "ups_next_day_air"},
         "credentials_env": {"client_id": "T_UPS_ID", "client_secret": "T_UPS_SECRET",
                             "account_number": "T_UPS_ACCOUNT"}},
        {"code": "dhl", "karrio": "dhl_express",
         "credentials_env": {"site_id": "T_DHL_SITE", "password": "T_DHL_PASSWORD"}},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def server(
    database_url: str, fake_channels: FakeChannelApis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ThreadServer]:
    """The server started on this site's carriers file, UPS credentials in its environment."""
    path = tmp_path_factory.mktemp("site") / "carriers.json"
    path.write_text(json.dumps(SITE))
    point_channels_at(database_url, {k.value: fake_channels.base_url(k) for k in ChannelKind})
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WMS_CARRIERS", str(path))
        for name, value in {
            "T_UPS_ID": "cid",
            "T_UPS_SECRET": "cs",
            "T_UPS_ACCOUNT": "5R8939",
        }.items():
            env.setenv(name, value)
        env.delenv("T_DHL_SITE", raising=False)
        with ThreadServer(database_url) as srv:
            yield srv
    # The next module's server configures its own; until then, the demo's again.
    registry.configure(registry.load(registry.config_path(ROOT / "fixtures" / "demo")))


async def test_an_order_for_the_sites_ups_account_books_through_karrio(
    packer, db, printer, fake_channels
):
    order_id = await picked_order(db, [("SKU-0003", 1)], carrier="UPS Ground", service="Express")
    printed, calls = len(printer.labels), []
    with patch("karrio.mappers.ups.proxy.lib.request", side_effect=recorded(SHIP_ANSWER, calls)):
        parcel = pack(packer, order_id, [SKU3])["parcel"]
    assert parcel["tracking"] == TRACKING and parcel["carrier"] == "ups"
    assert printer.wait_for_labels(printed + 1)[-1] == UPS_LABEL
    ship = next(c for c in calls if "/api/shipments/" in c["url"])
    sent = json.loads(ship["data"])["ShipmentRequest"]["Shipment"]
    assert sent["Service"]["Code"] == "01"  # ups_next_day_air: the site maps "express" to it
    assert sent["Shipper"]["Address"]["StateProvinceCode"] == "ON"
    assert sent["ShipTo"]["Address"]["StateProvinceCode"] == "IL"
    # Handed over on the UPS manifest: the channel gets the link from the carrier's answer.
    m = manifest(packer, "ups")
    assert m["carrier"] == "ups"
    assert hand_over(packer, m["id"], parcel["tracking"]).status_code == 200
    external = packer.get(f"/api/v1/orders/{order_id}").json()["external_id"]
    [push] = tracking_pushes(fake_channels, "own", external)
    assert push.body["tracking_number"] == TRACKING and TRACKING in push.body["tracking_url"]
    await no_violations(db)


async def test_an_account_without_credentials_ships_with_the_sites_own_carrier(packer, db, printer):
    order_id = await picked_order(db, [("SKU-0003", 1)], carrier="dhl")
    printed = len(printer.labels)
    parcel = pack(packer, order_id, [SKU3])["parcel"]
    assert parcel["carrier"] == "generic" and is_valid_own_tracking(parcel["tracking"], "LG")
    label = printer.wait_for_labels(printed + 1)[-1]
    assert b"LAKESIDE GOODS" in label and b"DHL" not in label
    assert b"Toronto ON M5V 2T6" in label  # the site's sender, its province printed
    await no_violations(db)


def test_the_site_file_is_found_by_wms_carriers_or_in_the_site_folder(tmp_path: Path):
    assert registry.config_path(tmp_path, {}) is None
    (tmp_path / "carriers.json").write_text("{}")
    assert registry.config_path(tmp_path, {}) == tmp_path / "carriers.json"
    assert registry.config_path(tmp_path, {"WMS_CARRIERS": "/x.json"}) == Path("/x.json")
    with pytest.raises(registry.CarrierConfigError, match="carriers.json"):
        (tmp_path / "carriers.json").write_text("{not json")
        registry.load(tmp_path / "carriers.json")
