"""Stock through the API: every change lands in the ledger; bad input changes nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.api import problem


def _on_hand(client: httpx.Client, sku: str, location: str) -> int:
    rows = client.get("/api/v1/stock/", params={"sku": sku, "location": location}).json()
    return sum(r["on_hand"] for r in rows)


def _sellable(client: httpx.Client, sku: str) -> int:
    return client.get(f"/api/v1/stock/availability/{sku}").json()["sellable"]


def test_receiving_into_a_pick_location_adds_sellable_stock_and_a_ledger_line(supervisor):
    before = _sellable(supervisor, "SKU-0400")
    r = supervisor.post(
        "/api/v1/stock/receive",
        json={"sku": "SKU-0400", "location": "B15-10-1", "qty": 12, "ref": "PO-1"},
    )
    assert r.status_code == 201, r.text
    assert _on_hand(supervisor, "SKU-0400", "B15-10-1") == 12
    assert _sellable(supervisor, "SKU-0400") == before + 12
    move = supervisor.get("/api/v1/stock/moves", params={"sku": "SKU-0400", "limit": 1}).json()[0]
    assert (move["to"], move["qty"], move["reason"], move["ref"]) == (
        "B15-10-1",
        12,
        "receive",
        "PO-1",
    )
    assert move["user_id"] is not None


def test_moving_stock_to_quarantine_makes_it_unsellable(supervisor):
    before = _sellable(supervisor, "SKU-0002")
    r = supervisor.post(
        "/api/v1/stock/move",
        json={"sku": "SKU-0002", "source": "A01-02-1", "target": "QUAR-01", "qty": 2},
    )
    assert r.status_code == 201, r.text
    assert _sellable(supervisor, "SKU-0002") == before - 2
    assert _on_hand(supervisor, "SKU-0002", "QUAR-01") == 2


def test_a_count_writes_the_difference_to_the_ledger(supervisor):
    have = _on_hand(supervisor, "SKU-0003", "A01-03-1")
    r = supervisor.post(
        "/api/v1/stock/count",
        json={"location": "A01-03-1", "lines": [{"sku": "SKU-0003", "qty": have - 3}]},
    )
    assert r.status_code == 201, r.text
    assert r.json()["differences"] == [
        {"sku": "SKU-0003", "lot": "", "expected": have, "counted": have - 3}
    ]
    assert _on_hand(supervisor, "SKU-0003", "A01-03-1") == have - 3


def test_an_adjustment_needs_a_supervisor(picker):
    r = picker.post(
        "/api/v1/stock/adjust",
        json={"sku": "SKU-0002", "location": "A01-02-1", "delta": -1, "reason": "damaged"},
    )
    problem(r, 403, "forbidden")


def test_moving_more_than_is_there_is_refused_and_changes_nothing(supervisor):
    have = _on_hand(supervisor, "SKU-0004", "A01-04-1")
    r = supervisor.post(
        "/api/v1/stock/move",
        json={"sku": "SKU-0004", "source": "A01-04-1", "target": "A01-05-2", "qty": have + 1},
    )
    problem(r, 409, "insufficient_stock")
    assert _on_hand(supervisor, "SKU-0004", "A01-04-1") == have
    assert _on_hand(supervisor, "SKU-0004", "A01-05-2") == 0


def test_bad_stock_requests_get_problems_with_stable_codes(supervisor):
    cases = [
        ({"sku": "NOPE", "location": "A01-01-1", "qty": 1}, 404, "unknown_sku"),
        ({"sku": "SKU-0002", "location": "Z99", "qty": 1}, 404, "unknown_location"),
        ({"sku": "SKU-0002", "location": "A01-02-1", "qty": 0}, 400, "invalid_request"),
        ({"sku": "SKU-0002", "location": "A01-02-1", "qty": -4}, 400, "invalid_request"),
        ({"sku": "SKU-0002", "location": "A01-02-1", "qty": "five"}, 400, "invalid_request"),
        ({"sku": "SKU-0001", "location": "A01-01-1", "qty": 1}, 422, "lot_required"),
    ]
    moves_before = supervisor.get("/api/v1/stock/moves", params={"limit": 1}).json()[0]["id"]
    for body, status, code in cases:
        problem(supervisor.post("/api/v1/stock/receive", json=body), status, code)
    r = supervisor.post(
        "/api/v1/stock/receive",
        content=b'{"sku": "SKU-0002",',
        headers={"content-type": "application/json"},
    )
    problem(r, 400, "malformed_json")
    assert (
        supervisor.get("/api/v1/stock/moves", params={"limit": 1}).json()[0]["id"] == moves_before
    )


def test_no_token_means_401(anonymous):
    problem(anonymous.get("/api/v1/stock/"), 401, "unauthorized")
    problem(
        anonymous.get("/api/v1/stock/", headers={"Authorization": "Bearer nope"}), 401, "bad_token"
    )


def test_a_replayed_receipt_returns_the_first_answer_and_changes_nothing(supervisor):
    key = {"Idempotency-Key": "receipt-7781"}
    body = {"sku": "SKU-0410", "location": "B15-11-1", "qty": 5}
    first = supervisor.post("/api/v1/stock/receive", json=body, headers=key)
    assert first.status_code == 201, first.text
    again = supervisor.post("/api/v1/stock/receive", json=body, headers=key)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert _on_hand(supervisor, "SKU-0410", "B15-11-1") == 5


def test_a_retry_key_reused_for_another_request_is_refused(supervisor):
    key = {"Idempotency-Key": "receipt-7782"}
    body = {"sku": "SKU-0412", "location": "B15-12-1", "qty": 5}
    assert supervisor.post("/api/v1/stock/receive", json=body, headers=key).status_code == 201
    other = supervisor.post("/api/v1/stock/receive", json={**body, "qty": 6}, headers=key)
    problem(other, 422, "idempotency_key_reused")
    assert _on_hand(supervisor, "SKU-0412", "B15-12-1") == 5


def test_a_refusal_replayed_after_the_shelf_changed_is_the_same_refusal(supervisor):
    key = {"Idempotency-Key": "move-7790"}
    body = {"sku": "SKU-0416", "source": "B15-13-1", "target": "QUAR-01", "qty": 3}
    first = supervisor.post("/api/v1/stock/move", json=body, headers=key)
    problem(first, 409, "insufficient_stock")
    receipt = {"sku": "SKU-0416", "location": "B15-13-1", "qty": 10}
    assert supervisor.post("/api/v1/stock/receive", json=receipt).status_code == 201
    again = supervisor.post("/api/v1/stock/move", json=body, headers=key)
    assert (again.status_code, again.json()) == (409, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert _on_hand(supervisor, "SKU-0416", "B15-13-1") == 10


def test_two_copies_of_one_request_at_once_act_once(supervisor):
    key = {"Idempotency-Key": "receipt-7791"}
    body = {"sku": "SKU-0418", "location": "B15-14-1", "qty": 4}
    start = threading.Barrier(4)

    def send(_: int) -> httpx.Response:
        start.wait()
        return supervisor.post("/api/v1/stock/receive", json=body, headers=key)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(4)))
    done = [r for r in answers if r.status_code == 201]
    busy = [r for r in answers if r.status_code == 409]
    assert len(done) + len(busy) == 4 and done, [r.text for r in answers]
    assert all(r.json()["code"] == "request_in_progress" for r in busy)
    assert all(r.json() == done[0].json() for r in done)
    assert _on_hand(supervisor, "SKU-0418", "B15-14-1") == 4
    moves = supervisor.get("/api/v1/stock/moves", params={"sku": "SKU-0418", "limit": 5}).json()
    assert [m["to"] for m in moves].count("B15-14-1") == 1


def test_putaway_suggests_the_items_pick_face_or_the_nearest_empty_one(supervisor):
    r = supervisor.get("/api/v1/stock/putaway", params={"sku": "SKU-0002"})
    assert r.json() == {"sku": "SKU-0002", "location": "A01-02-1", "reason": "home location"}
    r = supervisor.get("/api/v1/stock/putaway", params={"sku": "SKU-0519"})
    assert r.status_code == 200 and r.json()["reason"] in (
        "home location",
        "nearest empty pick face",
    )
    problem(supervisor.get("/api/v1/stock/putaway", params={"sku": "NOPE"}), 404, "unknown_sku")
