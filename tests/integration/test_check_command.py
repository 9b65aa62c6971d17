"""`wms check` passes on a sound warehouse and names every broken invariant."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from tests.support.databases import new_sqlite


def _check(url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WMS_DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "wms.cli", "check"], env=env, capture_output=True, text=True
    )


def test_a_freshly_loaded_warehouse_passes(db_folder):
    result = _check(new_sqlite(db_folder))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 violation(s)" in result.stdout


def test_stock_edited_behind_the_ledger_and_an_oversell_are_each_named(db_folder):
    url = new_sqlite(db_folder)
    conn = sqlite3.connect(url.split("///", 1)[1])
    with conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        pid, loc = conn.execute(
            "SELECT s.product_id, s.location_id FROM stock s JOIN product p ON p.id = s.product_id"
            " WHERE p.sku = 'SKU-0002'"
        ).fetchone()
        conn.execute(
            "UPDATE stock SET on_hand = on_hand + 5 WHERE product_id = ? AND location_id = ?",
            (pid, loc),
        )
        conn.execute(
            "UPDATE product_availability SET reserved = on_hand_pickable + 1 WHERE product_id ="
            " (SELECT id FROM product WHERE sku = 'SKU-0003')"
        )
    conn.close()
    result = _check(url)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("VIOLATION")]
    assert any("ledger: SKU-0002 at A01-02-1" in line for line in lines), lines
    assert any(line.startswith("VIOLATION oversell: SKU-0003") for line in lines), lines
    assert any("availability: SKU-0002" in line for line in lines), lines
