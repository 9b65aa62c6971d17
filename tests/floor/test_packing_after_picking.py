"""End to end on the floor: picked by the picking API, packed from its tote, handed over."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import asyncio

from printers.identifiers import is_valid_own_tracking, is_valid_sscc
from tests.floor.conftest import pick_all
from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    packer,
    printer,
    wait_job,
)
from tests.support.api import idem
from tests.support.waiting import wait_until


async def test_an_order_picked_into_a_tote_is_packed_from_it_and_shipped(
    picker, packer, new_order, release_wave, violations, fake_channels, db, printer
):
    order = new_order(("SKU-0003", 2), ("SKU-0002", 1))
    release_wave([order["id"]], cart_totes=1)
    batch = picker.post("/api/v1/picking/next", headers=idem()).json()
    batch = pick_all(picker, batch["id"])
    tote = next(s["tote"] for s in batch["slots"] if s["order_id"] == order["id"])
    assert packer.get(f"/api/v1/orders/{order['id']}").json()["status"] == "picked"

    r = packer.post("/api/v1/packing/start", json={"station": "PACK-01", "scan": tote},
                    headers=idem())  # fmt: skip
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["order_id"] == order["id"]
    for line in view["lines"]:
        for _ in range(line["qty"]):
            r = packer.post(f"/api/v1/packing/orders/{order['id']}/verify",
                            json={"scan": line["barcodes"][0]}, headers=idem())  # fmt: skip
            assert r.status_code == 200, r.text
    r = packer.post(f"/api/v1/packing/orders/{order['id']}/parcels",
                    json={"carton": r.json()["suggested_carton"], "weight_g": 1400},
                    headers=idem())  # fmt: skip
    assert r.status_code == 201, r.text
    parcel = r.json()["parcel"]
    assert r.json()["view"]["complete"]
    assert is_valid_own_tracking(parcel["tracking"], "DW") and is_valid_sscc(parcel["sscc"])
    assert wait_job(packer, parcel["label_job"]["id"], "done")["status"] == "done"
    freed = packer.get(f"/api/v1/totes/{tote}").json()
    assert freed["order_id"] is None  # the tote goes back into circulation

    m = packer.post("/api/v1/manifests", json={"carrier": "generic"}, headers=idem()).json()
    r = packer.post(f"/api/v1/manifests/{m['id']}/scan", json={"scan": parcel["tracking"]},
                    headers=idem())  # fmt: skip
    assert r.json()["order_status"] == "shipped", r.text
    pushes = wait_until(
        lambda: [
            p for p in fake_channels.pushes_for("own", "tracking") if p.ref == order["external_id"]
        ],
        "the own shop to be told the tracking number",
    )
    assert pushes[0].body["tracking_number"] == parcel["tracking"]
    assert await asyncio.to_thread(violations) == []  # picking's floor checks too
    await no_violations(db)
