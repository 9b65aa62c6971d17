"""A barcode carries its quantity: a case of 6 counts 6 units wherever it is scanned."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

from typing import Any

import httpx

from tests.floor.conftest import pick_all
from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    packer,
    picked_order,
    printer,
    snapshot,
)
from tests.floor.test_returns import grade, shipped
from tests.support.api import idem, problem

UNIT, CASE = "2400000000105", "12400000000102"  # SKU-0010: an EAN-13 and its ITF-14 case of 6


def _post(client: httpx.Client, url: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(url, json=body, headers=idem())


def _on_hand(client: httpx.Client, location: str) -> int:
    rows = client.get("/api/v1/stock/", params={"sku": "SKU-0010", "location": location}).json()
    return sum(r["on_hand"] for r in rows)


def _moves(client: httpx.Client, n: int) -> list[tuple[str, int]]:
    got = client.get("/api/v1/stock/moves", params={"sku": "SKU-0010", "limit": n}).json()
    return [(m["reason"], m["qty"]) for m in got]


def _claim(client: httpx.Client, new_order: Any, release_wave: Any, qty: int) -> dict[str, Any]:
    order = new_order(("SKU-0010", qty))
    release_wave([order["id"]])
    batch = _post(client, "/api/v1/picking/next", {}).json()
    r = _post(
        client,
        f"/api/v1/picking/batches/{batch['id']}/totes",
        {"slot": 1, "tote": f"T7{batch['id']:06d}"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def _confirm(client: httpx.Client, stop: dict[str, Any], item: str, qty: int | None = None):
    body = {"location": stop["location"], "item": item, "tote": stop["tote"]}
    if qty is not None:
        body["qty"] = qty
    return _post(client, f"/api/v1/picking/tasks/{stop['task_id']}/confirm", body)


def test_the_scan_resolver_says_how_many_units_a_barcode_stands_for(picker):
    case = picker.get("/api/v1/scan", params={"code": CASE}).json()
    unit = picker.get("/api/v1/scan", params={"code": UNIT}).json()
    assert (case["kind"], case["sku"], case["pack_qty"]) == ("product", "SKU-0010", 6)
    assert (unit["sku"], unit["pack_qty"]) == ("SKU-0010", 1)


def test_a_case_on_a_stop_for_one_unit_is_refused_and_changes_nothing(
    picker, supervisor, new_order, release_wave, violations
):
    batch = _claim(picker, new_order, release_wave, 1)
    [stop] = batch["stops"]
    have, moves = _on_hand(supervisor, stop["location"]), _moves(supervisor, 5)
    body = problem(_confirm(picker, stop, CASE), 422, "pack_exceeds_qty")
    assert (body["expected"], body["pack_qty"], body["title"]) == (1, 6, "Pack too big")
    problem(_confirm(picker, stop, CASE, 1), 422, "not_whole_packs")
    assert (_on_hand(supervisor, stop["location"]), _moves(supervisor, 5)) == (have, moves)
    view = picker.get(f"/api/v1/picking/batches/{batch['id']}").json()
    assert view["stops"][0]["picked"] == 0
    r = _confirm(picker, stop, UNIT)  # no qty: one scan of a unit is one unit
    assert r.status_code == 200, r.text
    assert _moves(supervisor, 1) == [("pick", 1)]
    pick_all(picker, batch["id"])
    assert violations() == []


def test_a_case_scanned_at_a_stop_picks_its_six_units(
    picker, supervisor, new_order, release_wave, violations
):
    batch = _claim(picker, new_order, release_wave, 8)
    [stop] = batch["stops"]
    have = _on_hand(supervisor, stop["location"])
    r = _confirm(picker, stop, CASE)
    assert r.status_code == 200, r.text
    assert r.json()["stops"][0]["picked"] == 6
    assert _moves(supervisor, 1) == [("pick", 6)]
    body = problem(_confirm(picker, stop, CASE), 422, "pack_exceeds_qty")
    assert body["expected"] == 2
    r = _confirm(picker, stop, UNIT, 2)
    assert r.status_code == 200, r.text
    assert _on_hand(supervisor, stop["location"]) == have - 8
    pick_all(picker, batch["id"])
    assert violations() == []


def test_receiving_and_counting_by_barcode_count_whole_cases(supervisor, violations):
    url = "/api/v1/stock/receive"
    r = _post(supervisor, url, {"scan": CASE, "location": "A01-08-2", "ref": "PO-6"})
    assert (r.status_code, r.json()["qty"]) == (201, 6), r.text
    r = _post(supervisor, url, {"scan": CASE, "location": "A01-08-2", "qty": 12})
    assert (r.status_code, r.json()["qty"]) == (201, 12), r.text
    assert _on_hand(supervisor, "A01-08-2") == 18
    assert _moves(supervisor, 2) == [("receive", 12), ("receive", 6)]
    problem(_post(supervisor, url, {"scan": CASE, "location": "A01-08-2", "qty": 7}), 422,
            "not_whole_packs")  # fmt: skip
    problem(_post(supervisor, url, {"scan": CASE, "sku": "SKU-0010", "location": "A01-08-2"}),
            422, "sku_or_scan")  # fmt: skip
    assert _on_hand(supervisor, "A01-08-2") == 18
    # Two cases and three loose units are one count of 15.
    lines = [{"scan": CASE, "qty": 12}, {"scan": UNIT, "qty": 3}]
    r = _post(supervisor, "/api/v1/stock/count", {"location": "A01-08-2", "lines": lines})
    assert r.status_code == 201, r.text
    assert r.json()["differences"] == [
        {"sku": "SKU-0010", "lot": "", "expected": 18, "counted": 15}
    ]
    assert _on_hand(supervisor, "A01-08-2") == 15
    assert _moves(supervisor, 1) == [("count", 3)]
    assert violations() == []


async def test_packing_verifies_a_case_as_six_units_and_refuses_one_too_big(packer, db):
    order_id = await picked_order(db, [("SKU-0010", 7)])
    r = _post(packer, "/api/v1/packing/start", {"station": "PACK-01", "scan": str(order_id)})
    assert r.status_code == 200, r.text
    url = f"/api/v1/packing/orders/{order_id}/verify"
    r = _post(packer, url, {"scan": CASE})
    assert r.status_code == 200 and r.json()["lines"][0]["verified"] == 6, r.text
    before = await snapshot(db)
    body = problem(_post(packer, url, {"scan": CASE}), 422, "pack_exceeds_qty")
    assert body["expected"] == 1
    assert await snapshot(db) == before
    r = _post(packer, url, {"scan": UNIT})
    assert r.status_code == 200 and r.json()["lines"][0]["verified"] == 7, r.text
    r = _post(packer, f"/api/v1/packing/orders/{order_id}/parcels",
              {"carton": "BOX-M", "weight_g": 1800})  # fmt: skip
    assert r.status_code == 201 and r.json()["view"]["complete"], r.text
    await no_violations(db)


async def test_a_returned_case_counts_six_and_one_too_big_is_refused(packer, supervisor, db):
    _, parcel = await shipped(db, packer, [("SKU-0010", 8)], [CASE, UNIT, UNIT])
    r = _post(packer, "/api/v1/returns/receive", {"scan": parcel["tracking"]})
    assert r.status_code == 200, r.text
    ret = r.json()
    r = grade(packer, ret["id"], CASE, "restock", location="A01-08-1")
    assert r.status_code == 200 and r.json()["lines"][0]["restocked"] == 6, r.text
    assert _moves(supervisor, 2) == [("restock", 6), ("return", 6)]
    body = problem(grade(packer, ret["id"], CASE, "restock"), 422, "pack_exceeds_qty")
    assert body["expected"] == 2
    r = grade(packer, ret["id"], UNIT, "scrap", qty=2)
    assert r.status_code == 200 and r.json()["status"] == "done", r.text
    await no_violations(db)
