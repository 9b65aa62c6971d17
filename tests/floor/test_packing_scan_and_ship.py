"""Scan-and-ship for single-unit bulk waves: a unit goes to the oldest order waiting for it."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

from printers.identifiers import is_valid_own_tracking, is_valid_sscc
from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    pack,
    packer,
    picked_order,
    printer,
    snapshot,
    wait_job,
)
from tests.support.api import idem, problem

SKU3 = "2800000000035"


def scan_and_ship(client, scan: str, station: str = "PACK-02"):
    return client.post("/api/v1/packing/scan-and-ship", json={"station": station, "scan": scan},
                       headers=idem())  # fmt: skip


async def test_each_scanned_unit_goes_to_the_oldest_waiting_order_and_its_label_prints(
    packer, db, printer
):
    oldest = await picked_order(db, [("SKU-0003", 1)])
    two_units = await picked_order(db, [("SKU-0003", 2)])  # not single-unit: never chosen
    mixed = await picked_order(db, [("SKU-0003", 1), ("SKU-0002", 1)])  # two lines: not chosen
    started = await picked_order(db, [("SKU-0003", 1)])
    newest = await picked_order(db, [("SKU-0003", 1)])
    r = packer.post("/api/v1/packing/start", json={"station": "PACK-01", "scan": str(started)},
                    headers=idem())  # fmt: skip
    assert r.status_code == 200  # someone packs it by hand already: skipped
    printed = len(printer.labels)
    r = scan_and_ship(packer, SKU3)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["order_id"] == oldest and body["reference"]
    parcel = body["parcel"]
    assert is_valid_own_tracking(parcel["tracking"], "DW") and is_valid_sscc(parcel["sscc"])
    assert parcel["carton"] and parcel["weight_g"] > 0
    assert wait_job(packer, parcel["label_job"]["id"], "done")["status"] == "done"
    assert len(printer.wait_for_labels(printed + 1)) == printed + 1
    assert packer.get(f"/api/v1/orders/{oldest}").json()["status"] == "packed"
    assert scan_and_ship(packer, SKU3).json()["order_id"] == newest
    before = await snapshot(db)
    body = problem(scan_and_ship(packer, SKU3), 404, "no_waiting_order")
    assert body["sku"] == "SKU-0003"
    assert await snapshot(db) == before
    for order_id in (two_units, mixed):
        assert packer.get(f"/api/v1/orders/{order_id}").json()["status"] == "picked"
    await no_violations(db)


async def test_scan_and_ship_refuses_a_case_barcode_and_unknown_things(packer, db):
    before = await snapshot(db)
    problem(scan_and_ship(packer, "12400000000102"), 422, "one_unit_only")
    problem(scan_and_ship(packer, "9999999999994"), 404, "unknown_scan")
    problem(scan_and_ship(packer, SKU3, station="PACK-99"), 404, "unknown_station")
    assert await snapshot(db) == before
