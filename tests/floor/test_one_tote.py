"""One order, one tote: a follow-up pick goes to the order's tote, or packing waits for all."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

from typing import Any

import httpx

from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
    db,
    docs_dir,
    floor,
    packer,
    printer,
)
from tests.support.api import idem, problem

SKU9, SKU12 = "2700000000090", "2600000000123"


def _post(client: httpx.Client, url: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return client.post(url, json=body, headers=idem())


def _confirm(client: httpx.Client, stop: dict[str, Any], tote: str) -> dict[str, Any]:
    body = {
        "location": stop["location"],
        "item": stop["barcodes"][0],
        "qty": stop["qty"] - stop["picked"],
        "tote": tote,
    }
    r = _post(client, f"/api/v1/picking/tasks/{stop['task_id']}/confirm", body)
    assert r.status_code == 200, r.text
    return r.json()


def _backordered_in_a_tote(
    picker: httpx.Client, supervisor: httpx.Client, new_order: Any, release_wave: Any, place: str
) -> tuple[dict[str, Any], str, str]:
    """An order picked but for two units of SKU-0009 (short, nothing elsewhere) and dropped
    in its tote; then stock arrives at `place`. Returns (order, tote, drop location)."""
    r = _post(
        supervisor,
        "/api/v1/stock/count",
        {"location": "A01-07-1", "lines": [{"sku": "SKU-0009", "qty": 3}]},
    )
    assert r.status_code == 201, r.text
    order = new_order(("SKU-0009", 3), ("SKU-0012", 1))
    release_wave([order["id"]])
    batch = _post(picker, "/api/v1/picking/next").json()
    tote = f"T{batch['id']:04d}01"
    r = _post(picker, f"/api/v1/picking/batches/{batch['id']}/totes", {"slot": 1, "tote": tote})
    assert r.status_code == 200, r.text
    view = r.json()
    other = next(s for s in view["stops"] if s["sku"] == "SKU-0012")
    view = _confirm(picker, other, tote)
    short = next(s for s in view["stops"] if s["sku"] == "SKU-0009")
    r = _post(
        picker,
        f"/api/v1/picking/tasks/{short['task_id']}/short",
        {"found": 1, "item": short["barcodes"][0], "tote": tote},
    )
    assert r.status_code == 200, r.text
    r = _post(
        picker, f"/api/v1/picking/batches/{batch['id']}/finish", {"drop": view["drop_location"]}
    )
    assert r.status_code == 200, r.text
    assert supervisor.get(f"/api/v1/orders/{order['id']}").json()["status"] == "backordered"
    r = _post(
        supervisor,
        "/api/v1/stock/receive",
        {"sku": "SKU-0009", "location": place, "qty": 2, "ref": "PO-5"},
    )
    assert r.status_code == 201, r.text
    assert supervisor.get(f"/api/v1/orders/{order['id']}").json()["status"] == "ready"
    return order, tote, view["drop_location"]


def test_a_follow_up_pick_goes_into_the_tote_the_order_is_already_in(
    picker, supervisor, packer, new_order, release_wave, violations
):
    order, tote, drop = _backordered_in_a_tote(
        picker, supervisor, new_order, release_wave, "A01-07-2"
    )
    release_wave([order["id"]])
    batch = _post(picker, "/api/v1/picking/next").json()
    [slot] = batch["slots"]
    assert (slot["order_id"], slot["tote"], slot["fetch_from"]) == (order["id"], tote, drop)
    [stop] = [s for s in batch["stops"] if s["status"] == "open"]
    assert (stop["location"], stop["qty"], stop["tote"]) == ("A01-07-2", 2, tote)
    view = _confirm(picker, stop, tote)
    assert view["slots"][0]["fetch_from"] is None  # it is on the cart now
    r = _post(picker, f"/api/v1/picking/batches/{batch['id']}/finish", {"drop": drop})
    assert r.status_code == 200, r.text
    inside = picker.get(f"/api/v1/totes/{tote}").json()
    assert (inside["order_id"], inside["location"]) == (order["id"], drop)
    assert [(i["sku"], i["qty"]) for i in inside["items"]] == [("SKU-0009", 3), ("SKU-0012", 1)]
    r = _post(packer, "/api/v1/packing/start", {"station": "PACK-01", "scan": tote})
    assert r.status_code == 200, r.text
    pack = r.json()
    assert pack["totes"] == [{"tote": tote, "location": drop, "on_cart": False, "scanned": True}]
    assert pack["totes_missing"] == []
    for scan in [SKU9] * 3 + [SKU12]:
        r = _post(packer, f"/api/v1/packing/orders/{order['id']}/verify", {"scan": scan})
        assert r.status_code == 200, r.text
    r = _post(
        packer,
        f"/api/v1/packing/orders/{order['id']}/parcels",
        {"carton": "BOX-M", "weight_g": 1500},
    )
    assert r.status_code == 201, r.text
    assert r.json()["view"]["complete"] is True
    assert violations() == []


def test_packing_waits_for_every_tote_the_order_is_in(
    picker, supervisor, packer, new_order, release_wave, violations
):
    order, first, drop = _backordered_in_a_tote(
        picker, supervisor, new_order, release_wave, "A01-07-4"
    )
    release_wave([order["id"]])
    batch = _post(picker, "/api/v1/picking/next").json()
    assert batch["slots"][0]["tote"] == first
    # The picker cannot fetch it: another tote on the cart, the first stays the order's.
    second = f"T{batch['id']:04d}09"
    r = _post(picker, f"/api/v1/picking/batches/{batch['id']}/totes", {"slot": 1, "tote": second})
    assert r.status_code == 200, r.text
    [stop] = [s for s in r.json()["stops"] if s["status"] == "open"]
    _confirm(picker, stop, second)
    r = _post(picker, f"/api/v1/picking/batches/{batch['id']}/finish", {"drop": drop})
    assert r.status_code == 200, r.text
    assert picker.get(f"/api/v1/totes/{first}").json()["order_id"] == order["id"]
    r = _post(packer, "/api/v1/packing/start", {"station": "PACK-02", "scan": second})
    assert r.status_code == 200, r.text
    pack = r.json()
    assert [(t["tote"], t["scanned"]) for t in pack["totes"]] == [(first, False), (second, True)]
    assert pack["totes_missing"] == [first]
    for scan in [SKU9] * 3 + [SKU12]:
        r = _post(packer, f"/api/v1/packing/orders/{order['id']}/verify", {"scan": scan})
        assert r.status_code == 200, r.text
    url = f"/api/v1/packing/orders/{order['id']}/parcels"
    body = problem(_post(packer, url, {"carton": "BOX-M", "weight_g": 1500}), 409, "totes_missing")
    assert body["expected"] == [first]
    assert packer.get(f"/api/v1/orders/{order['id']}").json()["status"] == "picked"
    problem(
        _post(packer, f"/api/v1/packing/orders/{order['id']}/verify", {"scan": "T9999001"}),
        422,
        "wrong_tote",
    )
    r = _post(packer, f"/api/v1/packing/orders/{order['id']}/verify", {"scan": first})
    assert r.status_code == 200, r.text
    assert r.json()["totes_missing"] == []
    r = _post(packer, url, {"carton": "BOX-M", "weight_g": 1500})
    assert r.status_code == 201, r.text
    assert r.json()["view"]["complete"] is True
    for tote in (first, second):  # both back in circulation
        assert picker.get(f"/api/v1/totes/{tote}").json()["order_id"] is None
    assert violations() == []
