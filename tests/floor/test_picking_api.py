"""Picking a batch through the API: happy path, every wrong scan, replays, pause, handover.

Each test claims the batch it released at once and ends with its pickers free again
(`pick_all`), so the tests share two logins and may run in any order.
"""

from __future__ import annotations

from typing import Any

from tests.floor.conftest import pick_all
from tests.support.api import idem, problem

GS = "\x1d"


def _claim(client, new_order, release_wave, *orders: list[tuple[str, int]]) -> dict[str, Any]:
    """Orders in one wave, one batch, claimed by `client` at once (no leftovers for others)."""
    ids = [new_order(*lines)["id"] for lines in orders]
    release_wave(ids, cart_totes=len(ids))
    r = client.post("/api/v1/picking/next", headers=idem())
    assert r.status_code == 200, r.text
    batch = r.json()
    assert sorted(s["order_id"] for s in batch["slots"]) == ids, "claimed another test's batch"
    return batch


def _bind(client, batch: dict[str, Any], tote: str, slot: int = 1):
    url = f"/api/v1/picking/batches/{batch['id']}/totes"
    return client.post(url, json={"slot": slot, "tote": tote}, headers=idem())


def _confirm(client, stop: dict[str, Any], **over: Any):
    body = {
        "location": stop["location"],
        "item": stop["barcodes"][0],
        "qty": stop["qty"] - stop["picked"],
        "tote": stop["tote"],
    } | over
    url = f"/api/v1/picking/tasks/{stop['task_id']}/confirm"
    return client.post(url, json=body, headers=idem())


def _state(client, supervisor, batch_id: int, sku: str) -> tuple:
    stock = supervisor.get("/api/v1/stock/", params={"sku": sku}).json()
    moves = supervisor.get("/api/v1/stock/moves", params={"limit": 1}).json()
    return client.get(f"/api/v1/picking/batches/{batch_id}").json(), stock, moves


def test_a_picker_picks_a_whole_batch_and_drops_it_at_staging(
    picker, supervisor, new_order, release_wave, violations
):
    batch = _claim(picker, new_order, release_wave, [("SKU-0003", 2), ("SKU-0002", 1)])
    assert batch["status"] == "assigned" and batch["picker"] == "picker1"
    batch = _bind(picker, batch, "T0101").json()
    assert batch["slots"][0]["tote"] == "T0101" and batch["status"] == "picking"
    while batch["next_task_id"] is not None:
        stop = next(s for s in batch["stops"] if s["task_id"] == batch["next_task_id"])
        # The check code printed on the shelf works as well as the location's barcode.
        r = _confirm(picker, stop, location=stop["check_code"])
        assert r.status_code == 200, r.text
        batch = r.json()
    assert all(s["status"] == "done" and s["picked"] == s["qty"] for s in batch["stops"])
    order_id = batch["slots"][0]["order_id"]
    order = supervisor.get(f"/api/v1/orders/{order_id}").json()
    assert order["status"] == "picked"
    assert all(line["picked"] == line["qty"] and line["reserved"] == 0 for line in order["lines"])
    assert violations() == []
    finish = f"/api/v1/picking/batches/{batch['id']}/finish"
    wrong = picker.post(finish, json={"drop": "STAGE-08"}, headers=idem())
    assert problem(wrong, 422, "wrong_location")["expected"] == batch["drop_location"]
    r = picker.post(finish, json={"drop": batch["drop_location"]}, headers=idem())
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "done"
    tote = picker.get("/api/v1/totes/T0101").json()
    assert tote["order_id"] == order_id and tote["location"] == batch["drop_location"]
    assert sorted((i["sku"], i["qty"]) for i in tote["items"]) == [
        ("SKU-0002", 1),
        ("SKU-0003", 2),
    ]
    moves = supervisor.get("/api/v1/stock/moves", params={"limit": 2}).json()
    assert {m["reason"] for m in moves} == {"pick"}
    assert violations() == []


