"""The demo site's carriers through a real server: no UPS account, so its own carrier ships."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

from printers.identifiers import is_valid_own_tracking, is_valid_ups
from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
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
from tests.support.api import idem

SKU3 = "2800000000035"


async def test_an_order_for_ups_without_a_ups_account_ships_under_the_sites_own_name(
    packer, db, printer
):
    order_id = await picked_order(db, [("SKU-0003", 1)], carrier="ups", service="express")
    printed = len(printer.labels)
    parcel = pack(packer, order_id, [SKU3])["parcel"]
    # fixtures/demo/carriers.json names a UPS account whose credentials are not in the
    # environment: the generic carrier ships it, with its own numbers and name.
    assert parcel["carrier"] == "generic"
    assert is_valid_own_tracking(parcel["tracking"], "DW") and parcel["tracking"][2] == "3"
    assert not is_valid_ups(parcel["tracking"]) and not parcel["tracking"].startswith("1Z")
    label = printer.wait_for_labels(printed + 1)[-1]
    assert b"DEMO WAREHOUSE" in label and b"UPS" not in label and b"WMS POST" not in label
    assert parcel["tracking"].encode() in label
    await no_violations(db)


async def test_the_label_prints_the_state_of_a_us_address_and_the_senders(packer, db, printer):
    order_id = await picked_order(db, [("SKU-0003", 1)], region="IL")
    printed = len(printer.labels)
    pack(packer, order_id, [SKU3])
    label = printer.wait_for_labels(printed + 1)[-1]
    assert b"Springfield IL 62701" in label and b"New York NY 10001" in label
    await no_violations(db)


async def test_a_manifest_for_ups_without_an_account_is_the_generic_carriers(packer, db):
    order_id = await picked_order(db, [("SKU-0003", 1)], carrier="ups")
    parcel = pack(packer, order_id, [SKU3])["parcel"]
    m = packer.post("/api/v1/manifests", json={"carrier": "ups"}, headers=idem()).json()
    assert m["carrier"] == "generic"
    r = packer.post(f"/api/v1/manifests/{m['id']}/scan", json={"scan": parcel["tracking"]},
                    headers=idem())  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["order_status"] == "shipped"
    await no_violations(db)


async def test_the_packing_slip_is_stored_as_a_pdf_with_its_date(packer, db, docs_dir):
    order_id = await picked_order(db, [("SKU-0003", 1)])
    parcel = pack(packer, order_id, [SKU3], station="PACK-02")["parcel"]
    slip = wait_job(packer, parcel["slip_job_id"], "done", "failed")
    assert slip["status"] == "done", slip
    [stored] = list((docs_dir / "PACK-02").iterdir())
    assert stored.suffix == ".pdf" and stored.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(
        ["pdftotext", "-layout", str(stored), "-"], capture_output=True, check=True, text=True
    ).stdout
    # The test order has no channel date: the slip carries the day it came in.
    assert f"Date {datetime.now(UTC).date().isoformat()}" in text
    assert "Springfield IL 62701" in text and parcel["tracking"] in text
    await no_violations(db)
