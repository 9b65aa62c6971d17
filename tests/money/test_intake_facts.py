"""The facts an order brings at intake, on plain values: who funded which discount, the fee."""

from __future__ import annotations

from decimal import Decimal as D

from tests.fakes.payloads import fixture
from wms.channels import tiktok
from wms.domain.orders import Attribution, ChannelKind, OrderIn, OrderLineIn, OrderStatus
from wms.services.money_facts import e4, intake_facts


def _facts(order: OrderIn, fee: str = "0") -> dict[tuple[int | None, str], D]:
    rows = intake_facts(7, [101, 102][: len(order.lines)], order, D(fee))
    assert all(r["order_id"] == 7 for r in rows)
    return {(r["line_id"], r["kind"]): D(r["amount_e4"]).scaleb(-4) for r in rows}


def _order(*lines: OrderLineIn, **fields: object) -> OrderIn:
    return OrderIn(ChannelKind.OWN, "X1", OrderStatus.READY, "USD", tuple(lines), **fields)  # type: ignore[arg-type]


def test_tiktoks_platform_discount_is_kept_apart_from_the_sellers() -> None:
    order = tiktok.map_order(fixture("tiktok_order_detail.json")["data"]["orders"][0])
    facts = _facts(order, "5.07")
    # SKU-0042: 3 × 19.99 less the seller's 1.00 + 1.00; TikTok's 2.00 is not the seller's.
    assert facts[(101, "revenue")] == D("57.97")
    assert facts[(101, "seller_discount")] == D("2.00")
    assert facts[(101, "platform_discount")] == D("2.00")
    assert facts[(102, "revenue")] == D("13.00")
    assert (102, "platform_discount") not in facts
    assert facts[(101, "fee")] + facts[(102, "fee")] == D("5.07")
    assert facts[(None, "tax")] == D("5.52")


def test_an_order_level_coupon_is_the_sellers_and_is_spread_by_revenue() -> None:
    order = _order(
        OrderLineIn("A", 1, D("30.00")), OrderLineIn("B", 1, D("10.00")), discount=D("4.00")
    )
    facts = _facts(order)
    assert facts[(101, "revenue")] == D("27.00") and facts[(102, "revenue")] == D("9.00")
    assert facts[(101, "seller_discount")] == D("3.00")


def test_gift_lines_and_sample_orders_earn_nothing() -> None:
    gift = _facts(_order(OrderLineIn("A", 2, D("5.00")), OrderLineIn("B", 1, D("3.00"), gift=True)))
    assert gift[(102, "revenue")] == D("0.00") and gift[(101, "revenue")] == D("10.00")
    sample = _facts(_order(OrderLineIn("A", 1, D("20.00")), sample=True))
    assert sample[(101, "revenue")] == D("0.00")
    assert (101, "seller_discount") not in sample


def test_an_order_level_commission_is_split_over_the_lines_by_revenue() -> None:
    order = _order(
        OrderLineIn("A", 1, D("30.00")),
        OrderLineIn("B", 1, D("10.00")),
        attribution=Attribution("maya", "LIVE", "live-1", D("4.00")),
    )
    facts = _facts(order)
    assert facts[(101, "commission")] == D("3.00") and facts[(102, "commission")] == D("1.00")


def test_amounts_are_kept_as_exact_ten_thousandths() -> None:
    assert e4(D("19.9999")) == 199999
    assert e4(D("-1.25")) == -12500
