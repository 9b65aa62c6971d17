"""Pickers and packers change stock only within bounds; beyond, a supervisor decides."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.support import api
from tests.support.api import problem
from wms.db import Database
from wms.services import check


@pytest.fixture(scope="module")
def packer(server) -> Iterator[httpx.Client]:
    with api.client(server.url, api.login(server.url, "packer")) as c:
        yield c


def _violations(url: str) -> list[str]:
    async def go() -> list[str]:
        db = Database(url)
        try:
            return await check.violations(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _on_hand(client: httpx.Client, sku: str, location: str) -> int:
    rows = client.get("/api/v1/stock/", params={"sku": sku, "location": location}).json()
    return sum(r["on_hand"] for r in rows)


def _moves(client: httpx.Client) -> int:
    return client.get("/api/v1/stock/moves", params={"limit": 1}).json()[0]["id"]


def test_a_picker_receives_only_against_a_reference_and_within_the_bound(picker, supervisor):
    body = {"sku": "SKU-0010", "location": "A01-08-1", "qty": 20}
    before, last = _on_hand(supervisor, "SKU-0010", "A01-08-1"), _moves(supervisor)
    problem(picker.post("/api/v1/stock/receive", json=body), 422, "ref_required")
    too_many = {**body, "qty": 1_000_000, "ref": "PO-77"}
    body403 = problem(picker.post("/api/v1/stock/receive", json=too_many), 403, "over_floor_limit")
    assert body403["max_qty"] == 500
    assert _on_hand(supervisor, "SKU-0010", "A01-08-1") == before and _moves(supervisor) == last
    r = picker.post("/api/v1/stock/receive", json={**body, "ref": "PO-77"})
    assert r.status_code == 201, r.text
    assert _on_hand(supervisor, "SKU-0010", "A01-08-1") == before + 20
    r = supervisor.post("/api/v1/stock/receive", json={**body, "qty": 600, "ref": "PO-78"})
    assert r.status_code == 201, r.text  # a supervisor is not bounded


def test_a_count_with_no_lines_is_refused_unless_confirmed_empty(picker, supervisor):
    have, last = _on_hand(supervisor, "SKU-0019", "A01-11-1"), _moves(supervisor)
    assert have > 25
    empty = {"location": "A01-11-1", "lines": []}
    problem(picker.post("/api/v1/stock/count", json=empty), 422, "empty_count_unconfirmed")
    problem(supervisor.post("/api/v1/stock/count", json=empty), 422, "empty_count_unconfirmed")
    line = {"location": "A01-11-1", "lines": [{"sku": "SKU-0019", "qty": 1}], "confirm_empty": True}
    problem(picker.post("/api/v1/stock/count", json=line), 422, "empty_count_has_lines")
    assert _on_hand(supervisor, "SKU-0019", "A01-11-1") == have and _moves(supervisor) == last


def test_a_large_variance_waits_for_a_supervisor_and_goes_through_the_ledger_when_approved(
    server, picker, supervisor
):
    have, last = _on_hand(supervisor, "SKU-0020", "A01-12-1"), _moves(supervisor)
    r = picker.post(
        "/api/v1/stock/count", json={"location": "A01-12-1", "lines": [], "confirm_empty": True}
    )
    assert r.status_code == 202, r.text
    pending = r.json()
    assert pending["pending"] is True and pending["differences"][0]["expected"] == have
    assert _on_hand(supervisor, "SKU-0020", "A01-12-1") == have and _moves(supervisor) == last
    listed = supervisor.get("/api/v1/stock/counts").json()
    assert [c["id"] for c in listed if c["location"] == "A01-12-1"] == [pending["count_id"]]
    url = f"/api/v1/stock/counts/{pending['count_id']}"
    problem(picker.post(f"{url}/approve"), 403, "forbidden")
    r = supervisor.post(f"{url}/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    assert _on_hand(supervisor, "SKU-0020", "A01-12-1") == 0
    move = supervisor.get("/api/v1/stock/moves", params={"sku": "SKU-0020", "limit": 1}).json()[0]
    assert (move["reason"], move["qty"], move["from"]) == ("count", have, "A01-12-1")
    problem(supervisor.post(f"{url}/approve"), 409, "count_decided")
    audit = supervisor.get("/api/v1/audit", params={"action": "count_approved"}).json()
    assert audit[0]["actor"] == "super" and audit[0]["target"] == f"count:{pending['count_id']}"
    assert _violations(server.database_url) == []


def test_a_rejected_count_changes_nothing_and_a_small_one_applies_at_once(
    server, packer, supervisor
):
    have = _on_hand(supervisor, "SKU-0025", "A01-13-1")
    huge = {"location": "A01-13-1", "lines": [{"sku": "SKU-0025", "qty": 1_000_000}]}
    r = packer.post("/api/v1/stock/count", json=huge)
    assert r.status_code == 202, r.text
    rejected = supervisor.post(f"/api/v1/stock/counts/{r.json()['count_id']}/reject")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert _on_hand(supervisor, "SKU-0025", "A01-13-1") == have
    small = {"location": "A01-13-1", "lines": [{"sku": "SKU-0025", "qty": have - 2}]}
    r = packer.post("/api/v1/stock/count", json=small)
    assert r.status_code == 201 and r.json()["pending"] is False, r.text
    assert _on_hand(supervisor, "SKU-0025", "A01-13-1") == have - 2
    problem(supervisor.post("/api/v1/stock/counts/987654/approve"), 404, "unknown_count")
    assert _violations(server.database_url) == []


def test_adjusting_stock_stays_a_supervisors_act(picker, packer):
    body = {"sku": "SKU-0025", "location": "A01-13-1", "delta": 1000, "reason": "found"}
    problem(picker.post("/api/v1/stock/adjust", json=body), 403, "forbidden")
    problem(packer.post("/api/v1/stock/adjust", json=body), 403, "forbidden")
