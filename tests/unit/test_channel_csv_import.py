"""CSV import: grouped by order_id, every bad row reported, nothing half-imported."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.fakes.payloads import fixture_bytes
from wms.channels.csv_import import parse_orders_csv
from wms.channels.errors import CsvImportError
from wms.domain.orders import ChannelKind, OrderStatus

HEADER = "order_id,sku,qty,unit_price,currency,name,address1,city,postal_code,country,ship_by"


def test_the_fixture_file_imports_three_orders_grouped_by_order_id():
    orders = parse_orders_csv(fixture_bytes("orders.csv"))
    assert [o.external_id for o in orders] == ["CSV-1001", "CSV-1002", "CSV-1003"]
    first, second, _ = orders
    assert [(line.sku, line.qty) for line in first.lines] == [("SKU-0001", 2), ("SKU-0520", 1)]
    assert first.ship_to.name == "Lena Fischer"  # order fields given once are kept
    assert first.ship_by == datetime(2026, 11, 28, 23, 59, 59, tzinfo=UTC)
    assert first.priority == 1 and first.carrier == "ups"
    assert second.ship_by == datetime(2026, 11, 27, 15, tzinfo=UTC)
    assert [line.sku for line in second.lines] == ["SKU-0042", "SKU-0007"]  # rows not adjacent
    assert all(o.channel_kind is ChannelKind.OWN and o.status is OrderStatus.READY for o in orders)
    assert first.total == Decimal("114.00")


def test_every_bad_row_is_reported_with_its_row_number_and_nothing_is_returned():
    text = "\n".join(
        [
            HEADER,
            "A1,SKU-0001,2,10.00,USD,Ann,1 St,Town,1000,US,",
            "A1,SKU-0002,zero,10.00,USD,,,,,,",
            "A2,,1,10.00,USD,Bo,2 St,Town,1000,US,",
            "A3,SKU-0003,1,-1,usd,Cy,3 St,Town,1000,USA,tomorrow",
        ]
    )
    with pytest.raises(CsvImportError) as err:
        parse_orders_csv(text)
    found = {(e.row, e.column) for e in err.value.errors}
    assert found == {
        (3, "qty"),
        (4, "sku"),
        (5, "unit_price"),
        (5, "country"),
        (5, "ship_by"),
    }
    assert err.value.code == "bad_csv"
    assert "row 3 qty" in err.value.message


def test_a_lower_case_currency_is_accepted_and_normalised():
    orders = parse_orders_csv(HEADER + "\nA1,SKU-0001,1,5,usd,Ann,1 St,Town,1000,US,\n")
    assert orders[0].currency == "USD"


def test_two_different_values_for_one_order_field_are_an_error():
    text = "\n".join(
        [
            HEADER,
            "A1,SKU-0001,1,10.00,USD,Ann,1 St,Town,1000,US,",
            "A1,SKU-0002,1,10.00,EUR,Ann,1 St,Town,1000,US,",
        ]
    )
    with pytest.raises(CsvImportError) as err:
        parse_orders_csv(text)
    assert [(e.row, e.column) for e in err.value.errors] == [(3, "currency")]


def test_a_missing_required_column_is_reported_on_the_header_row():
    with pytest.raises(CsvImportError) as err:
        parse_orders_csv("order_id,sku,qty\nA1,SKU-0001,1\n")
    assert {(e.row, e.column) for e in err.value.errors} == {(1, "unit_price"), (1, "currency")}


def test_an_unknown_column_is_refused_rather_than_silently_dropped():
    with pytest.raises(CsvImportError):
        parse_orders_csv("order_id,sku,qty,unit_price,currency,gift_wrap\nA1,S,1,1,USD,yes\n")


def test_a_row_with_the_wrong_number_of_cells_is_reported():
    with pytest.raises(CsvImportError) as err:
        parse_orders_csv(HEADER + "\nA1,SKU-0001,1\n")
    assert err.value.errors[0].row == 2


def test_a_byte_order_mark_and_blank_lines_are_tolerated():
    data = ("\ufeff" + HEADER + "\nA1,SKU-0001,1,5,USD,Ann,1 St,Town,1000,US,\n\n").encode()
    assert len(parse_orders_csv(data)) == 1


def test_a_file_that_is_not_utf8_is_refused():
    with pytest.raises(CsvImportError):
        parse_orders_csv(HEADER.encode() + b"\nA1,SKU-0001,1,5,USD,J\xe9r\xf4me,1 St,T,1,US,\n")


def test_an_empty_file_has_no_orders():
    with pytest.raises(CsvImportError):
        parse_orders_csv(HEADER + "\n")


def test_quoted_fields_with_commas_survive():
    text = HEADER + '\nA1,SKU-0001,1,5,USD,"Doe, Jane","1 St, Apt 2",Town,1000,US,\n'
    order = parse_orders_csv(text)[0]
    assert order.ship_to.name == "Doe, Jane" and order.ship_to.line1 == "1 St, Apt 2"
