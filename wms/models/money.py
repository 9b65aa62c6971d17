"""Money after the sale: currency rates, the money facts of each line, creator attribution."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Date, Index, Numeric, String, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlmodel import Column, Field, SQLModel

from wms.models.common import Money, created_at_field, money_field

E4 = Decimal("0.0001")


class Rate(TypeDecorator[Decimal]):
    """Exact rates with eight places (the ECB gives up to six); text on SQLite, as Money is."""

    impl = Numeric(18, 8)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(String(32) if dialect.name == "sqlite" else Numeric(18, 8))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return str(Decimal(value)) if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value)).normalize()


class CurrencyRate(SQLModel, table=True):
    """Units of ``currency`` per 1 EUR on ``day``, as the merchant loaded them."""

    __tablename__ = "currency_rate"

    day: date = Field(sa_column=Column(Date(), primary_key=True))
    currency: str = Field(primary_key=True, max_length=3)
    per_eur: Decimal = Field(sa_column=Column(Rate(), nullable=False))
    source: str = Field(default="", max_length=200)
    loaded_at: datetime = created_at_field()


class MoneyFact(SQLModel, table=True):
    """One amount of one order (or line) with where it came from: revenue, a fee, a cost.

    Amounts are kept as integer ten-thousandths (``amount_e4``) so that the reports' SUMs
    are exact on SQLite too, whose NUMERIC is a float and whose Money column is text.
    A fact replaced by a better one (an estimated fee by the channel's statement) is kept,
    with ``current`` false, so the history of a figure stays readable.
    """

    __tablename__ = "money_fact"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    line_id: int | None = Field(default=None, foreign_key="order_line.id", index=True)
    kind: str = Field(max_length=20)  # revenue, goods, fee, commission, shipping, ...
    amount_e4: int = Field(sa_column=Column(BigInteger(), nullable=False))
    currency: str = Field(max_length=3)
    source: str = Field(max_length=40)  # intake, fee_model, pick, carrier_rate, statement ...
    current: bool = True
    at: datetime = created_at_field()

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_e4) * E4


class LineAttribution(SQLModel, table=True):
    """The creator and content a channel credits one order line to (TikTok affiliate)."""

    __tablename__ = "line_attribution"
    __table_args__ = (UniqueConstraint("line_id"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    line_id: int = Field(foreign_key="order_line.id")
    creator: str = Field(max_length=100, index=True)
    content_type: str = Field(default="", max_length=20)
    content_id: str = Field(default="", max_length=64)
    commission_rate_bp: int = 0  # basis points: 1550 = 15.50 %
    estimated_commission: Decimal = money_field()
    actual_commission: Decimal | None = Field(
        default=None, sa_column=Column(Money(), nullable=True)
    )


class MarginDay(SQLModel, table=True):
    """The margin reports' daily summary: facts and volumes summed per day, channel and key.

    Kept for speed only and rebuilt from the facts (`wms.reports.margin_summary`): one row
    per (order day, channel, grouping, key, currency), channel 0 for all channels at once.
    Money columns hold ten-thousandths (as `money_fact.amount_e4`); a row of currency ""
    holds the counts (units, orders, returned units).
    """

    __tablename__ = "margin_day"
    __table_args__ = (Index("ix_margin_day_grp_day", "grp", "channel_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: str = Field(max_length=10)  # the order's day (UTC), YYYY-MM-DD
    channel_id: int  # 0: every channel
    grp: str = Field(max_length=10)  # channel, product, creator, content, order, day
    key: str = Field(max_length=200)
    label: str = Field(default="", max_length=300)
    currency: str = Field(default="", max_length=3)
    revenue: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    goods: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    fee: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    commission: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    shipping: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    packaging: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    returns: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    units: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    orders: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    returned: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))


class MarginStale(SQLModel, table=True):
    """Days whose facts, orders, lines, attributions or returns changed since the summary
    was built (marked by database triggers, in the writing transaction)."""

    __tablename__ = "margin_stale"

    day: str = Field(primary_key=True, max_length=10)
