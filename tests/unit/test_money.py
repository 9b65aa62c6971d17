"""The money rules on plain values: revenue, margin, conversion, average cost, rate files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from wms.domain.money import (
    LineKind,
    LineMoney,
    MoneyError,
    RateTable,
    convert,
    line_revenue,
    margin_pct,
    order_money,
    parse_ecb_csv,
    return_cost,
    split_by_weight,
    weighted_average_cost,
)

ECB = """Date,USD,JPY,GBP,
2026-11-06,1.0800,162.50,0.8400,
2026-11-05,1.0750,N/A,0.8350,
2026-11-04,1.0700,161.00,,
"""


def test_line_revenue_is_price_times_qty_less_the_seller_discount() -> None:
    assert line_revenue(D("19.99"), 3, D("5.00")) == D("54.97")


def test_a_platform_discount_is_not_the_sellers_cost() -> None:
    # TikTok pays the platform discount back: only the seller's part reduces revenue.
    assert line_revenue(D("30.00"), 1, D("3.00")) == D("27.00")


def test_gift_and_sample_lines_earn_nothing() -> None:
    assert line_revenue(D("12.00"), 2, kind=LineKind.GIFT) == D("0.00")
    assert line_revenue(D("12.00"), 1, kind=LineKind.SAMPLE) == D("0.00")


def test_a_negative_price_or_quantity_is_refused() -> None:
    with pytest.raises(MoneyError) as err:
        line_revenue(D("-1"), 1)
    assert err.value.code == "negative_money"
    with pytest.raises(MoneyError):
        line_revenue(D("1"), 0)


def test_contribution_margin_subtracts_every_cost_per_line_then_per_order() -> None:
    a = LineMoney(D("50.00"), D("20.00"), D("2.50"), D("7.50"), D("3.20"), D("0.40"), D("0"))
    b = LineMoney(D("0.00"), D("4.00"), D("0"), D("0"), D("0.80"), D("0.10"), D("0"))
    assert a.margin == D("16.40")
    assert b.margin == D("-4.90")
    total = order_money([a, b])
    assert total.revenue == D("50.00")
    assert total.costs == D("38.50")
    assert total.margin == D("11.50") == a.margin + b.margin


def test_margin_percent_is_of_revenue_and_absent_without_revenue() -> None:
    assert margin_pct(D("50.00"), D("11.50")) == D("23.00")
    assert margin_pct(D("0"), D("-4.90")) is None


def test_a_return_costs_refund_and_label_less_restocked_goods() -> None:
    # Two units back, one restocked at 4.00, one scrapped (its cost stays in goods).
    assert return_cost(D("20.00"), D("4.50"), 1, D("4.00")) == D("20.50")
    with pytest.raises(MoneyError):
        return_cost(D("-1"), D("0"), 0, D("1"))


def test_shipping_split_by_weight_sums_to_the_parcel_cost_to_the_cent() -> None:
    shares = split_by_weight(D("10.00"), [1, 1, 1])
    assert shares == [D("3.34"), D("3.33"), D("3.33")]
    assert sum(split_by_weight(D("7.99"), [250, 750, 333])) == D("7.99")
    assert split_by_weight(D("4.00"), [0, 0]) == [D("2.00"), D("2.00")]
    assert split_by_weight(D("6.00"), [200, 100]) == [D("4.00"), D("2.00")]


def test_weighted_average_cost_blends_a_receipt_with_the_stock_on_hand() -> None:
    assert weighted_average_cost(10, D("4.00"), 10, D("5.00")) == D("4.5000")
    assert weighted_average_cost(3, D("1.00"), 1, D("2.00")) == D("1.2500")
    assert weighted_average_cost(0, D("9.99"), 5, D("3.10")) == D("3.1000")


def test_a_negative_receipt_cost_is_refused() -> None:
    with pytest.raises(MoneyError) as err:
        weighted_average_cost(1, D("1"), 1, D("-0.01"))
    assert err.value.code == "negative_cost"


def test_conversion_goes_through_eur_at_the_orders_day() -> None:
    table = RateTable.of(parse_ecb_csv(ECB))
    usd = convert(D("108.00"), "USD", "EUR", date(2026, 11, 6), table)
    assert usd.amount == D("100.00") and usd.rate_day == date(2026, 11, 6)
    gbp = convert(D("108.00"), "USD", "GBP", date(2026, 11, 6), table)
    assert gbp.amount == D("84.00")
    assert convert(D("1.00"), "EUR", "EUR", date(2000, 1, 1), table).amount == D("1.00")


def test_a_weekend_order_uses_the_last_earlier_working_days_rate() -> None:
    table = RateTable.of(parse_ecb_csv(ECB))
    saturday = convert(D("10.80"), "USD", "EUR", date(2026, 11, 7), table)
    assert saturday.amount == D("10.00") and saturday.rate_day == date(2026, 11, 6)
    # N/A on the 5th for JPY: the 4th's rate stands in.
    jpy = convert(D("16100"), "JPY", "EUR", date(2026, 11, 5), table)
    assert jpy.amount == D("100.00") and jpy.rate_day == date(2026, 11, 4)


def test_a_missing_rate_is_a_flag_never_one() -> None:
    table = RateTable.of(parse_ecb_csv(ECB))
    before = convert(D("10.00"), "USD", "EUR", date(2026, 11, 3), table)
    assert before.missing_rate and before.amount is None and before.rate is None
    assert convert(D("10.00"), "CHF", "EUR", date(2026, 11, 6), table).missing_rate
    long_gap = convert(D("10.00"), "USD", "EUR", date(2026, 11, 20), table)
    assert long_gap.missing_rate


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Date,USX\n2026-11-06,1.08\n", "unknown_currency"),
        ("Date,USD\n06/11/2026,1.08\n", "bad_rate_day"),
        ("Date,USD\n2026-11-06,-1.08\n", "bad_rate"),
        ("Date,USD\n2026-11-06,0\n", "bad_rate"),
        ("Date,USD\n2026-11-06,abc\n", "bad_rate"),
        ("Date,USD\n2026-11-06,1.08\n2026-11-06,1.09\n", "bad_rate_day"),
        ("Day,USD\n2026-11-06,1.08\n", "bad_rate_header"),
        ("", "empty_rate_file"),
        ("Date,USD\n2026-11-06,N/A\n", "empty_rate_file"),
        ("Date,USD\n2026-11-06,1.08,2.0\n", "bad_rate_row"),
    ],
)
def test_a_bad_rate_file_is_refused_with_a_stable_code(text: str, code: str) -> None:
    with pytest.raises(MoneyError) as err:
        parse_ecb_csv(text)
    assert err.value.code == code


def test_the_ecb_file_reads_with_its_trailing_commas_and_blank_cells() -> None:
    rows = parse_ecb_csv(ECB)
    assert (date(2026, 11, 4), "GBP", D("0.8400")) not in rows
    assert len(rows) == 7  # nine cells, less one N/A and one empty
    assert (date(2026, 11, 6), "JPY", D("162.50")) in rows
