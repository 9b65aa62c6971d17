"""Packing at a station through the real server: start, verify, parcels, labels, reprints."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import httpx
from sqlalchemy.orm import Session

from printers.identifiers import is_valid_own_tracking, is_valid_sscc
from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    packer,
    picked_order,
    printer,
    snapshot,
    wait_job,
)
from tests.support.api import idem, problem
from wms.models import OrderLine


def start(packer: httpx.Client, scan: str, station: str = "PACK-01") -> httpx.Response:
    return packer.post("/api/v1/packing/start", json={"station": station, "scan": scan},
                       headers=idem())  # fmt: skip


def verify(packer: httpx.Client, order_id: int, scan: str) -> httpx.Response:
    return packer.post(f"/api/v1/packing/orders/{order_id}/verify", json={"scan": scan},
                       headers=idem())  # fmt: skip


def close(packer: httpx.Client, order_id: int, carton: str, weight: int | None) -> httpx.Response:
    return packer.post(f"/api/v1/packing/orders/{order_id}/parcels",
                       json={"carton": carton, "weight_g": weight}, headers=idem())  # fmt: skip


def barcode(view: dict, sku: str) -> str:
    return next(line["barcodes"][0] for line in view["lines"] if line["sku"] == sku)


async def test_a_picked_order_is_packed_and_its_label_and_slip_print(packer, db, printer, docs_dir):
    order_id = await picked_order(db, [("SKU-0002", 2), ("SKU-0003", 1)])
    r = start(packer, str(order_id))
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["status"] == "packing" and view["station"] == "PACK-01"
    assert view["suggested_carton"] in view["cartons"] and not view["complete"]
    for sku in ("SKU-0002", "SKU-0002", "SKU-0003"):
        view = verify(packer, order_id, barcode(view, sku)).json()
    assert [line["verified"] for line in view["lines"]] == [2, 1]
    printed = len(printer.labels)
    r = close(packer, order_id, view["suggested_carton"], 1900)
    assert r.status_code == 201, r.text
    parcel, view = r.json()["parcel"], r.json()["view"]
    assert is_valid_own_tracking(parcel["tracking"], "DW") and is_valid_sscc(parcel["sscc"])
    assert parcel["weight_g"] == 1900 and parcel["number"] == 1
    assert view["complete"] and view["status"] == "done"
    labels = printer.wait_for_labels(printed + 1)
    assert labels[-1].startswith(b"^XA") and parcel["sscc"].encode() in labels[-1]
    job = wait_job(packer, parcel["label_job"]["id"], "done", "failed")
    assert job["status"] == "done" and job["printer"] == printer.url
    order = packer.get(f"/api/v1/orders/{order_id}").json()
    assert order["status"] == "packed"
    # The slip is drawn by the print dispatcher, after the parcel is closed.
    slip = wait_job(packer, parcel["slip_job_id"], "done", "failed")
    assert slip["status"] == "done" and slip["kind"] == "document", slip
    slips = list((docs_dir / "PACK-01").glob("*"))
    assert any(p.read_bytes().startswith(b"%PDF") for p in slips)
    await no_violations(db)


async def test_an_order_is_found_by_its_reference_and_ships_in_several_parcels(packer, db):
    order_id = await picked_order(db, [("SKU-0002", 2)])
    view = packer.get(f"/api/v1/orders/{order_id}").json()
    view = start(packer, view["reference"]).json()
    view = verify(packer, order_id, barcode(view, "SKU-0002")).json()
    first = close(packer, order_id, "BOX-S", 1000).json()
    assert not first["view"]["complete"] and first["view"]["status"] == "packing"
    view = verify(packer, order_id, barcode(view, "SKU-0002")).json()
    second = close(packer, order_id, "BOX-S", 1000).json()
    assert second["parcel"]["number"] == 2 and second["view"]["complete"]
    assert first["parcel"]["tracking"] != second["parcel"]["tracking"]
    assert [p["number"] for p in second["view"]["parcels"]] == [1, 2]
    await no_violations(db)


async def test_an_item_not_in_the_order_is_refused_and_changes_nothing(packer, db):
    order_id = await picked_order(db, [("SKU-0002", 1)])
    start(packer, str(order_id))
    before = await snapshot(db)
    body = problem(verify(packer, order_id, "2800000000035"), 422, "not_in_order")
    assert body["sku"] == "SKU-0003" and body["expected"] == ["SKU-0002"]
    assert await snapshot(db) == before


async def test_one_item_too_many_is_refused_with_its_own_code(packer, db):
    order_id = await picked_order(db, [("SKU-0002", 1)])
    view = start(packer, str(order_id)).json()
    assert verify(packer, order_id, barcode(view, "SKU-0002")).status_code == 200
    before = await snapshot(db)
    problem(verify(packer, order_id, barcode(view, "SKU-0002")), 422, "too_many")
    assert await snapshot(db) == before


def _set_picked(s: Session, line_id: int, picked: int) -> None:
    s.execute(OrderLine.__table__.update().where(OrderLine.id == line_id)
              .values(picked=picked))  # fmt: skip


def _unpick_a_line(s: Session, order_id: int) -> int:
    """Sets one line of the order back to not picked; its id."""
    line = s.execute(OrderLine.__table__.select().where(
        OrderLine.order_id == order_id)).first()  # fmt: skip
    assert line is not None
    _set_picked(s, line.id, 0)
    return line.id


async def test_an_order_not_yet_picked_cannot_be_started(packer, db):
    order_id = await picked_order(db, [("SKU-0002", 1)])
    line_id = await db.run(_unpick_a_line, order_id)
    before = await snapshot(db)
    problem(start(packer, str(order_id)), 409, "not_picked")
    assert await snapshot(db) == before
    await db.run(_set_picked, line_id, 1)  # back as it was, so `wms check` holds for the module


async def test_a_packed_order_cannot_be_started_again(packer, db):
    order_id = await picked_order(db, [("SKU-0003", 1)])
    view = start(packer, str(order_id)).json()
    verify(packer, order_id, barcode(view, "SKU-0003"))
    assert close(packer, order_id, "BOX-S", 500).status_code == 201
    problem(start(packer, str(order_id)), 409, "already_packed")
    problem(verify(packer, order_id, barcode(view, "SKU-0003")), 409, "already_packed")


async def test_unknown_stations_scans_and_cartons_are_refused(packer, db):
    order_id = await picked_order(db, [("SKU-0003", 1)])
    problem(start(packer, str(order_id), station="PACK-99"), 404, "unknown_station")
    problem(start(packer, "no-such-order"), 404, "unknown_scan")
    view = start(packer, str(order_id)).json()
    problem(verify(packer, order_id, "4006381333932"), 422, "bad_check_digit")
    problem(verify(packer, order_id, "9999999999994"), 404, "unknown_scan")
    verify(packer, order_id, barcode(view, "SKU-0003"))
    before = await snapshot(db)
    problem(close(packer, order_id, "BOX-NONE", 500), 404, "unknown_carton")
    problem(close(packer, order_id, "MAILER-S", 5000), 422, "too_heavy")
    problem(close(packer, order_id, "BOX-S", None), 422, "no_scale")
    r = close(packer, order_id, "BOX-S", 0)
    assert r.status_code == 400 and r.json()["code"] == "invalid_request"
    assert await snapshot(db) == before


async def test_a_parcel_cannot_be_closed_before_an_item_is_verified(packer, db):
    order_id = await picked_order(db, [("SKU-0003", 1)])
    start(packer, str(order_id))
    before = await snapshot(db)
    problem(close(packer, order_id, "BOX-S", 500), 409, "nothing_verified")
    assert await snapshot(db) == before
    other = await picked_order(db, [("SKU-0003", 1)])
    problem(close(packer, other, "BOX-S", 500), 409, "not_packing")


async def test_a_replayed_parcel_close_returns_the_same_parcel_and_changes_nothing(packer, db):
    order_id = await picked_order(db, [("SKU-0002", 1)])
    view = start(packer, str(order_id)).json()
    verify(packer, order_id, barcode(view, "SKU-0002"))
    key = idem()
    body = {"carton": "BOX-S", "weight_g": 990}
    url = f"/api/v1/packing/orders/{order_id}/parcels"
    first = packer.post(url, json=body, headers=key)
    before = await snapshot(db)
    again = packer.post(url, json=body, headers=key)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["parcel"]["id"] == first.json()["parcel"]["id"]
    assert await snapshot(db) == before
    problem(packer.post(url, json=body), 400, "idempotency_key_required")


async def test_a_reprint_queues_the_same_label_once_more(packer, db, printer):
    order_id = await picked_order(db, [("SKU-0003", 1)])
    view = start(packer, str(order_id)).json()
    verify(packer, order_id, barcode(view, "SKU-0003"))
    parcel = close(packer, order_id, "BOX-S", 600).json()["parcel"]
    printer.wait_for_labels(len(printer.labels))
    first_job = parcel["label_job"]["id"]
    assert wait_job(packer, first_job, "done")["status"] == "done"
    count = len(printer.labels)
    r = packer.post(f"/api/v1/packing/parcels/{parcel['id']}/reprint", headers=idem())
    assert r.status_code == 201, r.text
    job = r.json()["job"]
    assert job["reprint_of"] == first_job and job["id"] != first_job
    labels = printer.wait_for_labels(count + 1)
    assert labels[-1] == labels[count - 1] or parcel["sscc"].encode() in labels[-1]
    problem(packer.post("/api/v1/packing/parcels/999999/reprint", headers=idem()),
            404, "unknown_parcel")  # fmt: skip


async def test_a_picker_may_not_pack(floor, picker, db):
    order_id = await picked_order(db, [("SKU-0003", 1)])
    r = picker.post("/api/v1/packing/start", json={"station": "PACK-01", "scan": str(order_id)},
                    headers=idem())  # fmt: skip
    problem(r, 403, "forbidden")
