"""Reads and checks a site folder (layout, catalogue, stock, users, ...) without a database.

Every problem names its file, line and column, so a merchant can fix them all in one go.
In the CSV files a line starting with ``#`` is a comment; in the JSON files a key starting
with ``_`` is a comment (``"_comment": "..."``). Only ``layout.json`` and ``products.csv``
are required; a missing optional file is simply not loaded.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from wms.carriers import registry
from wms.channels.config import ChannelConfig
from wms.channels.errors import ConfigError
from wms.domain.checkdigits import is_valid_gtin
from wms.domain.layout import KINDS, Layout, LocationSpec
from wms.secret_box import SecretKeyError, keyring
from wms.services.auth import ROLES

REQUIRED_FILES = ("layout.json", "products.csv")
OPTIONAL_FILES = (
    "barcodes.csv",
    "stock.csv",
    "cartons.json",
    "users.json",
    "stations.json",
    "channels.json",
    "listings.csv",
    "carriers.json",
)
PRODUCT_COLUMNS = ("sku", "name")
SHOPIFY_COLUMNS = ("Handle", "Variant SKU")
BARCODE_COLUMNS = ("value", "sku")
STOCK_COLUMNS = ("sku", "location", "qty")
LISTING_COLUMNS = ("channel", "sku", "product_ref")
# Symbologies whose value is a GTIN and so carries a GS1 check digit, by length.
GTIN_SYMBOLOGIES = {"EAN8": 8, "UPCA": 12, "EAN13": 13, "ITF14": 14, "GTIN": 0}
SECRET_KEYS = ("secret", "access_token", "app_key", "shop_cipher")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a site file, where to find it, and what is wrong."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class SiteInvalid(Exception):
    """The site folder has problems; nothing was loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Site:
    """A site read from its folder, as plain values ready to load."""

    folder: Path
    layout_data: dict[str, Any] = field(default_factory=dict)
    locations: list[LocationSpec] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    barcodes: list[dict[str, Any]] = field(default_factory=list)
    stock: list[dict[str, Any]] = field(default_factory=list)
    cartons: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    stations: list[dict[str, Any]] = field(default_factory=list)
    channels: list[ChannelConfig] = field(default_factory=list)
    listings: list[dict[str, str]] = field(default_factory=list)
    carriers: dict[str, Any] = field(default_factory=dict)  # sender, generic carrier, accounts
    files: set[str] = field(default_factory=set)  # the files present


def load_site(folder: Path) -> Site:
    """The site, or SiteInvalid listing every problem."""
    site, problems = read_site(folder)
    if problems:
        raise SiteInvalid(problems)
    return site


def read_site(folder: Path) -> tuple[Site, list[Problem]]:
    folder = Path(folder)
    r = _Report()
    site = Site(folder)
    if not folder.is_dir():
        r.add(str(folder), 0, 0, "no such folder")
        return site, r.problems
    for name in REQUIRED_FILES:
        if not (folder / name).is_file():
            r.add(name, 0, 0, "required file is missing")
    site.files = {n for n in REQUIRED_FILES + OPTIONAL_FILES if (folder / n).is_file()}
    if "layout.json" in site.files:
        _layout(r, site)
    if "products.csv" in site.files:
        _products(r, site)
    if "barcodes.csv" in site.files:
        _barcodes(r, site)
    if "cartons.json" in site.files:
        _cartons(r, site)
    if "users.json" in site.files:
        _users(r, site)
    if "stations.json" in site.files:
        _stations(r, site)
    if "channels.json" in site.files:
        _channels(r, site)
    if "listings.csv" in site.files:
        _listings(r, site)
    if "stock.csv" in site.files:
        _stock(r, site)
    if "carriers.json" in site.files:
        _carriers(r, site)
    _unique_barcodes(r, site)
    return site, r.problems


# -- reading ------------------------------------------------------------------------------


