"""Money after the sale: revenue, contribution margin, currency conversion, average cost."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

CENT = Decimal("0.01")
COST_PLACES = Decimal("0.0001")  # unit costs keep four places: 1/3 of a cent per unit adds up
RATE_PLACES = Decimal("0.000001")
ZERO = Decimal("0.00")
BASE = "EUR"  # the ECB quotes every rate against the euro; cross rates go through it
MAX_LOOKBACK_DAYS = 7
"""How far back a day without a rate may borrow one: a weekend plus a run of TARGET
holidays (Good Friday to Easter Monday is four days) fits; a longer gap is a hole in the
merchant's file and is flagged rather than papered over."""

# ISO 4217 codes the ECB publishes or has published, plus the usual sale currencies; a
# column outside this list is a typo ("USS") rather than a currency we should guess at.
_CODES = (
    "EUR USD JPY BGN CYP CZK DKK EEK GBP HUF LTL LVL MTL PLN ROL RON SEK SIT SKK CHF ISK NOK "
    "HRK RUB TRL TRY AUD BRL CAD CNY HKD IDR ILS INR KRW MXN MYR NZD PHP SGD THB ZAR VND "
    "AED SAR TWD"
)
KNOWN_CURRENCIES = frozenset(_CODES.split())


class LineKind(StrEnum):
    SALE = "sale"
    GIFT = "gift"  # given away with an order: no revenue, full cost
    SAMPLE = "sample"  # a TikTok sample order for a creator: no revenue, full cost


