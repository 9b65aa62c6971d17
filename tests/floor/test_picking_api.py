"""Picking a batch through the API: happy path, every wrong scan, replays, pause, handover."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import idem, problem

GS = "\x1d"


def _claim(client, new_order, release_wave, *lines: tuple[str, int]) -> dict[str, Any]:
    """One order, one wave, one batch: claimed by `client` at once (no leftovers for others)."""
    order = new_order(*lines)
    release_wave([order["id"]])
    r = client.post("/api/v1/picking/next", headers=idem())
    assert r.status_code == 200, r.text
    batch = r.json()
    assert batch["slots"][0]["order_id"] == order["id"], "claimed another test's batch"
    return batch


def _bind(client, batch: dict[str, Any], tote: str) -> dict[str, Any]:
    r = client.post(
        f"/api/v1/picking/batches/{batch['id']}/totes",
        json={"slot": 1, "tote": tote},
        headers=idem(),
    )
    assert r.status_code == 200, r.text
    return r.json()


def _confirm(client, stop: dict[str, Any], **over: Any):
    body = {
        "location": stop["location"],
        "item": stop["barcodes"][0],
        "qty": stop["qty"] - stop["picked"],
        "tote": stop["tote"],
    } | over
    return client.post(
        f"/api/v1/picking/tasks/{stop['task_id']}/confirm", json=body, headers=idem()
    )


def _state(client, supervisor, batch_id: int, sku: str) -> tuple:
    stock = supervisor.get("/api/v1/stock/", params={"sku": sku}).json()
    moves = supervisor.get("/api/v1/stock/moves", params={"limit": 1}).json()
    return client.get(f"/api/v1/picking/batches/{batch_id}").json(), stock, moves


def test_a_picker_picks_a_whole_batch_and_drops_it_at_staging(
    badge_login, supervisor, new_order, release_wave, violations
):
    picker = badge_login("B1003")
    batch = _claim(picker, new_order, release_wave, ("SKU-0003", 2), ("SKU-0002", 1))
    assert batch["status"] == "assigned" and batch["picker"] == "picker3"
    batch = _bind(picker, batch, "T0101")
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
    problem(
        picker.post(
            f"/api/v1/picking/batches/{batch['id']}/finish",
            json={"drop": "STAGE-08"},
            headers=idem(),
        ),
        422,
        "wrong_location",
    )
    r = picker.post(
        f"/api/v1/picking/batches/{batch['id']}/finish",
        json={"drop": batch["drop_location"]},
        headers=idem(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "done"
    tote = picker.get("/api/v1/totes/T0101").json()
    assert tote["order_id"] == order_id and tote["location"] == batch["drop_location"]
    assert sorted((i["sku"], i["qty"]) for i in tote["items"]) == [("SKU-0002", 1), ("SKU-0003", 2)]
    moves = supervisor.get("/api/v1/stock/moves", params={"limit": 2}).json()
    assert {m["reason"] for m in moves} == {"pick"}
    assert violations() == []
    problem(picker.post("/api/v1/picking/next", headers=idem()), 404, "no_work")


WRONG = [
    ("wrong_location", {"location": "B20-30-2"}, "location"),
    ("wrong_item", {"item": "2800000000028"}, "sku"),
    ("too_many", {"qty": 3}, 2),
    ("wrong_tote", {"tote": "T9999"}, "tote"),
]


def test_every_wrong_scan_has_its_own_code_and_changes_nothing(
    badge_login, supervisor, new_order, release_wave, violations
):
    picker = badge_login("B1004")
    batch = _claim(picker, new_order, release_wave, ("SKU-0003", 2))
    batch = _bind(picker, batch, "T0102")
    stop = batch["stops"][0]
    before = _state(picker, supervisor, batch["id"], "SKU-0003")
    for code, change, expected in WRONG:
        body = problem(_confirm(picker, stop, **change), 422, code)
        assert len(body["title"]) <= 20
        want = stop[expected] if isinstance(expected, str) else expected
        assert body["expected"] == want, (code, body)
    assert _state(picker, supervisor, batch["id"], "SKU-0003") == before
    other = badge_login("B1005")
    problem(_confirm(other, stop), 409, "not_your_batch")
    assert _confirm(picker, stop).status_code == 200
    problem(_confirm(picker, stop), 409, "task_done")
    assert violations() == []


def test_a_lot_tracked_item_needs_its_lot_in_the_scan(
    badge_login, supervisor, new_order, release_wave, violations
):
    picker = badge_login("B1006")
    batch = _claim(picker, new_order, release_wave, ("SKU-0001", 2))
    batch = _bind(picker, batch, "T0103")
    stop = batch["stops"][0]
    assert stop["lot"] == "L95319"  # first to expire (FEFO)
    gtin = "0" + stop["barcodes"][0]
    body = problem(_confirm(picker, stop), 422, "lot_required")
    assert body["expected"] == "L95319"
    wrong = f"]C101{gtin}10L80239{GS}17280103"
    assert problem(_confirm(picker, stop, item=wrong), 422, "wrong_lot")["expected"] == "L95319"
    right = f"]C101{gtin}17270313" + "10L95319"
    r = _confirm(picker, stop, item=right)
    assert r.status_code == 200, r.text
    assert r.json()["stops"][0]["status"] == "done"
    assert violations() == []


def test_a_replayed_confirm_changes_nothing(badge_login, supervisor, new_order, release_wave):
    picker = badge_login("B1007")
    batch = _claim(picker, new_order, release_wave, ("SKU-0004", 3))
    batch = _bind(picker, batch, "T0104")
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


def test_totes_must_be_free_real_totes_in_real_slots(badge_login, new_order, release_wave):
    picker = badge_login("B1008")
    batch = _claim(picker, new_order, release_wave, ("SKU-0005", 2))
    url = f"/api/v1/picking/batches/{batch['id']}/totes"
    problem(picker.post(url, json={"slot": 9, "tote": "T0105"}, headers=idem()), 422, "bad_slot")
    problem(
        picker.post(url, json={"slot": 1, "tote": "A01-01-1"}, headers=idem()), 404, "unknown_tote"
    )
    problem(picker.post(url, json={"slot": 1, "tote": "T0101"}, headers=idem()), 409, "tote_in_use")
    assert (
        picker.post(url, json={"slot": 1, "tote": "t0105"}, headers=idem()).json()["slots"][0][
            "tote"
        ]
        == "T0105"
    )


def test_a_skipped_stop_goes_to_the_end(badge_login, new_order, release_wave):
    picker = badge_login("B1002")
    batch = _claim(picker, new_order, release_wave, ("SKU-0003", 1), ("SKU-0043", 1))
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


@pytest.mark.parametrize("who", ["B1001"])
def test_a_paused_batch_is_handed_over_to_another_picker(who, badge_login, new_order, release_wave):
    picker = badge_login(who)
    batch = _claim(picker, new_order, release_wave, ("SKU-0019", 1))
    batch = _bind(picker, batch, "T0106")
    stop = batch["stops"][0]
    r = picker.post(f"/api/v1/picking/batches/{batch['id']}/pause", headers=idem())
    assert r.json()["status"] == "paused"
    problem(_confirm(picker, stop), 409, "batch_paused")
    r = picker.post(
        f"/api/v1/picking/batches/{batch['id']}/handover", json={"badge": "B1005"}, headers=idem()
    )
    assert r.status_code == 200, r.text
    assert r.json()["picker"] == "picker5"
    problem(_confirm(picker, stop), 409, "not_your_batch")
    new = badge_login("B1005")
    assert new.post("/api/v1/picking/next", headers=idem()).json()["id"] == batch["id"]
    assert (
        new.post(f"/api/v1/picking/batches/{batch['id']}/resume", headers=idem()).json()["status"]
        == "picking"
    )
    assert _confirm(new, stop).status_code == 200
