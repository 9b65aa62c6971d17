"""Column types shared by the tables: UTC timestamps and exact money."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlmodel import Column, Field, SQLModel

metadata = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every engine (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use UTC-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """Exact decimals: stored as text on SQLite (whose NUMERIC is a float), numeric elsewhere."""

    impl = Numeric(14, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        from sqlalchemy import String

        return dialect.type_descriptor(String(32) if dialect.name == "sqlite" else Numeric(14, 4))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        from wms.domain.bounds import money_in_range

        # The last guard: an amount the column cannot hold is refused, never stored (SQLite
        # kept 1e999 as text) nor left to the database (PostgreSQL's overflow was a 500).
        value = money_in_range(Decimal(value))
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value)).normalize() + Decimal("0.00")


def money_field(default: Decimal = Decimal("0")) -> Any:
    return Field(default=default, sa_column=Column(Money(), nullable=False))


def created_at_field() -> Any:
    return Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False, default=utcnow)
    )


def timestamp_field(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UtcDateTime(), nullable=nullable))
