"""`wms site check`: every problem of a site folder, with file, line and column, no database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from wms import cli
from wms.config import ROOT
from wms.services.site_files import OPTIONAL_FILES, REQUIRED_FILES, Problem, read_site
from wms.services.site_starter import init_site

DEMO = ROOT / "fixtures" / "demo"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    init_site(tmp_path / "site")
    return tmp_path / "site"


def problems(folder: Path) -> list[Problem]:
    return read_site(folder)[1]


def only(folder: Path) -> Problem:
    found = problems(folder)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def replace(folder: Path, name: str, old: str, new: str) -> None:
    text = (folder / name).read_text()
    assert old in text, f"{old!r} not in {name}"
    (folder / name).write_text(text.replace(old, new, 1))


def line_of(folder: Path, name: str, needle: str, last: bool = False) -> int:
    found = [
        number
        for number, line in enumerate((folder / name).read_text().splitlines(), start=1)
        if needle in line
    ]
    assert found, f"{needle!r} not in {name}"
    return found[-1] if last else found[0]


def test_the_starter_site_and_the_demo_are_both_fine(site: Path) -> None:
    assert problems(site) == []
    demo, found = read_site(DEMO)
    assert found == []
    assert len(demo.products) == 520 and len(demo.stock) > 700


def test_a_starter_site_is_never_written_over_an_existing_one(site: Path) -> None:
    before = (site / "products.csv").read_text()
    with pytest.raises(FileExistsError):
        init_site(site)
    assert (site / "products.csv").read_text() == before


@pytest.mark.parametrize("name", REQUIRED_FILES)
def test_a_missing_required_file_is_named(site: Path, name: str) -> None:
    (site / name).unlink()
    found = problems(site)
    assert Problem(name, 0, 0, "required file is missing") in found


@pytest.mark.parametrize("name", OPTIONAL_FILES)
def test_a_missing_optional_file_is_not_a_problem(site: Path, name: str) -> None:
    (site / name).unlink()
    if name == "channels.json":  # its listings would name an unknown channel
        (site / "listings.csv").unlink()
    assert problems(site) == []


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("products.csv", "sku"),
        ("products.csv", "name"),
        ("barcodes.csv", "value"),
        ("barcodes.csv", "sku"),
        ("stock.csv", "sku"),
        ("stock.csv", "location"),
        ("stock.csv", "qty"),
        ("listings.csv", "channel"),
        ("listings.csv", "sku"),
        ("listings.csv", "product_ref"),
    ],
)
def test_a_missing_required_column_names_the_column(site: Path, name: str, column: str) -> None:
    header = line_of(site, name, ",") if name != "products.csv" else line_of(site, name, "sku,")
    lines = (site / name).read_text().splitlines()
    cols = lines[header - 1].split(",")
    lines[header - 1] = ",".join("renamed" if c == column else c for c in cols)
    (site / name).write_text("\n".join(lines) + "\n")
    found = [p for p in problems(site) if p.file == name]
    assert found == [Problem(name, header, 1, f"missing required column {column!r}")]


def test_a_wrong_type_in_a_csv_names_line_and_column(site: Path) -> None:
    replace(site, "products.csv", "White mug,120,90,100,350", "White mug,120,90,100,heavy")
    problem = only(site)
    assert problem.file == "products.csv"
    assert problem.line == line_of(site, "products.csv", "MUG-WHT")
    assert problem.column == 6  # weight_g
    assert "weight_g" in problem.message and "'heavy'" in problem.message
    assert str(problem).startswith(f"products.csv:{problem.line}:6: ")


def test_a_yes_or_no_column_takes_only_yes_or_no(site: Path) -> None:
    replace(site, "products.csv", "4.20,false,false", "4.20,maybe,false")
    problem = only(site)
    assert (problem.line, problem.column) == (line_of(site, "products.csv", "TEE-BLK-M"), 8)
    assert "lot_tracked" in problem.message


def test_a_wrong_type_in_a_json_file_points_at_the_value(site: Path) -> None:
    replace(site, "cartons.json", '"length_mm": 250', '"length_mm": "big"')
    problem = only(site)
    line = line_of(site, "cartons.json", '"big"')
    column = (site / "cartons.json").read_text().splitlines()[line - 1].index('"big"') + 1
    assert (problem.file, problem.line, problem.column) == ("cartons.json", line, column)
    assert "length_mm" in problem.message


def test_broken_json_gives_the_parser_s_line_and_column(site: Path) -> None:
    replace(site, "users.json", '"role": "picker",', '"role": "picker"')
    problem = only(site)
    assert problem.file == "users.json"
    assert problem.line == line_of(site, "users.json", "picker1")
    assert "not valid JSON" in problem.message


def test_a_layout_with_a_wrong_type_says_which_field(site: Path) -> None:
    replace(site, "layout.json", '"aisles": 4', '"aisles": "four"')
    found = [p for p in problems(site) if p.file == "layout.json"]
    assert len(found) == 1 and "aisles" in found[0].message
    assert found[0].line == line_of(site, "layout.json", '"four"')


def test_an_unknown_role_and_a_missing_field_are_both_listed(site: Path) -> None:
    replace(site, "users.json", '"role": "picker"', '"role": "boss"')
    replace(site, "stations.json", '"label_printer_url": "tcp://127.0.0.1:9100",', "")
    found = problems(site)
    assert {p.file for p in found} == {"users.json", "stations.json"}
    assert any("unknown role 'boss'" in p.message for p in found)
    assert any("missing required field 'label_printer_url'" in p.message for p in found)


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("products.csv", "MUG-WHT,White mug", "TEE-BLK-M,White mug", "duplicate sku 'TEE-BLK-M'"),
        (
            "barcodes.csv",
            "14001234000012,MUG-WHT,6,ITF14",
            "4001234000015,MUG-WHT,1,EAN13",
            "duplicate barcode '4001234000015'",
        ),
        ("cartons.json", '"code": "MAILER"', '"code": "BOX-S"', "duplicate carton code"),
        ("users.json", '"username": "packer1"', '"username": "picker1"', "duplicate username"),
        ("users.json", '"badge": "B2001"', '"badge": "B1001"', "duplicate badge 'B1001'"),
        ("stock.csv", "MUG-WHT,A02-02-3", "MUG-WHT,A02-02-1", "listed twice"),
        ("listings.csv", "own-shop,MUG-WHT", "own-shop,TEE-BLK-M", "lists TEE-BLK-M twice"),
    ],
)
def test_duplicate_codes_are_refused_on_the_line_of_the_second(
    site: Path, name: str, old: str, new: str, message: str
) -> None:
    replace(site, name, old, new)
    found = [p for p in problems(site) if p.file == name]  # (other files may follow from it)
    assert len(found) == 1 and message in found[0].message, found
    assert found[0].line == line_of(site, name, new, last=True)


def test_a_duplicate_channel_code_is_refused(site: Path) -> None:
    data = json.loads((site / "channels.json").read_text())
    data["channels"].append(dict(data["channels"][0]))
    (site / "channels.json").write_text(json.dumps(data, indent=1))
    problem = only(site)
    assert (
        problem.file == "channels.json" and "duplicate channel code 'own-shop'" in problem.message
    )


def test_stock_in_an_unknown_location_names_the_location(site: Path) -> None:
    replace(site, "stock.csv", "MUG-WHT,A02-02-3", "MUG-WHT,Z99-99-9")
    problem = only(site)
    assert problem.file == "stock.csv" and problem.column == 2
    assert problem.line == line_of(site, "stock.csv", "Z99-99-9")
    assert "unknown location 'Z99-99-9'" in problem.message


def test_stock_of_an_unknown_sku_and_a_lot_tracked_one_without_lot(site: Path) -> None:
    replace(site, "stock.csv", "TEE-BLK-M,A01-01-1", "TEE-RED-M,A01-01-1")
    replace(site, "stock.csv", "L2401,2027-06-30", ",2027-06-30")
    messages = sorted(p.message for p in problems(site))
    assert messages == [
        "SERUM-30 is lot-tracked: lot is required",
        "unknown sku 'TEE-RED-M' (not in products.csv)",
    ]


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("products.csv", "4001234000039", "4001234000038", "wrong check digit"),
        ("barcodes.csv", "14001234000012,", "14001234000013,", "wrong check digit"),
        (
            "barcodes.csv",
            "14001234000012,MUG-WHT,6,ITF14",
            "4001234000039X,MUG-WHT,6,ITF14",
            "not a GTIN",
        ),
    ],
)
def test_an_invalid_barcode_is_refused_with_its_line(
    site: Path, name: str, old: str, new: str, message: str
) -> None:
    replace(site, name, old, new)
    problem = only(site)
    assert problem.file == name and message in problem.message
    assert problem.line == line_of(site, name, new.split(",")[0])


def test_an_internal_barcode_needs_no_check_digit(site: Path) -> None:
    with open(site / "barcodes.csv", "a") as f:
        f.write("BIN-MUG-0001,MUG-WHT,1,CODE128\n")
    assert problems(site) == []


def test_optional_catalogue_columns_default_sensibly(site: Path) -> None:
    (site / "products.csv").write_text("sku,name\nTEE-BLK-M,Tee\nSERUM-30,Serum\nMUG-WHT,Mug\n")
    loaded, found = read_site(site)
    assert found == []
    mug = next(p for p in loaded.products if p["sku"] == "MUG-WHT")
    assert mug["weight_g"] == 0 and mug["lot_tracked"] is False and str(mug["unit_cost"]) == "0"


SHOPIFY_HEADER = (
    "Handle,Title,Body (HTML),Vendor,Option1 Name,Option1 Value,Variant SKU,Variant Grams,"
    "Variant Barcode,Cost per item,Status\n"
)
SHOPIFY = (
    SHOPIFY_HEADER
    + """\
