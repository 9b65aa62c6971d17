"""A short pick is a count: the place holds what was found; every stop on it is re-planned."""

from __future__ import annotations

from typing import Any

import httpx

from tests.floor.conftest import pick_all
from tests.support.api import idem


def _bind(client: httpx.Client, batch: dict[str, Any]) -> dict[str, Any]:
    for slot in batch["slots"]:
        if slot["tote"] is None:
            tote = f"T{batch['id']:04d}{slot['slot']:02d}"
            r = client.post(
                f"/api/v1/picking/batches/{batch['id']}/totes",
                json={"slot": slot["slot"], "tote": tote},
                headers=idem(),
            )
            assert r.status_code == 200, r.text
            batch = r.json()
    return batch


def _claim(client: httpx.Client) -> dict[str, Any]:
    r = client.post("/api/v1/picking/next", headers=idem())
    assert r.status_code == 200, r.text
    return _bind(client, r.json())


def _short(client: httpx.Client, stop: dict[str, Any], found: int) -> httpx.Response:
    body = {"found": found, "item": stop["barcodes"][0] if found else None, "tote": stop["tote"]}
    return client.post(f"/api/v1/picking/tasks/{stop['task_id']}/short", json=body, headers=idem())


def _on_hand(client: httpx.Client, sku: str, location: str) -> int:
    rows = client.get("/api/v1/stock/", params={"sku": sku, "location": location}).json()
    return sum(r["on_hand"] for r in rows)


def _moves(client: httpx.Client, sku: str, n: int) -> list[dict[str, Any]]:
    return client.get("/api/v1/stock/moves", params={"sku": sku, "limit": n}).json()


def _exceptions(client: httpx.Client, **match: Any) -> list[dict[str, Any]]:
    every = client.get("/api/v1/exceptions", params={"status": "all"}).json()
    return [e for e in every if all(e[k] == v for k, v in match.items())]


def _open(batch: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in batch["stops"] if s["status"] in ("open", "skipped")]


def test_a_short_pick_sets_the_place_to_what_was_found_and_re_plans_every_stop_there(
    picker, supervisor, new_order, release_wave, violations
):
    a = new_order(("SKU-0010", 3))
    b = new_order(("SKU-0010", 2))
    c = new_order(("SKU-0010", 2), ("SKU-0008", 1))
    release_wave([a["id"], b["id"], c["id"]])
    batch = _claim(picker)
    here = [s for s in batch["stops"] if s["location"] == "A01-08-1"]
    assert sorted(s["qty"] for s in here) == [2, 2, 3]
    believed = _on_hand(supervisor, "SKU-0010", "A01-08-1")
    first = next(s for s in here if s["order_id"] == a["id"])
    r = _short(picker, first, 2)
    assert r.status_code == 200, r.text
    after = r.json()
    # The place held the two found: its on hand is now what the picker saw (nothing left).
    assert _on_hand(supervisor, "SKU-0010", "A01-08-1") == 0
    moves = _moves(supervisor, "SKU-0010", 2)
    assert sorted((m["reason"], m["qty"], m["from"]) for m in moves) == [
        ("pick", 2, "A01-08-1"),
        ("short_count", believed - 2, "A01-08-1"),
    ]
    count = next(m for m in moves if m["reason"] == "short_count")
    assert f"counted 2, system {believed}" in count["ref"]
    # None of the batch's stops sends the picker back there; the need is planned elsewhere,
    # next on the walk (the reserve level above stands on the same spot of the aisle).
    left = _open(after)
    assert all(s["location"] != "A01-08-1" for s in left)
    again = [s for s in left if s["sku"] == "SKU-0010"]
    assert sorted((s["order_id"], s["qty"]) for s in again) == sorted(
        [(a["id"], 1), (b["id"], 2), (c["id"], 2)]
    )
    assert {s["location"] for s in again} == {"A01-08-3"}
    assert [s["sku"] for s in left[: len(again)]] == ["SKU-0010"] * len(again)
    assert after["next_task_id"] == left[0]["task_id"]
    shorted = next(s for s in after["stops"] if s["task_id"] == first["task_id"])
    assert (shorted["status"], shorted["qty"], shorted["picked"]) == ("short", 2, 2)
    # The supervisor hears it right: where the units went, and a place to count.
    [mine] = _exceptions(supervisor, kind="short_pick", order_id=a["id"])
    assert mine["message"].startswith("SKU-0010: 1 short at A01-08-1;")
    assert "sellable elsewhere, re-allocated to A01-08-3" in mine["message"]
    assert (mine["status"], mine["resolved_by"]) == ("resolved", "system")
    [other] = _exceptions(supervisor, kind="short_pick", order_id=b["id"])
    assert "no longer at A01-08-1 (counted 2)" in other["message"]
    [task] = _exceptions(supervisor, kind="count_task", location="A01-08-1")
    assert (task["status"], task["sku"], task["qty"]) == ("open", "SKU-0010", believed - 2)
    assert violations() == []
    pick_all(picker, batch["id"])
    for order in (a, b, c):
        assert supervisor.get(f"/api/v1/orders/{order['id']}").json()["status"] == "picked"
    assert violations() == []


