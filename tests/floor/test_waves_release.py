"""Releasing waves off the event loop: previews say why orders stay out, stale plans are refused."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.floor.conftest import SHIP_TO
from tests.support import api
from tests.support.api import idem, problem
from wms.loopback import ThreadServer
from wms.services import waves

BIG = 320  # cart orders: above waves.POOL_FROM, so the planner pool batches the wave
SKUS = [f"SKU-{k:04d}" for k in range(100, 260)]


def _order(client: httpx.Client, order_id: int) -> dict[str, Any]:
    return client.get(f"/api/v1/orders/{order_id}").json()


def _allocated(client: httpx.Client, skus: list[str]) -> dict[str, int]:
    out = {}
    for sku in skus:
        rows = client.get("/api/v1/stock/", params={"sku": sku}).json()
        out[sku] = sum(r["allocated"] for r in rows)
    return out


def _cancel(integration: httpx.Client, order: dict[str, Any]) -> None:
    r = integration.post(f"/api/v1/orders/{order['id']}/cancel", headers=idem())
    assert r.status_code == 200, r.text


def _same_login(server: ThreadServer, client: httpx.Client) -> httpx.Client:
    """A client of its own for another thread, with the supervisor's token (a fresh login
    would be a slow PIN check on the server while the test measures it)."""
    return api.client(server.url, client.headers["Authorization"].removeprefix("Bearer "))


@pytest.fixture(scope="module")
def big_wave(new_order: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """BIG orders of two units on two SKUs each, all READY."""
    rng = random.Random(7)
    return [new_order(*((sku, 1) for sku in rng.sample(SKUS, 2))) for _ in range(BIG)]


@pytest.fixture()
def after_planning() -> Iterator[tuple[threading.Event, threading.Event]]:
    """(planned, go): the planner's thread sets `planned` once its plan is made, then waits
    for `go` before the plan is written."""
    planned, go = threading.Event(), threading.Event()

    def hook(stage: str) -> None:
        if stage == "planned" and not planned.is_set():
            planned.set()
            assert go.wait(60), "the test never let the release go on"

    waves.stage_hooks.append(hook)
    try:
        yield planned, go
    finally:
        go.set()
        waves.stage_hooks.remove(hook)


def test_a_preview_lists_every_open_order_it_leaves_out_and_why(supervisor, new_order):
    backordered = new_order(("SKU-0005", 900))
    unpaid = new_order(("SKU-0006", 1), status="awaiting_payment")
    held = new_order(("SKU-0006", 1), status="on_hold")
    nowhere = new_order(("SKU-0007", 1), ship_to=SHIP_TO | {"line1": ""})
    fine = new_order(("SKU-0007", 1))
    assert backordered["status"] == "backordered"
    # No order ids: the preview looks at every open order, not only the ready ones.
    plan = supervisor.post("/api/v1/waves/plan", json={"max_orders": 500}).json()
    reasons = {x["order_id"]: x["reason"] for x in plan["left_out"]}
    assert reasons[backordered["id"]] == "backordered"
    assert reasons[unpaid["id"]] == "awaiting_payment"
    assert reasons[held["id"]] == "on_hold"
    assert reasons[nowhere["id"]] == "no_address"
    assert fine["id"] in {o["id"] for b in plan["batches"] for o in b["orders"]}
    only = supervisor.post("/api/v1/waves/plan", json={"order_ids": [backordered["id"]]}).json()
    assert only["orders"] == 0 and only["left_out"] == [
        {
            "order_id": backordered["id"],
            "reference": backordered["reference"],
            "reason": "backordered",
        }
    ]


def test_a_wave_is_released_as_it_was_previewed_and_only_once(supervisor, new_order, violations):
    a = new_order(("SKU-0011", 2), ("SKU-0012", 1))
    b = new_order(("SKU-0014", 1), ("SKU-0012", 1))
    preview = supervisor.post("/api/v1/waves/plan", json={"order_ids": [a["id"], b["id"]]}).json()
    url = f"/api/v1/waves/previews/{preview['preview_id']}/release"
    r = supervisor.post(url, headers=idem())
    assert r.status_code == 201, r.text
    wave = r.json()
    assert wave["status"] == "released" and wave["batches"] == preview["batches"]
    assert (wave["orders"], wave["units"]) == (preview["orders"], preview["units"]) == (2, 5)
    assert _order(supervisor, a["id"])["status"] == "in_wave"
    problem(supervisor.post(url, headers=idem()), 404, "unknown_preview")
    assert violations() == []


def test_a_preview_made_stale_by_a_cancelled_order_is_refused_and_nothing_is_written(
    supervisor, integration, new_order, violations
):
    a = new_order(("SKU-0017", 1), ("SKU-0018", 2))
    b = new_order(("SKU-0018", 1), ("SKU-0020", 1))
    skus = ["SKU-0017", "SKU-0018", "SKU-0020"]
    preview = supervisor.post("/api/v1/waves/plan", json={"order_ids": [a["id"], b["id"]]}).json()
    assert preview["orders"] == 2
    _cancel(integration, a)
    before, waves_before = _allocated(supervisor, skus), supervisor.get("/api/v1/waves/").json()
    r = supervisor.post(f"/api/v1/waves/previews/{preview['preview_id']}/release", headers=idem())
    body = problem(r, 409, "plan_stale")
    assert len(body["title"]) <= 20 and a["reference"] in body["detail"]
    assert _allocated(supervisor, skus) == before
    assert supervisor.get("/api/v1/waves/").json() == waves_before
    got = _order(supervisor, b["id"])
    assert got["status"] == "ready" and all(line["allocated"] == 0 for line in got["lines"])
    assert violations() == []


def test_a_plan_whose_orders_another_wave_took_is_refused(
    supervisor, new_order, release_wave, violations
):
    a = new_order(("SKU-0021", 1), ("SKU-0023", 1))
    b = new_order(("SKU-0024", 1), ("SKU-0023", 1))
    preview = supervisor.post("/api/v1/waves/plan", json={"order_ids": [a["id"], b["id"]]}).json()
    taken = release_wave([b["id"]])
    r = supervisor.post(f"/api/v1/waves/previews/{preview['preview_id']}/release", headers=idem())
    problem(r, 409, "plan_stale")
    assert _order(supervisor, a["id"])["status"] == "ready"
    assert [w["id"] for w in supervisor.get("/api/v1/waves/").json()][0] == taken["id"]
    assert violations() == []


def test_a_big_wave_changed_while_it_is_planned_is_refused_whole(
    server: ThreadServer, supervisor, integration, big_wave, after_planning, violations
):
    planned, go = after_planning
    ids = [o["id"] for o in big_wave]
    before, waves_before = _allocated(supervisor, SKUS), supervisor.get("/api/v1/waves/").json()
    answer: list[httpx.Response] = []
    body = {"order_ids": ids, "max_orders": BIG, "max_batches": 1000, "iterations": 50}

    def release() -> None:
        with _same_login(server, supervisor) as c:
            answer.append(c.post("/api/v1/waves/", json=body, headers=idem()))

    thread = threading.Thread(target=release)
    thread.start()
    assert planned.wait(120), "the release never finished planning"
    # The release has its plan but holds no transaction: the order can be cancelled.
    victim = big_wave[BIG // 2]
    _cancel(integration, victim)
    go.set()
    thread.join(120)
    assert not thread.is_alive(), "the release never answered"
    problem(answer[0], 409, "plan_stale")
    assert victim["reference"] in answer[0].json()["detail"]
    assert supervisor.get("/api/v1/waves/").json() == waves_before
    assert _allocated(supervisor, SKUS) == before  # nothing was allocated
    for o in big_wave[:: BIG // 8]:
        if o is not victim:
            got = _order(supervisor, o["id"])
            assert got["status"] == "ready" and got["lines"][0]["allocated"] == 0
    assert violations() == []


def test_the_server_keeps_answering_while_a_big_wave_is_planned(
    server: ThreadServer, supervisor, big_wave, after_planning, violations
):
    planned, go = after_planning
    ready = [o for o in big_wave if _order(supervisor, o["id"])["status"] == "ready"]
    assert len(ready) >= waves.POOL_FROM
    body = {
        "order_ids": [o["id"] for o in ready],
        "max_orders": BIG,
        "max_batches": 1000,
        "iterations": 10_000,
        "time_budget_s": 3,
    }
    answer: list[httpx.Response] = []
    started = time.perf_counter()

    def release() -> None:
        with _same_login(server, supervisor) as c:
            answer.append(c.post("/api/v1/waves/", json=body, headers=idem()))

    thread = threading.Thread(target=release)
    thread.start()
    waits: list[float] = []
    with httpx.Client(base_url=server.url, timeout=30) as probe:
        # Health and an order read, over and over, for as long as the planner plans.
        while not planned.is_set() and thread.is_alive():
            t = time.perf_counter()
            assert probe.get("/health").status_code == 200
            assert supervisor.get(f"/api/v1/orders/{ready[0]['id']}").status_code == 200
            waits.append(time.perf_counter() - t)
            assert time.perf_counter() - started < 120, "the planner never finished"
    planning_s = time.perf_counter() - started
    go.set()
    thread.join(120)
    assert answer and answer[0].status_code == 201, answer[0].text if answer else "no answer"
    assert answer[0].json()["orders"] == len(ready)
    # The planning took seconds; no probe waited for it (planned on the event loop, one
    # probe would wait nearly all of it). The bound is loose: two cores, shared.
    waits.sort()
    assert planning_s > 1.0 and len(waits) >= 10, (planning_s, waits)
    assert waits[-1] < planning_s / 4, (waits, planning_s)
    assert waits[len(waits) // 2] < 0.25, (waits, planning_s)
    assert violations() == []
