"""The wave preview weighs the plan against first come, first served, and says the pick time."""

from __future__ import annotations

import re

import httpx

from tests.web.conftest import new_order


def planned(supervisor: httpx.Client, ids: list[int], totes: int) -> dict:
    body = {"order_ids": ids, "iterations": 200, "cart_totes": totes}
    r = supervisor.post("/api/v1/waves/plan", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_preview_shows_the_fcfs_walk_of_the_same_orders_and_the_pick_time(
    console: httpx.Client, integration: httpx.Client, supervisor: httpx.Client
):
    # Arrival order alternates between the first aisle and the last: FCFS pairs a near
    # order with a far one in each cart; the planner pairs the near ones and the far ones.
    skus = ["SKU-0002", "SKU-0219", "SKU-0003", "SKU-0238"]
    ids = [new_order(integration, (sku, 1))["id"] for sku in skus]
    paired = planned(supervisor, ids, 2)
    first, second = planned(supervisor, ids[:2], 2), planned(supervisor, ids[2:], 2)
    # FCFS's carts are the arrival pairs: each walk is what the planner gives that pair alone.
    assert paired["fcfs_distance_m"] == round(first["distance_m"] + second["distance_m"], 1)
    assert paired["distance_m"] < paired["fcfs_distance_m"]
    alone = planned(supervisor, ids, 1)  # one order a cart: FCFS is the plan
    assert alone["fcfs_distance_m"] == alone["distance_m"]
    form = {"order_ids": ",".join(map(str, ids)), "cart_totes": "2", "iterations": "200"}
    page = console.post("/ui/waves/preview", data=form).text
    shown = re.search(r'<p class="versus" id="versus_fcfs">(.*?)</p>', page, re.S)
    assert shown, page
    saved = round(100 * (paired["fcfs_distance_m"] - paired["distance_m"])
                  / paired["fcfs_distance_m"])  # fmt: skip
    est = paired["est_seconds"]
    assert shown.group(1) == (
        f"Walk {paired['distance_m']} m against {paired['fcfs_distance_m']} m first come, "
        f"first served ({saved} % shorter); estimated pick time {est // 60} min {est % 60} s"
    )
