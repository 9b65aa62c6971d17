"""Currency rates the merchant loads: read a whole file, then write it in one transaction."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import Database, long_running
from wms.domain.money import MAX_LOOKBACK_DAYS, MoneyError, RateTable, parse_ecb_csv
from wms.errors import WmsError
from wms.models.common import utcnow
from wms.models.money import CurrencyRate
from wms.services.sql import upsert


def read_rate_file(path: Path) -> list[tuple[date, str, Decimal]]:
    """The rates of an ECB-format CSV, or a ``WmsError`` naming what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WmsError("unreadable_rate_file", "Bad rate file", f"{path}: {exc}") from None
    try:
        return parse_ecb_csv(text)
    except MoneyError as exc:
        raise WmsError(exc.code, "Bad rate file", f"{path.name}: {exc.detail}") from None


async def load(db: Database, path: Path) -> int:
    """Load (or replace, day by day) the rates of a file; a bad file writes nothing."""
    rows = read_rate_file(path)
    return await db.run(_write, rows, path.name[:200])


@long_running
def _write(s: Session, rows: list[tuple[date, str, Decimal]], source: str) -> int:
    table = CurrencyRate.__table__
    now = utcnow()
    values = [
        {"day": d, "currency": c, "per_eur": r, "source": source, "loaded_at": now}
        for d, c, r in rows
    ]
    stmt = upsert(s, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "currency"],
        set_={"per_eur": stmt.excluded.per_eur, "source": source, "loaded_at": now},
    )
    for start in range(0, len(values), 500):
        s.connection().execute(stmt, values[start : start + 500])
    return len(values)


def rate_table(s: Session, first: date, last: date) -> RateTable:
    """The rates from a week before ``first`` (a weekend borrows Friday's) to ``last``."""
    rows = s.execute(
        select(CurrencyRate.day, CurrencyRate.currency, CurrencyRate.per_eur).where(
            CurrencyRate.day >= first - timedelta(days=MAX_LOOKBACK_DAYS),
            CurrencyRate.day <= last,
        )
    ).all()
    return RateTable.of((r.day, r.currency, r.per_eur) for r in rows)