black-tee,Black tee,<p>Soft</p>,Acme,Size,M,TEE-BLK-M,180,4001234000015,4.20,active
black-tee,,,,,L,TEE-BLK-L,195,'4001234000046,4.30,active
black-tee,,,,,,,,,,
serum,Vitamin serum,,Acme,Title,Default Title,SERUM-30,90,,3.10,active
mug,White mug,,Acme,Title,Default Title,MUG-WHT,350,4001234000039,,draft
"""
)


def test_a_shopify_product_export_is_a_catalogue(site: Path) -> None:
    (site / "products.csv").write_text(SHOPIFY)
    (site / "stock.csv").write_text("sku,location,qty\nTEE-BLK-L,A01-01-1,5\n")
    loaded, found = read_site(site)
    assert found == []
    by_sku = {p["sku"]: p for p in loaded.products}
    assert set(by_sku) == {"TEE-BLK-M", "TEE-BLK-L", "SERUM-30", "MUG-WHT"}
    assert by_sku["TEE-BLK-L"]["name"] == "Black tee / L"
    assert by_sku["SERUM-30"]["name"] == "Vitamin serum"
    assert by_sku["TEE-BLK-L"]["weight_g"] == 195
    assert str(by_sku["TEE-BLK-M"]["unit_cost"]) == "4.20"
    assert by_sku["MUG-WHT"]["active"] is False
    codes = {b["value"]: b["sku"] for b in loaded.barcodes}
    assert codes["4001234000046"] == "TEE-BLK-L"


def test_a_shopify_export_with_a_bad_barcode_names_its_line(site: Path) -> None:
    (site / "products.csv").write_text(SHOPIFY.replace("4001234000015", "4001234000016"))
    problem = only(site)
    assert (problem.file, problem.line, problem.column) == ("products.csv", 2, 9)
    assert "check digit" in problem.message


def test_site_check_prints_each_problem_and_fails(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(site, "stock.csv", "MUG-WHT,A02-02-3", "MUG-WHT,Z99-99-9")
    (site / "layout.json").unlink()
    assert cli.main(["site", "check", str(site)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "layout.json:0:0: required file is missing" in out


def test_site_init_then_check_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["site", "init", str(tmp_path / "mine")]) == 0
    assert cli.main(["site", "check", str(tmp_path / "mine")]) == 0
    assert "is fine" in capsys.readouterr().out
    assert cli.main(["site", "init", str(tmp_path / "mine")]) == 1


def test_the_demo_folder_copied_is_checked_the_same(tmp_path: Path) -> None:
    shutil.copytree(DEMO, tmp_path / "demo")
    assert problems(tmp_path / "demo") == []


def test_channel_secrets_come_from_the_environment_or_a_file_never_the_site(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replace(
        site,
        "channels.json",
        '"secret": "replace-with-a-long-random-secret"',
        '"secret": "env:OWN_SHOP_SECRET", "access_token": "file:secrets/own-token"',
    )
    monkeypatch.setenv("OWN_SHOP_SECRET", "from-the-environment-9f2")
    (site / "secrets").mkdir()
    (site / "secrets" / "own-token").write_text("token-from-a-file-77\n")
    loaded, found = read_site(site)
    assert found == []
    assert loaded.channels[0].secret == "from-the-environment-9f2"
    assert loaded.channels[0].access_token == "token-from-a-file-77"


def test_a_missing_secret_is_named_where_the_site_asks_for_it(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replace(
        site,
        "channels.json",
        '"secret": "replace-with-a-long-random-secret"',
        '"secret": "env:NOT_SET_ANYWHERE", "access_token": "file:nope.txt"',
    )
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    found = [p for p in problems(site) if p.file == "channels.json"]  # (its listings follow)
    line = line_of(site, "channels.json", "NOT_SET_ANYWHERE")
    assert [(p.file, p.line) for p in found] == [("channels.json", line)] * 2
    assert "environment variable NOT_SET_ANYWHERE is not set" in found[0].message
    assert "cannot read" in found[1].message and "nope.txt" in found[1].message
