"""`wms rates load FILE` takes the ECB's CSV, and a bad file is refused with nothing written."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.errors import WmsError
from wms.models.money import CurrencyRate
from wms.services import rates

GOOD = """Date,USD,JPY,GBP,
2026-11-06,1.0800,162.50,0.84123,
2026-11-05,1.0750,N/A,0.8350,
"""


def _load(url: str, path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WMS_DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "wms.cli", "rates", "load", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@reads
def _read_rows(s: Session) -> dict[tuple[date, str], D]:
    return {(r.day, r.currency): r.per_eur for r in s.execute(select(CurrencyRate)).scalars()}


@reads
def _read_count(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(CurrencyRate)) or 0)


async def _rows(url: str) -> dict[tuple[date, str], D]:
    db = Database(url)
    try:
        return await db.run(_read_rows)
    finally:
        await db.dispose()


async def _count(url: str) -> int:
    db = Database(url)
    try:
        return await db.run(_read_count)
    finally:
        await db.dispose()


def test_an_ecb_file_loads_every_rate_exactly(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(GOOD)
    result = _load(database_url, path)
    assert result.returncode == 0, result.stderr
    assert "loaded 5 rate(s)" in result.stdout
    rows = asyncio.run(_rows(database_url))
    assert rows[(date(2026, 11, 6), "GBP")] == D("0.84123")
    assert rows[(date(2026, 11, 6), "JPY")] == D("162.5")
    assert (date(2026, 11, 5), "JPY") not in rows


def test_loading_a_corrected_file_replaces_the_days_it_names(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "fix.csv"
    path.write_text("Date,USD\n2026-11-06,1.0810\n")
    assert _load(database_url, path).returncode == 0
    rows = asyncio.run(_rows(database_url))
    assert rows[(date(2026, 11, 6), "USD")] == D("1.081")
    assert rows[(date(2026, 11, 5), "USD")] == D("1.075")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Date,USD,XYZ\n2026-11-09,1.08,2\n", "unknown currency column 'XYZ'"),
        ("Date,USD\n2026-11-09,1.08\n2026-13-10,1.09\n", "is not a YYYY-MM-DD day"),
        ("Date,USD\n2026-11-09,1.08\n,1.09\n", "line 3: '' is not a YYYY-MM-DD day"),
        ("Date,USD,GBP\n2026-11-09,1.08,-0.84\n", "GBP rate -0.84 must be > 0"),
    ],
)
def test_a_bad_file_is_a_clear_error_and_writes_nothing(
    database_url: str, tmp_path: Path, text: str, says: str
) -> None:
    before = asyncio.run(_count(database_url))
    path = tmp_path / "bad.csv"
    path.write_text(text)
    result = _load(database_url, path)
    assert result.returncode == 1
    assert says in result.stderr
    assert asyncio.run(_count(database_url)) == before


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WmsError) as err:
        rates.read_rate_file(tmp_path / "nope.csv")
    assert err.value.code == "unreadable_rate_file"
