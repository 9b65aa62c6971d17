"""Lots on the floor, through the API: the stop names its lot and the lots its location holds.

One lot at the location: the plain barcode proves the pick. Several: the picker says which,
by a GS1 scan or by the `lot` chosen on the terminal (a lot barcode or the keypad list).
"""

from __future__ import annotations

from typing import Any

from tests.support.api import idem, problem

SKU = "SKU-0007"  # lot-tracked: L66838 at A02-01-1 (expires first), L41544 at A02-01-3


def _claim(client, new_order, release_wave, qty: int) -> dict[str, Any]:
    order = new_order((SKU, qty))
    release_wave([order["id"]], cart_totes=1)
    r = client.post("/api/v1/picking/next", headers=idem())
    assert r.status_code == 200, r.text
    batch = r.json()
    url = f"/api/v1/picking/batches/{batch['id']}/totes"
    r = client.post(url, json={"slot": 1, "tote": f"T{batch['id']:04d}77"}, headers=idem())
    assert r.status_code == 200, r.text
    return r.json()


def _confirm(client, stop: dict[str, Any], **over: Any):
    body = {
        "location": stop["location"],
        "item": stop["barcodes"][0],
        "qty": 1,
        "tote": stop["tote"],
    } | over
    url = f"/api/v1/picking/tasks/{stop['task_id']}/confirm"
    return client.post(url, json=body, headers=idem())


def _moves(supervisor) -> list[dict[str, Any]]:
    return supervisor.get("/api/v1/stock/moves", params={"limit": 5}).json()


def test_a_stop_at_a_location_of_one_lot_takes_the_plain_barcode(
    picker, supervisor, new_order, release_wave, violations
):
    batch = _claim(picker, new_order, release_wave, 2)
    stop = batch["stops"][0]
    assert stop["lot"] == "L66838" and [x["lot"] for x in stop["lots"]] == ["L66838"]
    assert stop["lots"][0]["expiry"] == "2027-01-03"
    r = _confirm(picker, stop, qty=2)
    assert r.status_code == 200, r.text
    last = _moves(supervisor)[0]
    assert (last["reason"], last["lot"], last["qty"]) == ("pick", "L66838", 2)
    finish = f"/api/v1/picking/batches/{batch['id']}/finish"
    # The drop's check code is in the view, and typing it finishes the batch.
    drop_code = r.json()["drop_check_code"]
    assert drop_code
    assert picker.post(finish, json={"drop": drop_code}, headers=idem()).status_code == 200
    assert violations() == []


def test_a_location_of_several_lots_needs_the_lot_chosen_or_scanned(
    picker, supervisor, new_order, release_wave, violations
):
    where = "A02-01-1"
    receipt = {"sku": SKU, "location": where, "qty": 5, "lot": "L99999", "expiry": "2029-01-01"}
    r = supervisor.post("/api/v1/stock/receive", json=receipt | {"ref": "second lot"})
    assert r.status_code == 201, r.text
    batch = _claim(picker, new_order, release_wave, 3)
    stop = batch["stops"][0]
    assert stop["location"] == where and stop["lot"] == "L66838"
    assert [x["lot"] for x in stop["lots"]] == ["L66838", "L99999"]
    before = _moves(supervisor)
    assert problem(_confirm(picker, stop), 422, "lot_required")["expected"] == "L66838"
    assert problem(_confirm(picker, stop, lot="L99999"), 422, "wrong_lot")["expected"] == "L66838"
    gtin = stop["barcodes"][0].zfill(14)
    mixed = _confirm(picker, stop, item=f"]C101{gtin}10L66838", lot="L99999")
    assert problem(mixed, 422, "wrong_lot")["expected"] == "L66838"
    assert _moves(supervisor) == before  # every refusal changed nothing
    r = _confirm(picker, stop, lot="L66838")  # chosen on the keypad list
    assert r.status_code == 200, r.text
    stop = r.json()["stops"][0]
    r = _confirm(picker, stop, item=f"]C101{gtin}10L66838", qty=2)  # scanned as GS1
    assert r.status_code == 200, r.text
    assert r.json()["stops"][0]["status"] == "done"
    picks = [m for m in _moves(supervisor) if m["reason"] == "pick"][:2]
    assert [(m["lot"], m["qty"]) for m in picks] == [("L66838", 2), ("L66838", 1)]
    batch_id = r.json()["id"]
    drop = r.json()["drop_location"]
    r = picker.post(
        f"/api/v1/picking/batches/{batch_id}/finish", json={"drop": drop}, headers=idem()
    )
    assert r.status_code == 200, r.text
    assert violations() == []
