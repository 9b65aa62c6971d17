"""Money is bounded by its columns (NUMERIC(14, 4)) wherever it enters, and at the column."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import StatementError

from wms.channels.common import to_decimal
from wms.channels.csv_import import parse_orders_csv
from wms.channels.errors import BadPayload, CsvImportError
from wms.channels.own import parse_order
from wms.domain.bounds import MAX_MONEY, AmountOutOfRange, money_in_range
from wms.models.common import Money

TOO_BIG = ("1e999", "1e10", "10000000000", "-1e10", "9999999999.99995", "NaN", "Infinity")


@pytest.mark.parametrize("text", TOO_BIG)
def test_an_amount_the_columns_cannot_hold_is_refused(text):
    with pytest.raises(AmountOutOfRange):
        money_in_range(Decimal(text))


def test_amounts_within_the_columns_keep_their_value_rounded_to_four_places():
    assert money_in_range(Decimal("9999999999.9999")) == Decimal("9999999999.9999")
    assert money_in_range(Decimal("1.23456")) == Decimal("1.2346")
    assert money_in_range(Decimal("12.5")) == Decimal("12.5")
    assert Decimal("1e10") == MAX_MONEY


@pytest.mark.parametrize("value", ["1e999", "1e10", 1e10, "NaN"])
def test_a_channel_amount_too_large_is_a_bad_payload(value):
    with pytest.raises(BadPayload):
        to_decimal(value, "price")


def test_the_own_shop_payload_refuses_an_amount_too_large():
    body = (
        b'{"order_id": "X1", "currency": "USD", "ship_to": {"name": "A", "line1": "1", '
        b'"city": "C", "postal_code": "1", "country": "US"}, '
        b'"lines": [{"sku": "S", "qty": 100000, "unit_price": 9e999999}]}'
    )
    with pytest.raises(BadPayload):
        parse_order(body)


def test_a_csv_row_with_an_amount_too_large_is_named():
    with pytest.raises(CsvImportError) as caught:
        parse_orders_csv("order_id,sku,qty,unit_price,currency\nA,S,1,1e10,USD\n")
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, "unit_price")]


def test_the_money_column_refuses_what_it_cannot_hold_and_stores_nothing(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    table = sa.Table("t", sa.MetaData(), sa.Column("amount", Money()))
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), {"amount": Decimal("1.23456")})
    with pytest.raises(StatementError) as caught, engine.begin() as conn:
        conn.execute(table.insert(), {"amount": Decimal("1e999")})
    assert isinstance(caught.value.orig, AmountOutOfRange)
    with engine.connect() as conn:
        assert conn.execute(sa.select(table.c.amount)).scalars().all() == [Decimal("1.2346")]
