"""The demo warehouse is realistic: big enough, and every code in it is valid."""

from __future__ import annotations

import csv
import json
from collections import Counter

from wms.config import ROOT
from wms.domain.checkdigits import gs1_check_digit, is_valid_gtin
from wms.domain.layout import Layout

DEMO = ROOT / "fixtures" / "demo"


def _rows(name: str) -> list[dict[str, str]]:
    with open(DEMO / name, newline="") as f:
        return list(csv.DictReader(f))


def test_gs1_check_digits_match_published_examples():
    assert gs1_check_digit("400638133393") == 1  # EAN-13 4006381333931
    assert is_valid_gtin("4006381333931")
    assert not is_valid_gtin("4006381333932")
    assert is_valid_gtin("036000291452")  # UPC-A
    assert is_valid_gtin("10012345678902")  # GTIN-14 example from GS1


def test_the_layout_derives_over_a_thousand_pick_locations_with_check_codes():
    locations = Layout.from_file(DEMO / "layout.json").locations()
    kinds = Counter(loc.kind for loc in locations)
    assert kinds["pick"] >= 1000
    for kind in ("reserve", "staging", "pack", "dock", "returns", "quarantine"):
        assert kinds[kind] >= 1, kind
    picks = [loc for loc in locations if loc.kind == "pick"]
    assert len({loc.code for loc in locations}) == len(locations)
    assert sorted(loc.walk_seq for loc in picks) == list(range(1, len(picks) + 1))
    assert all(len(loc.check_code) == 2 and loc.check_code.isdigit() for loc in picks)


def test_the_catalogue_has_over_five_hundred_skus_with_valid_barcodes():
    products = _rows("products.csv")
    assert len(products) >= 500
    assert any(p["lot_tracked"] == "True" and p["expiry_tracked"] == "True" for p in products)
    for p in products:
        assert int(p["length_mm"]) > 0 and int(p["weight_g"]) > 0 and float(p["unit_cost"]) > 0
    codes = _rows("barcodes.csv")
    assert {c["sku"] for c in codes} == {p["sku"] for p in products}
    assert all(is_valid_gtin(c["value"]) for c in codes)
    assert {c["symbology"] for c in codes} == {"EAN13", "UPCA", "ITF14"}


def test_opening_stock_only_names_known_skus_and_locations():
    codes = {loc.code for loc in Layout.from_file(DEMO / "layout.json").locations()}
    skus = {p["sku"]: p for p in _rows("products.csv")}
    for row in _rows("stock.csv"):
        assert row["location"] in codes and row["sku"] in skus
        assert int(row["qty"]) > 0
        assert bool(row["lot"]) == (skus[row["sku"]]["lot_tracked"] == "True")


def test_there_is_a_user_of_every_role_and_a_channel_of_every_kind():
    roles = {u["role"] for u in json.loads((DEMO / "users.json").read_text())}
    assert roles == {"picker", "packer", "supervisor", "admin", "integration"}
    kinds = {c["kind"] for c in json.loads((DEMO / "channels.json").read_text())["channels"]}
    assert kinds == {"tiktok", "shopify", "woocommerce", "own"}
