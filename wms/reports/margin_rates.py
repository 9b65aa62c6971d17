"""Exchange rates inside the margin queries: a (currency, day, factor) table they join.

The report converts each day's sum in another currency at that day's rate and rounds it to
the cent once (`wms.domain.money.convert`). On PostgreSQL the factor is an exact numeric,
so the database does that conversion exactly. SQLite has no exact decimals: its REAL
product is rounded there only when it is clearly away from a half cent (`exact_enough`);
the few sums that are not go back to Python's exact Decimal arithmetic.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    Numeric,
    String,
    and_,
    case,
    cast,
    column,
    func,
    or_,
    table,
    text,
)
from sqlalchemy.orm import Session

from wms.domain.money import BASE, RateTable

NEAR = 1e-6
"""How close to a half cent (in cents) a REAL product may come before Python rounds it."""
LARGE = 1e8
"""Above this many cents, a REAL product's error could reach NEAR: Python converts it."""


def factors(s: Session, rates: RateTable, reporting: str, first: date, last: date) -> Any:
    """(currency, day, factor) of every other currency's day in the range that has a rate,
    as a table the query joins (on PostgreSQL JSON handed over: one parameter, any size)."""
    currencies = sorted(({BASE} | set(rates.rates)) - {reporting})
    rows = []
    day = first
    while day <= last:
        for currency in currencies:
            found = rates.rate(currency, reporting, day)
            if found is not None:
                rows.append({"currency": currency, "day": day.isoformat(), "factor": str(found[0])})
        day += timedelta(days=1)
    if s.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        sql = (
            "SELECT currency, day, factor FROM json_to_recordset(CAST(:factors AS json)) "
            "AS f(currency text, day text, factor numeric)"
        )
        kind: Any = Numeric()
    else:
        return _sqlite_factors(s, rows)
    return (
        text(sql)
        .bindparams(factors=json.dumps(rows))
        .columns(column("currency", String), column("day", String), column("factor", kind))
        .cte("factors")
    )


def _sqlite_factors(s: Session, rows: list[dict[str, str]]) -> Any:
    """SQLite's factors: a temporary table keyed by (currency, day), so each of the query's
    rows finds its factor by the key (it scanned a JSON table per row: 1 s at 20k orders).
    Temporary tables are the connection's own, so a read transaction may write one."""
    s.execute(text(
        "CREATE TEMP TABLE IF NOT EXISTS margin_factor (currency TEXT NOT NULL, day TEXT "
        "NOT NULL, factor REAL NOT NULL, PRIMARY KEY (currency, day)) WITHOUT ROWID"
    ))  # fmt: skip
    s.execute(text("DELETE FROM temp.margin_factor"))
    if rows:
        s.execute(
            text("INSERT INTO temp.margin_factor VALUES (:currency, :day, :factor)"),
            [r | {"factor": float(r["factor"])} for r in rows],
        )
    return table(
        "margin_factor",
        column("currency", String),
        column("day", String),
        column("factor", Float()),
        schema="temp",
    )


def in_cents(s: Session, e4: Any, factor: Any, mine: Any) -> Any:
    """A day's sum in the reporting currency, in cents, rounded half up as `cents` does
    (`factor` None: the sum is in the reporting currency already; `mine` None: it is not)."""
    own = case((e4 >= 0, (e4 + 50) // 100), else_=-((50 - e4) // 100))
    if factor is None:
        return own
    if s.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        other: Any = func.round(e4 * factor / 100)  # numeric: exact, half away from zero
    else:  # REAL: the float rounded, used only where `exact_enough` says it is exact
        x = e4 * factor / 100.0
        other = case(
            (e4 == 0, 0), (x >= 0, cast(x + 0.5, BigInteger)), else_=-cast(0.5 - x, BigInteger)
        )
    # No rate that day: left out of the figures, as the report does (and flags).
    return (
        func.coalesce(other, 0)
        if mine is None
        else case((mine, own), else_=func.coalesce(other, 0))
    )


def exact_enough(s: Session, amounts: list[Any], factor: Any) -> Any:
    """True where the database's conversion of every amount is the exact one."""
    if s.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        return factor.is_not(None)
    checks = [factor.is_not(None)]
    for e4 in amounts:  # most are 0 (the costs are mostly in the books' currency)
        x = func.abs(e4 * factor / 100.0)
        fraction = x - cast(x, BigInteger)
        checks.append(or_(e4 == 0, and_(x < LARGE, func.abs(fraction - 0.5) > NEAR)))
    return and_(*checks)
