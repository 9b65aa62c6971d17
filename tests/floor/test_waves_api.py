"""Waves through the API: a preview changes nothing, release and cancel keep `wms check` clean."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.api import idem, problem


def _stock(client, sku: str) -> list[tuple[str, int, int]]:
    rows = client.get("/api/v1/stock/", params={"sku": sku}).json()
    return [(r["location"], r["on_hand"], r["allocated"]) for r in rows]


def _order(client, order_id: int) -> dict:
    return client.get(f"/api/v1/orders/{order_id}").json()


def test_a_wave_preview_shows_batches_and_changes_nothing(supervisor, new_order, violations):
    a = new_order(("SKU-0003", 2), ("SKU-0002", 1))
    b = new_order(("SKU-0004", 3))
    before = [_stock(supervisor, s) for s in ("SKU-0002", "SKU-0003", "SKU-0004")]
    waves = supervisor.get("/api/v1/waves/").json()
    r = supervisor.post("/api/v1/waves/plan", json={"order_ids": [a["id"], b["id"]]})
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["orders"] == 2 and plan["units"] == 6
    assert plan["distance_m"] > 0 and plan["est_seconds"] > 0
    assert {o["id"] for batch in plan["batches"] for o in batch["orders"]} == {a["id"], b["id"]}
    assert [_stock(supervisor, s) for s in ("SKU-0002", "SKU-0003", "SKU-0004")] == before
    assert _order(supervisor, a["id"])["status"] == "ready"
    assert supervisor.get("/api/v1/waves/").json() == waves
    assert violations() == []


def test_releasing_a_wave_allocates_every_line_and_puts_orders_in_the_wave(
    supervisor, new_order, release_wave, violations
):
    a = new_order(("SKU-0013", 4))
    b = new_order(("SKU-0016", 2), ("SKU-0019", 1))
    wave = release_wave([a["id"], b["id"]])
    assert wave["status"] == "released" and wave["orders"] == 2
    for order in (a, b):
        got = _order(supervisor, order["id"])
        assert got["status"] == "in_wave"
        assert all(line["allocated"] == line["qty"] for line in got["lines"])
    assert sum(alloc for _, _, alloc in _stock(supervisor, "SKU-0013")) == 4
    detail = supervisor.get(f"/api/v1/waves/{wave['id']}").json()
    batch = supervisor.get(f"/api/v1/batches/{detail['batches'][0]['id']}").json()
    # Invariant 4: the tasks of a line add up to what it has allocated.
    assert sum(s["qty"] for s in batch["stops"] if s["sku"] == "SKU-0013") == 4
    assert batch["status"] == "released" and batch["drop_location"].startswith("STAGE-")
    assert violations() == []


def test_cancelling_a_wave_gives_everything_back(supervisor, new_order, release_wave, violations):
    order = new_order(("SKU-0022", 5))
    before = _stock(supervisor, "SKU-0022")
    wave = release_wave([order["id"]])
    assert _stock(supervisor, "SKU-0022") != before
    r = supervisor.post(f"/api/v1/waves/{wave['id']}/cancel", headers=idem())
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert _stock(supervisor, "SKU-0022") == before
    got = _order(supervisor, order["id"])
    assert got["status"] == "ready"
    assert got["lines"][0]["allocated"] == 0 and got["lines"][0]["reserved"] == 5
    again = supervisor.post(f"/api/v1/waves/{wave['id']}/cancel", headers=idem())
    problem(again, 409, "wave_closed")
    wave = release_wave([order["id"]])
    plan = supervisor.post("/api/v1/waves/plan", json={"order_ids": [order["id"]]}).json()
    assert plan["left_out"] == [
        {"order_id": order["id"], "reference": order["reference"], "reason": "not_ready"}
    ]
    assert supervisor.post(f"/api/v1/waves/{wave['id']}/cancel", headers=idem()).status_code == 200
    assert violations() == []


def test_single_unit_orders_of_one_sku_become_one_bulk_stop(supervisor, new_order, release_wave):
    orders = [new_order(("SKU-0025", 1)) for _ in range(3)]
    wave = release_wave([o["id"] for o in orders])
    [batch] = wave["batches"]
    assert batch["kind"] == "bulk" and batch["stops"] == 1 and batch["units"] == 3
    detail = supervisor.get(f"/api/v1/waves/{wave['id']}").json()
    view = supervisor.get(f"/api/v1/batches/{detail['batches'][0]['id']}").json()
    [stop] = view["stops"]
    assert (stop["qty"], stop["slot"], stop["tote"], stop["order_id"]) == (3, None, None, None)


def test_rules_leave_orders_out_with_reasons(supervisor, new_order):
    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    late = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    urgent = new_order(("SKU-0028", 1), ("SKU-0002", 1), ship_by=soon, priority=5)
    later = new_order(("SKU-0028", 2), ship_by=late)
    single = new_order(("SKU-0034", 1), ship_by=soon)
    r = supervisor.post(
        "/api/v1/waves/plan",
        json={
            "order_ids": [urgent["id"], later["id"], single["id"]],
            "ship_by_before": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
            "segment": "multi",
        },
    )
    assert r.status_code == 200, r.text
    plan = r.json()
    assert [o["id"] for b in plan["batches"] for o in b["orders"]] == [urgent["id"]]
    reasons = {x["order_id"]: x["reason"] for x in plan["left_out"]}
    assert reasons == {later["id"]: "not_due", single["id"]: "segment"}
    capped = supervisor.post(
        "/api/v1/waves/plan",
        json={"order_ids": [urgent["id"], later["id"]], "max_orders": 1},
    ).json()
    # The order due first goes first; the cap leaves the other out, saying why.
    assert [o["id"] for b in capped["batches"] for o in b["orders"]] == [urgent["id"]]
    assert capped["left_out"] == [
        {"order_id": later["id"], "reference": later["reference"], "reason": "max_orders"}
    ]


def test_caps_on_batches_and_filters_on_channels_say_why_orders_stay_out(supervisor, new_order):
    a = new_order(("SKU-0040", 1), ("SKU-0002", 1))
    b = new_order(("SKU-0043", 1), ("SKU-0002", 1))
    ids = [a["id"], b["id"]]
    plan = supervisor.post(
        "/api/v1/waves/plan", json={"order_ids": ids, "cart_totes": 1, "max_batches": 1}
    ).json()
    assert len(plan["batches"]) == 1 and plan["orders"] == 1
    assert [x["reason"] for x in plan["left_out"]] == ["max_batches"]
    plan = supervisor.post(
        "/api/v1/waves/plan", json={"order_ids": ids, "channels": ["tiktok-main"]}
    ).json()
    assert plan["batches"] == [] and {x["reason"] for x in plan["left_out"]} == {"channel"}


def test_a_carrier_cutoff_makes_its_orders_go_first(supervisor, new_order):
    ups = new_order(("SKU-0040", 1), ("SKU-0002", 1), carrier="ups")
    dhl = new_order(("SKU-0040", 1), ("SKU-0002", 1), carrier="dhl")
    cut = (datetime.now(UTC) + timedelta(minutes=30)).strftime("%H:%M")
    plan = supervisor.post(
        "/api/v1/waves/plan",
        json={"order_ids": [dhl["id"], ups["id"]], "cutoffs": {"ups": cut}, "max_orders": 1},
    ).json()
    assert [o["id"] for b in plan["batches"] for o in b["orders"]] == [ups["id"]]


def test_releasing_with_nothing_to_pick_is_refused(supervisor):
    r = supervisor.post("/api/v1/waves/", json={"order_ids": [999999]}, headers=idem())
    problem(r, 422, "nothing_to_release")


def test_waves_are_for_supervisors(picker):
    problem(picker.post("/api/v1/waves/plan", json={}), 403, "forbidden")


def test_a_batch_route_is_drawn_as_svg(supervisor, new_order, release_wave):
    order = new_order(("SKU-0043", 1), ("SKU-0004", 1))
    wave = release_wave([order["id"]])
    batch_id = supervisor.get(f"/api/v1/waves/{wave['id']}").json()["batches"][0]["id"]
    r = supervisor.get(f"/api/v1/batches/{batch_id}/route.svg")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg") and r.text.count('class="stop"') == 2
    assert 'class="route"' in r.text