def test_a_short_pick_re_plans_another_pickers_stop_on_the_same_place(
    picker, badge_login, supervisor, new_order, release_wave, violations
):
    other = badge_login("B1002")
    x = new_order(("SKU-0013", 2))
    release_wave([x["id"]])
    mine = _claim(picker)
    y = new_order(("SKU-0013", 3))
    release_wave([y["id"]])
    theirs = _claim(other)
    assert theirs["stops"][0]["location"] == mine["stops"][0]["location"] == "A01-09-1"
    r = _short(picker, mine["stops"][0], 0)
    assert r.status_code == 200, r.text
    assert _on_hand(supervisor, "SKU-0013", "A01-09-1") == 0
    view = other.get(f"/api/v1/picking/batches/{theirs['id']}").json()
    [stop] = _open(view)
    assert (stop["location"], stop["qty"], stop["order_id"]) == ("A01-09-3", 3, y["id"])
    [note] = _exceptions(supervisor, kind="short_pick", order_id=y["id"])
    assert "no longer at A01-09-1 (counted 0)" in note["message"]
    assert "re-allocated to A01-09-3" in note["message"]
    assert violations() == []
    pick_all(picker, mine["id"])
    pick_all(other, theirs["id"])
    assert supervisor.get(f"/api/v1/orders/{y['id']}").json()["status"] == "picked"
    assert violations() == []


def test_a_short_pick_of_every_unit_the_place_holds_is_backordered_and_filled_by_a_receipt(
    picker, supervisor, new_order, release_wave, violations
):
    # The place holds exactly what the order needs, and nothing is anywhere else.
    r = supervisor.post(
        "/api/v1/stock/count",
        json={"location": "A01-03-1", "lines": [{"sku": "SKU-0003", "qty": 4}]},
        headers=idem(),
    )
    assert r.status_code == 201, r.text
    order = new_order(("SKU-0003", 4))
    release_wave([order["id"]])
    batch = _claim(picker)
    [stop] = batch["stops"]
    assert (stop["location"], stop["qty"]) == ("A01-03-1", 4)
    r = _short(picker, stop, 1)
    assert r.status_code == 200, r.text  # once refused with 409 stock_allocated
    assert _open(r.json()) == []
    assert _on_hand(supervisor, "SKU-0003", "A01-03-1") == 0
    assert [(m["reason"], m["qty"]) for m in _moves(supervisor, "SKU-0003", 2)] == [
        ("short_count", 3),
        ("pick", 1),
    ]
    line = supervisor.get(f"/api/v1/orders/{order['id']}").json()["lines"][0]
    assert (line["allocated"], line["picked"], line["reserved"]) == (1, 1, 0)
    [note] = _exceptions(supervisor, kind="short_pick", order_id=order["id"])
    assert note["message"] == "SKU-0003: 3 short at A01-03-1; none sellable elsewhere; backordered"
    assert note["status"] == "open"
    assert violations() == []
    r = picker.post(
        f"/api/v1/picking/batches/{batch['id']}/finish",
        json={"drop": batch["drop_location"]},
        headers=idem(),
    )
    assert r.status_code == 200, r.text
    assert supervisor.get(f"/api/v1/orders/{order['id']}").json()["status"] == "backordered"
    # Stock arrives at another place: the order is held again in the receipt's transaction.
    r = supervisor.post(
        "/api/v1/stock/receive",
        json={"sku": "SKU-0003", "location": "A01-03-2", "qty": 5, "ref": "PO-77"},
        headers=idem(),
    )
    assert r.status_code == 201, r.text
    got = supervisor.get(f"/api/v1/orders/{order['id']}").json()
    assert got["status"] == "ready"
    assert got["lines"][0]["reserved"] == 3
    [note] = _exceptions(supervisor, kind="short_pick", order_id=order["id"])
    assert (note["status"], note["resolved_by"]) == ("resolved", "super")
    assert note["resolution"] == "backorder filled by receive PO-77"
    assert note["resolved_at"]
    avail = supervisor.get("/api/v1/stock/availability/SKU-0003").json()
    assert (avail["on_hand_pickable"], avail["reserved"]) == (5, 3)
    # A count of the place answers its count task.
    r = supervisor.post(
        "/api/v1/stock/count",
        json={"location": "A01-03-1", "lines": [], "confirm_empty": True},
        headers=idem(),
    )
    assert r.status_code == 201, r.text
    [task] = _exceptions(supervisor, kind="count_task", location="A01-03-1")
    assert (task["status"], task["resolved_by"]) == ("resolved", "super")
    assert task["resolution"] == "counted at A01-03-1"
    assert violations() == []