WRONG = [
    ("wrong_location", {"location": "B20-30-2"}, "location"),
    ("wrong_location", {"location": "00"}, "location"),
    ("wrong_item", {"item": "2800000000028"}, "sku"),
    ("wrong_item", {"item": "not-a-barcode"}, "sku"),
    ("too_many", {"qty": 3}, 2),
    ("wrong_tote", {"tote": "T9999"}, "tote"),
]


def test_every_wrong_scan_has_its_own_code_and_changes_nothing(
    picker, badge_login, supervisor, new_order, release_wave, violations
):
    batch = _claim(picker, new_order, release_wave, [("SKU-0003", 2)])
    batch = _bind(picker, batch, "T0102").json()
    stop = batch["stops"][0]
    before = _state(picker, supervisor, batch["id"], "SKU-0003")
    for code, change, expected in WRONG:
        if change.get("location") == "00" and stop["check_code"] == "00":
            continue
        body = problem(_confirm(picker, stop, **change), 422, code)
        assert len(body["title"]) <= 20
        want = stop[expected] if isinstance(expected, str) else expected
        assert body["expected"] == want, (code, body)
    assert _state(picker, supervisor, batch["id"], "SKU-0003") == before
    problem(_confirm(badge_login("B1002"), stop), 409, "not_your_batch")
    assert _confirm(picker, stop).status_code == 200
    problem(_confirm(picker, stop), 409, "task_done")
    problem(
        picker.post(
            "/api/v1/picking/tasks/999999/confirm",
            json={"location": "x", "item": "x", "qty": 1, "tote": "x"},
            headers=idem(),
        ),
        404,
        "unknown_task",
    )
    pick_all(picker, batch["id"])
    assert violations() == []


def test_a_lot_tracked_item_needs_its_lot_in_the_scan(picker, new_order, release_wave, violations):
    batch = _claim(picker, new_order, release_wave, [("SKU-0001", 2)])
    batch = _bind(picker, batch, "T0103").json()
    stop = batch["stops"][0]
    assert stop["lot"] == "L95319"  # the lot that expires first (FEFO)
    assert [x["lot"] for x in stop["lots"]] == ["L95319"]
    gtin = "0" + stop["barcodes"][0]
    # The location holds that one lot only: the plain barcode proves the pick.
    r = _confirm(picker, stop, qty=1)
    assert r.status_code == 200, r.text
    stop = r.json()["stops"][0]
    wrong = f"]C101{gtin}10L80239{GS}17280103"
    assert problem(_confirm(picker, stop, item=wrong), 422, "wrong_lot")["expected"] == "L95319"
    right = f"]C101{gtin}17270313" + "10L95319"
    r = _confirm(picker, stop, item=right)
    assert r.status_code == 200, r.text
    assert r.json()["stops"][0]["status"] == "done"
    pick_all(picker, batch["id"])
    assert violations() == []


def test_a_replayed_confirm_changes_nothing(picker, supervisor, new_order, release_wave):
    batch = _claim(picker, new_order, release_wave, [("SKU-0004", 3)])
    batch = _bind(picker, batch, "T0104").json()
    stop = batch["stops"][0]
    key = idem()
    body = {"location": stop["location"], "item": stop["barcodes"][0], "qty": 1, "tote": "T0104"}
    url = f"/api/v1/picking/tasks/{stop['task_id']}/confirm"
    first = picker.post(url, json=body, headers=key)
    assert first.status_code == 200, first.text
    after_first = _state(picker, supervisor, batch["id"], "SKU-0004")
    again = picker.post(url, json=body, headers=key)
    assert again.status_code == 200 and again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    assert _state(picker, supervisor, batch["id"], "SKU-0004") == after_first
    assert after_first[0]["stops"][0]["picked"] == 1
    problem(picker.post(url, json=body), 400, "idempotency_key_required")
    pick_all(picker, batch["id"])


