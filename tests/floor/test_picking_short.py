"""Short picks: the ledger learns the truth, the shortfall is re-allocated or backordered."""

from __future__ import annotations

from tests.floor.conftest import pick_all
from tests.support.api import idem, problem


def _claim(client, new_order, release_wave, *lines):
    order = new_order(*lines)
    release_wave([order["id"]])
    batch = client.post("/api/v1/picking/next", headers=idem()).json()
    assert batch["slots"][0]["order_id"] == order["id"]
    r = client.post(
        f"/api/v1/picking/batches/{batch['id']}/totes",
        json={"slot": 1, "tote": f"T{batch['id']:04d}"},
        headers=idem(),
    )
    assert r.status_code == 200, r.text
    return order, r.json()


def _short(client, stop, found: int):
    body = {"found": found, "item": stop["barcodes"][0] if found else None, "tote": stop["tote"]}
    return client.post(f"/api/v1/picking/tasks/{stop['task_id']}/short", json=body, headers=idem())


def _on_hand(client, sku: str, location: str) -> int:
    rows = client.get("/api/v1/stock/", params={"sku": sku, "location": location}).json()
    return sum(r["on_hand"] for r in rows)


def test_a_short_pick_is_re_allocated_as_a_new_stop_in_the_same_batch(
    picker, supervisor, new_order, release_wave, violations
):
    order, batch = _claim(picker, new_order, release_wave, ("SKU-0010", 5))
    [stop] = batch["stops"]
    assert stop["location"] == "A01-08-1"  # the pick face before the reserve level
    have = _on_hand(supervisor, "SKU-0010", "A01-08-1")
    r = _short(picker, stop, 2)
    assert r.status_code == 200, r.text
    first, again = r.json()["stops"]
    assert (first["status"], first["qty"], first["picked"]) == ("short", 2, 2)
    assert (again["location"], again["qty"], again["slot"]) == ("A01-08-3", 3, 1)
    assert r.json()["next_task_id"] == again["task_id"]
    # Two found and picked: that was all the place held, so the count writes off the rest.
    assert _on_hand(supervisor, "SKU-0010", "A01-08-1") == 0
    moves = supervisor.get("/api/v1/stock/moves", params={"sku": "SKU-0010", "limit": 2}).json()
    reasons = sorted((m["reason"], m["qty"]) for m in moves)
    assert reasons == [("pick", 2), ("short_count", have - 2)]
    line = supervisor.get(f"/api/v1/orders/{order['id']}").json()["lines"][0]
    assert (line["allocated"], line["picked"], line["reserved"]) == (5, 2, 3)
    assert violations() == []
    r = picker.post(
        f"/api/v1/picking/tasks/{again['task_id']}/confirm",
        json={
            "location": "A01-08-3",
            "item": again["barcodes"][0],
            "qty": 3,
            "tote": again["tote"],
        },
        headers=idem(),
    )
    assert r.status_code == 200, r.text
    assert supervisor.get(f"/api/v1/orders/{order['id']}").json()["status"] == "picked"
    pick_all(picker, batch["id"])
    assert violations() == []


def test_a_short_pick_with_no_stock_elsewhere_is_backordered_and_raised(
    picker, supervisor, new_order, release_wave, violations
):
    order, batch = _claim(picker, new_order, release_wave, ("SKU-0003", 3), ("SKU-0002", 1))
    stop = next(s for s in batch["stops"] if s["sku"] == "SKU-0003")
    r = _short(picker, stop, 1)
    assert r.status_code == 200, r.text
    skus = [s["sku"] for s in r.json()["stops"]]
    assert skus.count("SKU-0003") == 1  # nowhere else to send the picker
    got = supervisor.get(f"/api/v1/orders/{order['id']}").json()
    line = next(x for x in got["lines"] if x["sku"] == "SKU-0003")
    assert (line["allocated"], line["picked"], line["reserved"], line["backordered"]) == (
        1,
        1,
        0,
        2,
    )
    [exc] = [e for e in supervisor.get("/api/v1/exceptions").json() if e["order_id"] == order["id"]]
    assert (exc["kind"], exc["sku"], exc["qty"], exc["location"]) == (
        "short_pick",
        "SKU-0003",
        2,
        "A01-03-1",
    )
    assert violations() == []
    other = next(s for s in r.json()["stops"] if s["sku"] == "SKU-0002")
    r = picker.post(
        f"/api/v1/picking/tasks/{other['task_id']}/confirm",
        json={
            "location": other["location"],
            "item": other["barcodes"][0],
            "qty": 1,
            "tote": other["tote"],
        },
        headers=idem(),
    )
    assert r.status_code == 200, r.text
    r = picker.post(
        f"/api/v1/picking/batches/{batch['id']}/finish",
        json={"drop": batch["drop_location"]},
        headers=idem(),
    )
    assert r.status_code == 200, r.text
    # The order waits for the missing units; what was picked stays in its tote.
    assert supervisor.get(f"/api/v1/orders/{order['id']}").json()["status"] == "backordered"
    assert violations() == []


def test_a_short_must_be_less_than_what_is_left(picker, new_order, release_wave):
    _, batch = _claim(picker, new_order, release_wave, ("SKU-0013", 2))
    problem(_short(picker, batch["stops"][0], 2), 422, "too_many")
    pick_all(picker, batch["id"])
