"""The wave planner without a database: selection, reasons, allocation, bulk picks, trips."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from wms.domain.batching import Cart
from wms.domain.layout import Layout
from wms.domain.waves import (
    DEFAULT_RULES,
    REASONS,
    Free,
    PlanLine,
    PlanOrder,
    WaveRules,
    bulk_picks,
    plan_wave,
    select_orders,
)

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "layout.json"
NOW = datetime(2026, 11, 26, 12, 0)


@pytest.fixture(scope="module")
def layout() -> Layout:
    return Layout.from_file(DEMO)


def _order(oid: str, *lines: tuple[str, int, str], **kw) -> PlanOrder:
    return PlanOrder(oid, tuple(PlanLine(s, q, loc) for s, q, loc in lines), **kw)


def test_the_earliest_cutoff_goes_first_then_priority():
    a = _order("a", ("X", 1, "A01-01-1"), cutoff=NOW + timedelta(hours=3))
    b = _order("b", ("X", 1, "A01-01-1"), cutoff=NOW + timedelta(hours=1))
    c = _order("c", ("X", 1, "A01-01-1"), cutoff=NOW + timedelta(hours=3), priority=5)
    chosen, left = select_orders([a, b, c], WaveRules())
    assert [o.id for o in chosen] == ["b", "c", "a"] and not left


def test_orders_outside_the_rules_or_over_a_cap_are_left_out_with_a_reason():
    orders = [
        _order("ups", ("X", 1, "A01-01-1"), carrier="UPS"),
        _order("dhl1", ("X", 2, "A01-01-1"), carrier="DHL", ship_by=NOW),
        _order("dhl2", ("X", 3, "A01-01-1"), carrier="DHL", ship_by=NOW + timedelta(hours=1)),
        _order("dhl3", ("X", 1, "A01-01-1"), carrier="DHL", ship_by=NOW + timedelta(days=3)),
    ]
    rules = WaveRules(
        carriers=frozenset({"DHL"}), max_units=4, ship_by_before=NOW + timedelta(days=1)
    )
    chosen, left = select_orders(orders, rules)
    assert [o.id for o in chosen] == ["dhl1"]
    reasons = {o.id: r for o, r in left}
    assert reasons["ups"] == "carrier"
    assert reasons["dhl2"] == "max_units"
    assert reasons["dhl3"] == "not_due"


def test_a_single_unit_wave_takes_only_single_unit_orders():
    one = _order("one", ("X", 1, "A01-01-1"))
    two = _order("two", ("X", 2, "A01-01-1"))
    chosen, left = select_orders([one, two], WaveRules(segment="single"))
    assert [o.id for o in chosen] == ["one"] and left[0][0].id == "two"


def test_hundreds_of_one_item_orders_of_a_sku_become_one_bulk_pick():
    orders = [_order(f"o{k}", ("HOT", 1, "A02-05-1")) for k in range(300)]
    orders += [_order("few1", ("RARE", 1, "B12-03-2")), _order("multi", ("HOT", 2, "A02-05-1"))]
    bulk, rest = bulk_picks(orders, min_orders=20)
    assert len(bulk) == 1
    assert (bulk[0].sku, bulk[0].location, bulk[0].qty) == ("HOT", "A02-05-1", 300)
    assert len(bulk[0].orders) == 300
    assert [o.id for o in rest] == ["few1", "multi"]


def _random_orders(layout: Layout, n: int, seed: int) -> list[PlanOrder]:
    rng = random.Random(seed)
    picks = [loc.code for loc in layout.locations() if loc.kind == "pick"]
    out = []
    for k in range(n):
        lines = tuple(
            PlanLine(f"SKU{rng.randrange(500)}", rng.randint(1, 3), rng.choice(picks))
            for _ in range(rng.randint(1, 4))
        )
        out.append(
            PlanOrder(
                f"O{k}",
                lines,
                ship_by=NOW + timedelta(minutes=rng.randint(0, 600)),
                priority=rng.randint(0, 2),
                volume=rng.uniform(0.5, 8),
            )
        )
    return out


def test_a_planned_wave_accounts_for_every_order_and_every_line(layout):
    orders = _random_orders(layout, 50, 1)
    orders.append(_order("ghost", ("X", 1, "Z99-99-9"), ship_by=NOW))
    rules = WaveRules(max_orders=45, max_batches=6)
    cart = Cart(totes=8, volume=40.0)
    plan = plan_wave(
        orders, rules, layout, cart, seed=3, time_budget_s=float("inf"), max_iterations=5
    )
    batched = [oid for b in plan.batches for oid in b.orders]
    bulked = [oid for bp in plan.bulk_picks for oid in bp.orders]
    left = [o.id for o, _ in plan.left_out]
    assert sorted(batched + bulked + left) == sorted(o.id for o in orders)
    assert len(plan.batches) <= 6
    assert dict((o.id, r) for o, r in plan.left_out)["ghost"] == "no_location"
    by_id = {o.id: o for o in orders}
    for b in plan.batches:
        assert sorted(s for slots in b.totes.values() for s in slots) == list(
            range(1, len(b.orders) + 1)
        )
        want = sorted(
            (ln.location, ln.sku, ln.qty, oid) for oid in b.orders for ln in by_id[oid].lines
        )
        assert sorted((s.location, s.sku, s.qty, s.order_id) for s in b.stops) == want
        assert b.distance_m > 0 and b.est_pick_seconds > b.distance_m


def test_the_same_wave_and_seed_give_the_same_plan(layout):
    orders = _random_orders(layout, 24, 2)
    plans = [
        plan_wave(
            orders,
            WaveRules(),
            layout,
            Cart(totes=6),
            seed=1,
            time_budget_s=float("inf"),
            max_iterations=5,
        )
        for _ in range(2)
    ]
    assert plans[0].batches == plans[1].batches


def test_an_order_due_exactly_at_the_horizon_goes_into_the_wave():
    # An order due at the horizon is late if this wave skips it: the horizon is inclusive.
    at = _order("at", ("X", 1, "A01-01-1"), ship_by=NOW)
    after = _order("after", ("X", 1, "A01-01-1"), ship_by=NOW + timedelta(seconds=1))
    chosen, left = select_orders([at, after], WaveRules(ship_by_before=NOW))
    assert [o.id for o in chosen] == ["at"]
    assert [(x.order.id, x.reason) for x in left] == [("after", "not_due")]


def test_two_single_unit_orders_of_one_sku_share_a_bulk_trip_by_default(layout):
    orders = [_order(f"s{k}", ("HOT", 1, "A02-05-1")) for k in range(2)]
    orders.append(_order("lone", ("COLD", 1, "A03-07-1")))
    plan = plan_wave(orders, WaveRules(), layout, max_iterations=0)
    kinds = {b.kind: b for b in plan.batches}
    assert [(s.sku, s.qty, s.tote) for s in kinds["bulk"].stops] == [("HOT", 2, None)]
    assert kinds["bulk"].orders == ("s0", "s1") and kinds["cart"].orders == ("lone",)
    assert [(bp.sku, bp.location, bp.qty) for bp in plan.bulk_picks] == [("HOT", "A02-05-1", 2)]


def test_a_trip_is_priced_by_its_walk_its_stops_and_its_units(layout):
    order = _order("o", ("A", 2, "A01-03-1"), ("B", 1, "A04-10-1"))
    [batch] = plan_wave([order], WaveRules(), layout, max_iterations=0).batches
    # Twelve seconds a stop: location, item, quantity and tote on the terminal.
    assert batch.est_pick_seconds == pytest.approx(batch.distance_m + 2 * 12.0 + 3 * 3.0)


def test_the_api_takes_every_default_from_the_planner():
    from wms.api.waves import Rules

    assert Rules().to_rules() == DEFAULT_RULES == WaveRules()
    assert DEFAULT_RULES.bulk_min_orders == 2


def test_orders_not_ready_are_left_out_with_their_own_reason():
    line = ("X", 1, "A01-01-1")
    orders = [
        _order("bo", line, status="backordered"),
        _order("pay", line, status="awaiting_payment"),
        _order("hold", line, status="on_hold"),
        _order("gone", line, status="in_wave"),
        _order("nowhere", line, has_address=False),
        _order("short", line, unreserved=1),
        _order("ok", line),
    ]
    chosen, left = select_orders(orders, WaveRules())
    assert [o.id for o in chosen] == ["ok"]
    assert {x.order.id: x.reason for x in left} == {
        "bo": "backordered",
        "pay": "awaiting_payment",
        "hold": "on_hold",
        "gone": "not_ready",
        "nowhere": "no_address",
        "short": "not_reserved",
    }
    assert all(x.reason in REASONS for x in left)


def _free(stock_id: int, code: str, layout: Layout, free: int, **kw) -> Free:
    row = dict(kind="pick", lot="", expiry=None) | kw
    return Free(
        stock_id,
        1,
        stock_id,
        code,
        row["kind"],
        row["lot"],
        row["expiry"],
        free,
        layout.point_of(code),
    )


def test_lines_are_allocated_from_free_stock_most_urgent_order_first(layout):
    stock = {
        "X": [
            _free(1, "A01-01-1", layout, 3),
            _free(2, "A05-20-1", layout, 2, expiry=date(2027, 1, 1), lot="L1"),
        ]
    }
    urgent = PlanOrder("u", (PlanLine("X", 4, line_id=10),), ship_by=NOW)
    later = PlanOrder("l", (PlanLine("X", 2, line_id=11),), ship_by=NOW + timedelta(hours=1))
    plan = plan_wave([later, urgent], WaveRules(), layout.geometry, stock=stock, now=NOW)
    [batch] = plan.batches
    # FEFO: the expiring lot first, then the rest from the other row; nothing is left.
    assert sorted((s.picks[0].row.stock_id, s.qty) for s in batch.stops) == [(1, 2), (2, 2)]
    assert [(x.order.id, x.reason) for x in plan.left_out] == [("l", "no_stock_in_racks")]
    assert [r.free for r in stock["X"]] == [1, 0]


def test_the_least_urgent_trips_stay_out_beyond_the_cap_on_trips(layout):
    orders = [
        _order(
            f"o{k}",
            ("X", 1, f"A0{k + 1}-01-1"),
            (f"Y{k}", 1, "A01-02-1"),
            ship_by=NOW + timedelta(hours=k),
        )
        for k in range(3)
    ]
    plan = plan_wave(orders, WaveRules(max_batches=2), layout, Cart(totes=1), max_iterations=0)
    assert [b.orders for b in plan.batches] == [("o0",), ("o1",)]
    assert [(x.order.id, x.reason) for x in plan.left_out] == [("o2", "max_batches")]