def test_totes_must_be_free_real_totes_in_real_slots(picker, new_order, release_wave):
    batch = _claim(picker, new_order, release_wave, [("SKU-0005", 2)], [("SKU-0003", 1)])
    problem(_bind(picker, batch, "T0105", slot=9), 422, "bad_slot")
    problem(_bind(picker, batch, "A01-01-1"), 404, "unknown_tote")
    assert _bind(picker, batch, "t0105").json()["slots"][0]["tote"] == "T0105"
    problem(_bind(picker, batch, "T0105", slot=2), 409, "tote_in_use")
    pick_all(picker, batch["id"])
    # After the drop the tote belongs to its order until packing frees it.
    again = _claim(picker, new_order, release_wave, [("SKU-0005", 1)])
    problem(_bind(picker, again, "T0105"), 409, "tote_in_use")
    pick_all(picker, again["id"])


def test_a_skipped_stop_goes_to_the_end(picker, new_order, release_wave):
    batch = _claim(picker, new_order, release_wave, [("SKU-0003", 1), ("SKU-0043", 1)])
    first, second = batch["stops"]
    r = picker.post(f"/api/v1/picking/tasks/{first['task_id']}/skip", headers=idem())
    assert r.status_code == 200, r.text
    stops = r.json()["stops"]
    assert [s["task_id"] for s in stops] == [second["task_id"], first["task_id"]]
    assert stops[-1]["status"] == "skipped" and r.json()["next_task_id"] == second["task_id"]
    finish = picker.post(
        f"/api/v1/picking/batches/{batch['id']}/finish",
        json={"drop": batch["drop_location"]},
        headers=idem(),
    )
    assert problem(finish, 409, "stops_open")["expected"] == 2
    pick_all(picker, batch["id"])


def test_a_paused_batch_is_handed_over_to_another_picker(
    picker, badge_login, new_order, release_wave
):
    batch = _claim(picker, new_order, release_wave, [("SKU-0019", 1)])
    batch = _bind(picker, batch, "T0106").json()
    stop = batch["stops"][0]
    url = f"/api/v1/picking/batches/{batch['id']}"
    assert picker.post(f"{url}/pause", headers=idem()).json()["status"] == "paused"
    problem(_confirm(picker, stop), 409, "batch_paused")
    r = picker.post(f"{url}/handover", json={"badge": "B1002"}, headers=idem())
    assert r.status_code == 200, r.text
    assert r.json()["picker"] == "picker2"
    problem(_confirm(picker, stop), 409, "not_your_batch")
    other = badge_login("B1002")
    assert other.post("/api/v1/picking/next", headers=idem()).json()["id"] == batch["id"]
    assert other.post(f"{url}/resume", headers=idem()).json()["status"] == "picking"
    assert _confirm(other, stop).status_code == 200
    pick_all(other, batch["id"])


def test_a_bulk_stop_picks_single_unit_orders_into_one_tote(
    picker, supervisor, new_order, release_wave, violations
):
    orders = [new_order(("SKU-0028", 1)) for _ in range(2)]
    release_wave([o["id"] for o in orders])
    batch = picker.post("/api/v1/picking/next", headers=idem()).json()
    assert batch["kind"] == "bulk" and batch["slots"][0]["order_id"] is None
    [stop] = batch["stops"]
    assert (stop["qty"], stop["slot"], stop["tote"]) == (2, None, None)
    _bind(picker, batch, "T0107")
    r = _confirm(picker, stop, tote="T0107")
    assert r.status_code == 200, r.text
    for o in orders:
        got = supervisor.get(f"/api/v1/orders/{o['id']}").json()
        assert got["status"] == "picked" and got["lines"][0]["picked"] == 1
    assert violations() == []
    pick_all(picker, batch["id"])
    # The bulk tote waits at the drop for packing to sort it: not free for another cart.
    assert picker.get("/api/v1/totes/T0107").json()["items"] == [
        {"sku": "SKU-0028", "name": stop["name"], "lot": None, "qty": 2}
    ]
    again = _claim(picker, new_order, release_wave, [("SKU-0002", 2)])
    problem(_bind(picker, again, "T0107"), 409, "tote_in_use")
    pick_all(picker, again["id"])