class _Report:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, line: int, column: int, message: str) -> None:
        self.problems.append(Problem(file, line, column, message))


@dataclass
class _Row:
    file: str
    line: int
    values: dict[str, str]
    columns: dict[str, int]  # column name -> position from 1

    def get(self, name: str) -> str:
        return (self.values.get(name) or "").strip()

    def col(self, name: str) -> int:
        return self.columns.get(name, 1)


def _csv(r: _Report, site: Site, name: str, required: tuple[str, ...]) -> list[_Row] | None:
    """The rows of a CSV file, or None (with problems) when its header is unusable."""
    try:
        text = (site.folder / name).read_text(encoding="utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError as exc:
        r.add(name, 1, 1, f"not UTF-8 text ({exc.reason})")
        return None
    # Comment lines become blank lines, so the reader's line numbers stay the file's.
    lines = ["\n" if ln.lstrip().startswith("#") else ln for ln in text.splitlines(True)]
    reader = csv.reader(lines)
    header: list[str] | None = None
    rows: list[_Row] = []
    header_line = 1
    for fields in reader:
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header, header_line = [f.strip() for f in fields], reader.line_num
            continue
        if len(fields) > len(header):
            r.add(
                name,
                reader.line_num,
                len(header) + 1,
                f"{len(fields)} fields but the header names {len(header)}",
            )
            continue
        rows.append(
            _Row(
                name,
                reader.line_num,
                dict(zip(header, fields, strict=False)),
                {h: i + 1 for i, h in enumerate(header)},
            )
        )
    if header is None:
        r.add(name, 1, 1, "empty file: the first line must name the columns")
        return None
    ok = True
    for i, h in enumerate(header):
        if h and header.index(h) != i:
            r.add(name, header_line, i + 1, f"column {h!r} appears twice")
            ok = False
    for col in required:
        if col not in header:
            r.add(name, header_line, 1, f"missing required column {col!r}")
            ok = False
    return rows if ok else None


def _int(r: _Report, row: _Row, col: str, default: int | None = None, minimum: int = 0) -> int:
    raw = row.get(col)
    if raw == "" and default is not None:
        return default
    try:
        value = int(raw)
    except ValueError:
        r.add(row.file, row.line, row.col(col), f"{col}: not a whole number: {raw!r}")
        return default or 0
    if value < minimum:
        r.add(row.file, row.line, row.col(col), f"{col}: must be at least {minimum}, not {value}")
    return value


def _decimal(r: _Report, row: _Row, col: str) -> Decimal:
    raw = row.get(col)
    if raw == "":
        return Decimal("0")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        r.add(row.file, row.line, row.col(col), f"{col}: not a number: {raw!r}")
        return Decimal("0")
    if not value.is_finite() or value < 0:
        r.add(row.file, row.line, row.col(col), f"{col}: must be a number ≥ 0, not {raw!r}")
        return Decimal("0")
    return value


def _bool(r: _Report, row: _Row, col: str, default: bool = False) -> bool:
    raw = row.get(col).lower()
    if raw == "":
        return default
    if raw in _TRUE:
        return True
    if raw not in _FALSE:
        r.add(row.file, row.line, row.col(col), f"{col}: not true/false: {row.get(col)!r}")
    return False


def _required(r: _Report, row: _Row, col: str) -> str:
    value = row.get(col)
    if not value:
        r.add(row.file, row.line, row.col(col), f"{col}: must not be empty")
    return value


def _barcode_problem(value: str, symbology: str) -> str | None:
    """Why a barcode value cannot be right, or None."""
    want = GTIN_SYMBOLOGIES.get(symbology.upper())
    if want is None and not (value.isdigit() and len(value) in (8, 12, 13, 14)):
        return None  # an internal code (Code 128 and the like): no check digit to verify
    if want and len(value) != want:
        return f"{symbology} barcode must have {want} digits, {value!r} has {len(value)}"
    if not value.isdigit() or len(value) not in (8, 12, 13, 14):
        return f"not a GTIN (8, 12, 13 or 14 digits): {value!r}"
    if not is_valid_gtin(value):
        return f"wrong check digit in barcode {value!r}"
    return None


def _symbology(value: str) -> str:
    return {8: "EAN8", 12: "UPCA", 13: "EAN13", 14: "ITF14"}.get(len(value), "CODE128")


# -- the files ----------------------------------------------------------------------------


def _products(r: _Report, site: Site) -> None:
    text = (site.folder / "products.csv").read_text(encoding="utf-8-sig", errors="replace")
    header = next((ln for ln in text.splitlines() if ln.strip() and ln[:1] != "#"), "")
    shopify = all(c in next(csv.reader([header]), []) for c in SHOPIFY_COLUMNS)
    rows = _csv(r, site, "products.csv", SHOPIFY_COLUMNS if shopify else PRODUCT_COLUMNS)
    if rows is None:
        return
    seen: dict[str, int] = {}
    titles: dict[str, str] = {}
    for row in rows:
        if shopify:
            product = _shopify_product(r, row, titles)
            if product is None:
                continue
        else:
            product = {
                "sku": _required(r, row, "sku"),
                "name": _required(r, row, "name"),
                "length_mm": _int(r, row, "length_mm", 0),
                "width_mm": _int(r, row, "width_mm", 0),
                "height_mm": _int(r, row, "height_mm", 0),
                "weight_g": _int(r, row, "weight_g", 0),
                "unit_cost": _decimal(r, row, "unit_cost"),
                "lot_tracked": _bool(r, row, "lot_tracked"),
                "expiry_tracked": _bool(r, row, "expiry_tracked"),
                "active": _bool(r, row, "active", True),
            }
            if row.get("barcode"):
                _barcode_from_product(r, site, row, "barcode", product["sku"])
        sku = product["sku"]
        if not sku:
            continue
        if sku in seen:
            col = row.col("Variant SKU" if shopify else "sku")
            r.add(row.file, row.line, col, f"duplicate sku {sku!r} (first on line {seen[sku]})")
            continue
        seen[sku] = row.line
        site.products.append(product)


def _shopify_product(r: _Report, row: _Row, titles: dict[str, str]) -> dict[str, Any] | None:
    """A Shopify product export row: one per variant; image-only rows carry no SKU."""
    handle = row.get("Handle")
    if row.get("Title"):
        titles[handle] = row.get("Title")
    sku = row.get("Variant SKU")
    if not sku:
        return None
    options = [row.get(f"Option{i} Value") for i in (1, 2, 3)]
    options = [o for o in options if o and o != "Default Title"]
    name = " / ".join([titles.get(handle, handle), *options])
    grams_raw = row.get("Variant Grams")
    grams = 0
    if grams_raw:
        try:
            grams = round(float(grams_raw))
        except ValueError:
            r.add(
                row.file,
                row.line,
                row.col("Variant Grams"),
                f"Variant Grams: not a number: {grams_raw!r}",
            )
    product = {
        "sku": sku,
        "name": name[:200],
        "length_mm": 0,
        "width_mm": 0,
        "height_mm": 0,
        "weight_g": grams,
        "unit_cost": _decimal(r, row, "Cost per item"),
        "lot_tracked": False,
        "expiry_tracked": False,
        "active": row.get("Status").lower() in ("", "active"),
        "_barcode": row.get("Variant Barcode").lstrip("'"),  # spreadsheets keep the zeros so
        "_row": row,
    }
    return product


def _barcode_from_product(r: _Report, site: Site, row: _Row, col: str, sku: str) -> None:
    value = row.get(col).lstrip("'")
    problem = _barcode_problem(value, _symbology(value) if value.isdigit() else "")
    if problem:
        r.add(row.file, row.line, row.col(col), problem)
        return
    site.barcodes.append(
        {
            "value": value,
            "sku": sku,
            "pack_qty": 1,
            "symbology": _symbology(value),
            "_at": (row.file, row.line, row.col(col)),
        }
    )


def _barcodes(r: _Report, site: Site) -> None:
    rows = _csv(r, site, "barcodes.csv", BARCODE_COLUMNS)
    if rows is None:
        return
    skus = {p["sku"] for p in site.products}
    for row in rows:
        value, sku = _required(r, row, "value"), _required(r, row, "sku")
        pack_qty = _int(r, row, "pack_qty", 1, minimum=1)
        symbology = row.get("symbology").upper() or _symbology(value)
        if value:
            problem = _barcode_problem(value, symbology)
            if problem:
                r.add(row.file, row.line, row.col("value"), problem)
                continue
        if sku and skus and sku not in skus and "products.csv" in site.files:
            r.add(row.file, row.line, row.col("sku"), f"unknown sku {sku!r} (not in products.csv)")
            continue
        site.barcodes.append(
            {
                "value": value,
                "sku": sku,
                "pack_qty": pack_qty,
                "symbology": symbology[:16],
                "_at": (row.file, row.line, row.col("value")),
            }
        )


def _unique_barcodes(r: _Report, site: Site) -> None:
    # Shopify rows carry their barcode in the catalogue itself.
    for product in site.products:
        row = product.pop("_row", None)
        value = product.pop("_barcode", "")
        if row is not None and value:
            _barcode_from_product(r, site, row, "Variant Barcode", product["sku"])
    first: dict[str, tuple[str, int, int]] = {}
    kept = []
    for b in site.barcodes:
        at = b.pop("_at")
        if not b["value"]:
            continue
        if b["value"] in first:
            f = first[b["value"]]
            r.add(*at, f"duplicate barcode {b['value']!r} (first in {f[0]} line {f[1]})")
            continue
        first[b["value"]] = at
        kept.append(b)
    site.barcodes = kept


def _stock(r: _Report, site: Site) -> None:
    rows = _csv(r, site, "stock.csv", STOCK_COLUMNS)
    if rows is None:
        return
    skus = {p["sku"]: p for p in site.products}
    codes = {loc.code for loc in site.locations}
    seen: dict[tuple[str, str, str], int] = {}
    for row in rows:
        sku, code = _required(r, row, "sku"), _required(r, row, "location")
        qty = _int(r, row, "qty", minimum=1)
        lot, expiry_raw = row.get("lot"), row.get("expiry")
        expiry = None
        if expiry_raw:
            try:
                expiry = date.fromisoformat(expiry_raw)
            except ValueError:
                r.add(
                    row.file,
                    row.line,
                    row.col("expiry"),
                    f"expiry: not a date (YYYY-MM-DD): {expiry_raw!r}",
                )
        product = skus.get(sku)
        if sku and product is None and "products.csv" in site.files:
            r.add(row.file, row.line, row.col("sku"), f"unknown sku {sku!r} (not in products.csv)")
        if code and site.locations and code not in codes:
            r.add(
                row.file,
                row.line,
                row.col("location"),
                f"unknown location {code!r} (not in layout.json)",
            )
        if product is not None and product["lot_tracked"] and not lot:
            r.add(row.file, row.line, row.col("lot"), f"{sku} is lot-tracked: lot is required")
        if product is not None and product["expiry_tracked"] and expiry is None:
            r.add(
                row.file,
                row.line,
                row.col("expiry"),
                f"{sku} is expiry-tracked: expiry is required",
            )
        key = (sku, code, lot)
        if key in seen:
            r.add(
                row.file,
                row.line,
                row.col("sku"),
                f"{sku} at {code} lot {lot!r} listed twice (first on line {seen[key]})",
            )
            continue
        seen[key] = row.line
        site.stock.append({"sku": sku, "location": code, "qty": qty, "lot": lot, "expiry": expiry})


def _listings(r: _Report, site: Site) -> None:
    rows = _csv(r, site, "listings.csv", LISTING_COLUMNS)
    if rows is None:
        return
    skus = {p["sku"] for p in site.products}
    channels = {c.code for c in site.channels}
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        channel, sku = _required(r, row, "channel"), _required(r, row, "sku")
        ref = _required(r, row, "product_ref")
        if channel and channel not in channels:
            r.add(
                row.file,
                row.line,
                row.col("channel"),
                f"unknown channel {channel!r} (not in channels.json)",
            )
        if sku and sku not in skus:
            r.add(row.file, row.line, row.col("sku"), f"unknown sku {sku!r} (not in products.csv)")
        if (channel, sku) in seen:
            r.add(
                row.file,
                row.line,
                row.col("sku"),
                f"{channel} lists {sku} twice (first on line {seen[(channel, sku)]})",
            )
            continue
        seen[(channel, sku)] = row.line
        site.listings.append(
            {
                "channel": channel,
                "sku": sku,
                "product_ref": ref,
                "variant_ref": row.get("variant_ref"),
            }
        )


# -- JSON files ---------------------------------------------------------------------------


class _Json:
    """A parsed JSON file that can say where each of its values starts."""

    def __init__(self, name: str, text: str) -> None:
        self.name, self.text = name, text
        self.pos: dict[tuple[Any, ...], int] = {}
        self.data = _strip_comments(self._value(json.JSONDecoder(), 0, ())[0])

    def at(self, path: tuple[Any, ...]) -> tuple[str, int, int]:
        while path and path not in self.pos:
            path = path[:-1]
        i = self.pos.get(path, 0)
        line = self.text.count("\n", 0, i) + 1
        return self.name, line, i - (self.text.rfind("\n", 0, i) + 1) + 1

    def _ws(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in " \t\r\n":
            i += 1
        return i

    def _value(self, dec: json.JSONDecoder, i: int, path: tuple[Any, ...]) -> tuple[Any, int]:
        # Called only on text json.loads accepted, so the structure is known to be sound.
        i = self._ws(i)
        self.pos[path] = i
        c = self.text[i]
        if c == "{":
            out: dict[str, Any] = {}
            i = self._ws(i + 1)
            while self.text[i] != "}":
                key, i = dec.raw_decode(self.text, self._ws(i))
                i = self._ws(i) + 1  # the colon
                out[key], i = self._value(dec, i, (*path, key))
                i = self._ws(i)
                if self.text[i] == ",":
                    i += 1
                i = self._ws(i)
            return out, i + 1
        if c == "[":
            items: list[Any] = []
            i = self._ws(i + 1)
            while self.text[i] != "]":
                item, i = self._value(dec, i, (*path, len(items)))
                items.append(item)
                i = self._ws(i)
                if self.text[i] == ",":
                    i += 1
                i = self._ws(i)
            return items, i + 1
        return dec.raw_decode(self.text, i)


def _strip_comments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_comments(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [_strip_comments(v) for v in value]
    return value


def _json(r: _Report, site: Site, name: str) -> _Json | None:
    try:
        text = (site.folder / name).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        r.add(name, 1, 1, f"not UTF-8 text ({exc.reason})")
        return None
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        r.add(name, exc.lineno, exc.colno, f"not valid JSON: {exc.msg}")
        return None
    return _Json(name, text)


def _items(r: _Report, doc: _Json, key: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The objects of a file that is a list, or ``{key: [...]}``, with their paths."""
    data, base = doc.data, ()
    if isinstance(data, dict) and key in data:
        data, base = data[key], (key,)
    if not isinstance(data, list):
        r.add(*doc.at(base), f'expected a list of {key} (or {{"{key}": [...]}})')
        return []
    out = []
    for i, item in enumerate(data):
        if isinstance(item, dict):
            out.append(((*base, i), item))
        else:
            r.add(*doc.at((*base, i)), f"{key}[{i}]: expected an object")
    return out


class _Fields:
    """Typed access to one JSON object's fields, each problem placed at its value."""

    def __init__(self, r: _Report, doc: _Json, path: tuple[Any, ...], item: dict[str, Any]):
        self.r, self.doc, self.path, self.item = r, doc, path, item

    def _bad(self, key: str, message: str) -> None:
        self.r.add(*self.doc.at((*self.path, key)), f"{key}: {message}")

    def text(self, key: str, default: str | None = None) -> str:
        if key not in self.item or self.item[key] is None:
            if default is None:
                self.r.add(*self.doc.at(self.path), f"missing required field {key!r}")
                return ""
            return default
        value = self.item[key]
        if not isinstance(value, str | int) or isinstance(value, bool):
            self._bad(key, f"expected text, not {value!r}")
            return ""
        return str(value)

    def integer(self, key: str, default: int | None = None, minimum: int = 0) -> int:
        if key not in self.item:
            if default is None:
                self.r.add(*self.doc.at(self.path), f"missing required field {key!r}")
                return 0
            return default
        value = self.item[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self._bad(key, f"expected a whole number, not {value!r}")
            return 0
        if value < minimum:
            self._bad(key, f"must be at least {minimum}, not {value}")
        return value

    def number(self, key: str, default: float | None = None, positive: bool = False) -> float:
        if key not in self.item:
            if default is None:
                self.r.add(*self.doc.at(self.path), f"missing required field {key!r}")
                return 0.0
            return default
        value = self.item[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self._bad(key, f"expected a number, not {value!r}")
            return 0.0
        if positive and value <= 0:
            self._bad(key, f"must be more than 0, not {value}")
        return float(value)

    def money(self, key: str) -> Decimal:
        value = self.item.get(key, "0")
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            amount = Decimal("-1")
        if isinstance(value, bool) or not amount.is_finite() or amount < 0:
            self._bad(key, f'expected an amount ≥ 0 such as "0.45", not {value!r}')
            return Decimal("0")
        return amount

    def flag(self, key: str, default: bool) -> bool:
        value = self.item.get(key, default)
        if not isinstance(value, bool):
            self._bad(key, f"expected true or false, not {value!r}")
            return default
        return value


def _layout(r: _Report, site: Site) -> None:
    doc = _json(r, site, "layout.json")
    if doc is None:
        return
    data = doc.data
    if not isinstance(data, dict):
        r.add(*doc.at(()), "expected an object with pick_area and zones")
        return
    before = len(r.problems)
    pa = data.get("pick_area")
    if not isinstance(pa, dict):
        r.add(*doc.at(("pick_area",)), "missing required field 'pick_area' (an object)")
        return
    f = _Fields(r, doc, ("pick_area",), pa)
    aisles = f.integer("aisles", minimum=1)
    f.number("first_aisle_x")
    for key in ("aisle_spacing", "cross_aisle_width", "bay_width"):
        f.number(key, positive=True)
    blocks = pa.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        r.add(*doc.at(("pick_area", "blocks")), "blocks: expected a list of at least one block")
    else:
        for i, b in enumerate(blocks):
            if isinstance(b, dict):
                _Fields(r, doc, ("pick_area", "blocks", i), b).integer("bays_per_side", minimum=1)
            else:
                r.add(*doc.at(("pick_area", "blocks", i)), 'expected {"bays_per_side": N}')
    for key, need in (("pick_levels", True), ("reserve_levels", False)):
        levels = pa.get(key, None if need else [])
        if (
            not isinstance(levels, list)
            or (need and not levels)
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in levels)
        ):
            r.add(*doc.at(("pick_area", key)), f"{key}: expected a list of level numbers ≥ 1")
    zones = data.get("zones")
    covered: dict[int, str] = {}
    if not isinstance(zones, list) or not zones:
        r.add(*doc.at(("zones",)), "zones: expected a list of at least one zone")
    else:
        for i, z in enumerate(zones):
            if not isinstance(z, dict):
                r.add(*doc.at(("zones", i)), "expected a zone object")
                continue
            zf = _Fields(r, doc, ("zones", i), z)
            code = zf.text("code")
            first, last = zf.integer("first_aisle", minimum=1), zf.integer("last_aisle", minimum=1)
            for a in range(first, last + 1):
                if a in covered:
                    r.add(*doc.at(("zones", i)), f"aisle {a} is in zones {covered[a]} and {code}")
                covered[a] = code
        missing = [a for a in range(1, aisles + 1) if a not in covered]
        if missing and len(r.problems) == before:
            r.add(*doc.at(("zones",)), f"aisles in no zone: {missing}")
    if isinstance(data.get("depot"), dict):
        _Fields(r, doc, ("depot",), data["depot"]).number("x", 0.0)
    areas = data.get("areas", [])
    if not isinstance(areas, list):
        r.add(*doc.at(("areas",)), "areas: expected a list")
        areas = []
    for i, a in enumerate(areas):
        if not isinstance(a, dict):
            r.add(*doc.at(("areas", i)), "expected an area object")
            continue
        af = _Fields(r, doc, ("areas", i), a)
        kind = af.text("kind")
        if kind and kind not in KINDS:
            af._bad("kind", f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
        af.text("prefix")
        af.text("zone", "")
        a.setdefault("zone", "")
        af.integer("count", minimum=1)
        for key in ("x", "y"):
            af.number(key)
        for key in ("dx", "dy"):
            af.number(key, 0.0)
    if len(r.problems) != before:
        return
    try:
        locations = Layout(data).locations()
    except (ValueError, KeyError, TypeError) as exc:
        r.add("layout.json", 1, 1, f"layout cannot be built: {exc}")
        return
    site.layout_data, site.locations = data, locations


def _cartons(r: _Report, site: Site) -> None:
    doc = _json(r, site, "cartons.json")
    if doc is None:
        return
    seen: set[str] = set()
    for path, item in _items(r, doc, "cartons"):
        f = _Fields(r, doc, path, item)
        carton = {
            "code": f.text("code"),
            "name": f.text("name", ""),
            "length_mm": f.integer("length_mm", minimum=1),
            "width_mm": f.integer("width_mm", minimum=1),
            "height_mm": f.integer("height_mm", minimum=1),
            "max_weight_g": f.integer("max_weight_g", minimum=1),
            "tare_g": f.integer("tare_g", 0),
            "cost": f.money("cost"),
        }
        carton["name"] = carton["name"] or carton["code"]
        if carton["code"] in seen:
            f._bad("code", f"duplicate carton code {carton['code']!r}")
            continue
        seen.add(carton["code"])
        site.cartons.append(carton)


def _users(r: _Report, site: Site) -> None:
    doc = _json(r, site, "users.json")
    if doc is None:
        return
    names: set[str] = set()
    badges: set[str] = set()
    for path, item in _items(r, doc, "users"):
        f = _Fields(r, doc, path, item)
        user = {
            "username": f.text("username"),
            "name": f.text("name", ""),
            "role": f.text("role"),
            "badge": f.text("badge", "") or None,
            "pin": f.text("pin", ""),
            "token": f.text("token", ""),
            "active": f.flag("active", True),
            "channels": _channel_list(f, item),
        }
        if user["role"] and user["role"] not in ROLES:
            f._bad("role", f"unknown role {user['role']!r}: one of {', '.join(ROLES)}")
        if user["pin"] and not user["pin"].isdigit():
            f._bad("pin", "a PIN is digits only")
        if user["badge"] and not user["pin"]:
            f._bad("badge", "a badge needs a pin to log in with")
        if user["username"] in names:
            f._bad("username", f"duplicate username {user['username']!r}")
            continue
        if user["badge"] in badges:
            f._bad("badge", f"duplicate badge {user['badge']!r}")
            continue
        names.add(user["username"])
        if user["badge"]:
            badges.add(user["badge"])
        site.users.append(user)


def _channel_list(f: _Fields, item: dict[str, Any]) -> list[str]:
    """The channels an integration user acts on (none: every channel it is let at)."""
    raw = item.get("channels", [])
    if not isinstance(raw, list) or not all(isinstance(c, str) and c for c in raw):
        f._bad("channels", "channels is a list of channel codes")
        return []
    return list(raw)


def _carriers(r: _Report, site: Site) -> None:
    """The sender and carrier accounts, checked as the server will read them (credentials
    are names of environment variables: an unset one is the server's warning, not a problem
    of the file)."""
    doc = _json(r, site, "carriers.json")
    if doc is None:
        return
    try:
        registry.parse(doc.data, {}, "carriers.json")
    except registry.CarrierConfigError as exc:
        r.add("carriers.json", 0, 0, str(exc).removeprefix("carriers.json: "))
        return
    site.carriers = doc.data


def _stations(r: _Report, site: Site) -> None:
    doc = _json(r, site, "stations.json")
    if doc is None:
        return
    seen: set[str] = set()
    for path, item in _items(r, doc, "stations"):
        f = _Fields(r, doc, path, item)
        station = {
            "code": f.text("code"),
            "name": f.text("name", ""),
            "label_printer_url": f.text("label_printer_url"),
            "document_printer_url": f.text("document_printer_url", ""),
            "scale_url": f.text("scale_url", ""),
            "label_dpi": f.integer("label_dpi", 203, minimum=100),
            "active": f.flag("active", True),
        }
        if station["code"] in seen:
            f._bad("code", f"duplicate station code {station['code']!r}")
            continue
        seen.add(station["code"])
        site.stations.append(station)


def _resolve_secrets(
    r: _Report, doc: _Json, folder: Path, path: tuple[Any, ...], item: dict[str, Any]
) -> dict[str, Any] | None:
    """``"env:NAME"`` reads an environment variable, ``"file:PATH"`` a file (relative to the
    site folder): secrets stay out of the site's files and out of the repository."""
    out = dict(item)
    ok = True
    for key in SECRET_KEYS:
        value = item.get(key)
        if not isinstance(value, str):
            continue
        if value.startswith("env:"):
            name = value[4:]
            if name not in os.environ:
                r.add(*doc.at((*path, key)), f"{key}: environment variable {name} is not set")
                ok = False
            else:
                out[key] = os.environ[name]
        elif value.startswith("file:"):
            secret_path = folder / value[5:]
            try:
                out[key] = secret_path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                r.add(*doc.at((*path, key)), f"{key}: cannot read {secret_path}: {exc.strerror}")
                ok = False
    return out if ok else None


def _channels(r: _Report, site: Site) -> None:
    doc = _json(r, site, "channels.json")
    if doc is None:
        return
    seen: set[str] = set()
    for path, item in _items(r, doc, "channels"):
        item = _resolve_secrets(r, doc, site.folder, path, item)
        if item is None:
            continue
        try:
            config = ChannelConfig.from_dict(item)
        except ConfigError as exc:
            r.add(*doc.at(path), str(exc))
            continue
        if config.code in seen:
            r.add(*doc.at((*path, "code")), f"duplicate channel code {config.code!r}")
            continue
        seen.add(config.code)
        site.channels.append(config)
    _key_for(r, doc, site)


def _key_for(r: _Report, doc: _Json, site: Site) -> None:
    """Channel secrets are stored sealed: loading them needs the operator's key."""
    if not any(c.secret or c.access_token or c.shop_cipher for c in site.channels):
        return
    try:
        missing = "" if keyring.has_key() else "set WMS_SECRET_KEY or WMS_SECRET_KEY_FILE"
    except SecretKeyError as exc:
        missing = str(exc)
    if missing:
        r.add(*doc.at(("channels",)), f"channel secrets are stored encrypted: {missing}")