class MoneyError(ValueError):
    """Bad money input; ``code`` is stable for the API's problem response."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_revenue(
    unit_price: Decimal,
    qty: int,
    seller_discount: Decimal = ZERO,
    *,
    kind: LineKind = LineKind.SALE,
) -> Decimal:
    """What the seller earns for a line: price × qty less the discounts the seller funds.

    A platform-funded discount (TikTok's platform discount) is paid back to the seller by
    the platform, so it is not passed in here; tax is kept apart by the caller. Gift and
    sample lines earn nothing, whatever price the channel shows.
    """
    if qty <= 0:
        raise MoneyError("bad_quantity", f"quantity {qty} must be > 0")
    if unit_price < 0 or seller_discount < 0:
        raise MoneyError("negative_money", "price and discount must not be negative")
    if kind is not LineKind.SALE:
        return ZERO
    return cents(unit_price * qty - seller_discount)


@dataclass(frozen=True)
class LineMoney:
    """One line's revenue and each of its costs, in the order's currency."""

    revenue: Decimal = ZERO
    goods: Decimal = ZERO
    fees: Decimal = ZERO
    commission: Decimal = ZERO
    shipping: Decimal = ZERO
    packaging: Decimal = ZERO
    returns: Decimal = ZERO

    @property
    def costs(self) -> Decimal:
        return (
            self.goods + self.fees + self.commission + self.shipping + self.packaging + self.returns
        )

    @property
    def margin(self) -> Decimal:
        """Contribution margin: revenue less every cost of the line."""
        return self.revenue - self.costs

    def __add__(self, other: LineMoney) -> LineMoney:
        return LineMoney(
            self.revenue + other.revenue,
            self.goods + other.goods,
            self.fees + other.fees,
            self.commission + other.commission,
            self.shipping + other.shipping,
            self.packaging + other.packaging,
            self.returns + other.returns,
        )


def order_money(lines: Iterable[LineMoney]) -> LineMoney:
    """The order's figures: the sum of its lines' (margin per line, then per order)."""
    total = LineMoney()
    for line in lines:
        total = total + line
    return total


def margin_pct(revenue: Decimal, margin: Decimal) -> Decimal | None:
    """Margin as a percentage of revenue, to two places; None when there is no revenue."""
    if revenue == 0:
        return None
    return cents(margin * 100 / revenue)


def return_cost(
    refund: Decimal,
    label: Decimal,
    restocked_units: int,
    unit_cost: Decimal,
) -> Decimal:
    """What a return costs: the refund and the label, less the goods that went back on the shelf.

    The goods cost of every unit was counted when it was picked; a restocked unit is stock
    again, so its cost comes back; a scrapped unit stays a cost (it is written off at its
    cost once, in goods, never twice).
    """
    if refund < 0 or label < 0 or unit_cost < 0 or restocked_units < 0:
        raise MoneyError("negative_money", "refund, label, cost and units must not be negative")
    return cents(refund + label - unit_cost * restocked_units)


def split_by_weight(total: Decimal, weights: Sequence[int]) -> list[Decimal]:
    """Split an amount over lines in proportion to their weights, summing to it to the cent.

    Largest remainder: each share is rounded down to a cent, then the leftover cents go to
    the shares that lost most in rounding (ties to the earlier line). All-zero weights split
    evenly.
    """
    if not weights:
        return []
    if any(w < 0 for w in weights):
        raise MoneyError("negative_weight", "weights must not be negative")
    total = cents(total)
    ws = list(weights) if any(weights) else [1] * len(weights)
    whole = sum(ws)
    exact = [total * w / whole for w in ws]
    floors = [e.quantize(CENT, rounding="ROUND_FLOOR") for e in exact]
    left = int((total - sum(floors)) / CENT)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += CENT
    return floors


def weighted_average_cost(
    on_hand: int, average: Decimal, received: int, receipt_cost: Decimal
) -> Decimal:
    """The new unit cost after a receipt: (on hand × average + received × cost) / total.

    Stock at or below zero carries no cost, so the receipt's cost becomes the average.
    """
    if received <= 0:
        raise MoneyError("bad_quantity", f"received quantity {received} must be > 0")
    if receipt_cost < 0 or average < 0:
        raise MoneyError("negative_cost", f"unit cost {receipt_cost} must not be negative")
    if on_hand <= 0:
        return receipt_cost.quantize(COST_PLACES, rounding=ROUND_HALF_UP)
    value = average * on_hand + receipt_cost * received
    return (value / (on_hand + received)).quantize(COST_PLACES, rounding=ROUND_HALF_UP)


# --- Currency rates -------------------------------------------------------------------


@dataclass(frozen=True)
class Converted:
    """An amount in the reporting currency, or a flag that it could not be converted."""

    amount: Decimal | None
    rate: Decimal | None  # reporting units per one unit of the order's currency
    rate_day: date | None  # the day whose rate was used (earlier than the order's, at weekends)

    @property
    def missing_rate(self) -> bool:
        return self.amount is None


@dataclass
class RateTable:
    """Units of each currency per 1 EUR, by day, as the ECB publishes them."""

    rates: dict[str, dict[date, Decimal]] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[tuple[date, str, Decimal]]) -> RateTable:
        table = cls()
        for day, currency, rate in rows:
            table.rates.setdefault(currency, {})[day] = rate
        return table

    def per_euro(self, currency: str, day: date) -> tuple[Decimal, date] | None:
        """The rate on ``day`` or the last earlier day that has one, within the lookback."""
        if currency == BASE:
            return Decimal(1), day
        by_day = self.rates.get(currency)
        if not by_day:
            return None
        for back in range(MAX_LOOKBACK_DAYS + 1):
            d = day - timedelta(days=back)
            if d in by_day:
                return by_day[d], d
        return None

    def rate(self, source: str, target: str, day: date) -> tuple[Decimal, date] | None:
        """Target units per one source unit, through EUR; None when either side has no rate."""
        if source == target:
            return Decimal(1), day
        src = self.per_euro(source, day)
        dst = self.per_euro(target, day)
        if src is None or dst is None:
            return None
        # The rate of the side found further back names the day: that is the oldest input.
        return dst[0] / src[0], min(src[1], dst[1])


def convert(amount: Decimal, source: str, target: str, day: date, table: RateTable) -> Converted:
    """``amount`` in ``target`` at ``day``'s rate, rounded to the cent; never at 1.0 by default."""
    found = table.rate(source, target, day)
    if found is None:
        return Converted(None, None, None)
    rate, rate_day = found
    return Converted(cents(amount * rate), rate.quantize(RATE_PLACES), rate_day)


def parse_ecb_csv(text: str) -> list[tuple[date, str, Decimal]]:
    """Rows of the ECB's historical CSV (``Date`` then one column per currency) as rates.

    ``N/A`` or an empty cell is no rate that day. Raises ``MoneyError`` on anything else
    that is not a positive number, an unknown currency column, a malformed or repeated
    day, so a bad file writes nothing.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise MoneyError("empty_rate_file", "the rate file is empty") from None
    header = [h.strip() for h in header]
    if not header or header[0] != "Date":
        raise MoneyError("bad_rate_header", "the first column must be 'Date'")
    currencies = header[1:]
    # The ECB's file ends every line with a comma: an empty last header is that, not a column.
    while currencies and currencies[-1] == "":
        currencies.pop()
    for code in currencies:
        if code not in KNOWN_CURRENCIES or code == BASE:
            raise MoneyError("unknown_currency", f"unknown currency column {code!r}")
    if len(set(currencies)) != len(currencies):
        raise MoneyError("bad_rate_header", "a currency column appears twice")
    out: list[tuple[date, str, Decimal]] = []
    seen: set[date] = set()
    for n, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise MoneyError(
                "bad_rate_day", f"line {n}: {row[0]!r} is not a YYYY-MM-DD day"
            ) from None
        if day in seen:
            raise MoneyError("bad_rate_day", f"line {n}: {day} appears twice")
        seen.add(day)
        cells = row[1:]
        if any(c.strip() for c in cells[len(currencies) :]):
            raise MoneyError("bad_rate_row", f"line {n}: more cells than currencies")
        for code, cell in zip(currencies, cells, strict=False):
            cell = cell.strip()
            if cell in ("", "N/A"):
                continue
            try:
                rate = Decimal(cell)
            except InvalidOperation:
                raise MoneyError(
                    "bad_rate", f"line {n}: {code} rate {cell!r} is not a number"
                ) from None
            if not rate.is_finite() or rate <= 0:
                raise MoneyError("bad_rate", f"line {n}: {code} rate {cell} must be > 0")
            out.append((day, code, rate))
    if not out:
        raise MoneyError("empty_rate_file", "the rate file holds no rates")
    return out
