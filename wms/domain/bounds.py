"""What the columns can hold: id range and money precision, checked before anything is stored."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal, InvalidOperation
from typing import Annotated

import msgspec

from wms.domain.orders import OrderIn

# Ids are INTEGER columns: 32 bits on PostgreSQL, the smaller of the two engines.
MAX_ID = 2**31 - 1
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]

# Money columns are NUMERIC(14, 4): ten digits before the point, four after.
MONEY_PLACES = 4
MAX_MONEY = Decimal(10) ** (14 - MONEY_PLACES)  # exclusive
_QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)


class AmountOutOfRange(ValueError):
    """An amount the money columns cannot hold."""

    def __init__(self, what: str, value: object) -> None:
        super().__init__(f"{what} must be a finite amount below {MAX_MONEY:,}: {value!r}")
        self.what = what


def money_in_range(value: Decimal, what: str = "amount") -> Decimal:
    """The amount as the columns keep it (4 places), or AmountOutOfRange."""
    try:
        if not value.is_finite() or abs(value) >= MAX_MONEY:
            raise AmountOutOfRange(what, value)
        if value.as_tuple().exponent >= -MONEY_PLACES:  # type: ignore[operator]
            return value
        # Rounded as PostgreSQL's NUMERIC(14, 4) rounds, so SQLite keeps the same figure.
        rounded = value.quantize(_QUANTUM)
        if abs(rounded) >= MAX_MONEY:
            raise AmountOutOfRange(what, value)
        return rounded
    except (InvalidOperation, TypeError, AttributeError):
        raise AmountOutOfRange(what, value) from None


def check_order_money(order: OrderIn) -> None:
    """Every amount of an order, and every line's, within the money columns; else raise."""
    for f in ("subtotal", "shipping", "discount", "tax", "total"):
        money_in_range(getattr(order, f), f)
    money_in_range(order.attribution.commission, "attribution.commission")
    for n, line in enumerate(order.lines):
        for f in fields(line):
            value = getattr(line, f.name)
            if isinstance(value, Decimal):
                money_in_range(value, f"lines[{n}].{f.name}")
        # The line's amount is summed into the order's: it must fit as well.
        money_in_range(line.unit_price * line.qty, f"lines[{n}] amount")
