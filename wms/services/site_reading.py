"""Reading a site's files: problems with file, line and column, CSV rows, JSON with positions.

The pieces `site_files` and its readers (`site_csv`, `site_json`) share: the site as
plain values, the report of problems, and typed access to a CSV row or a JSON item.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from wms.channels.config import ChannelConfig
from wms.domain.checkdigits import is_valid_gtin
from wms.domain.layout import LocationSpec

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


class Report:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, line: int, column: int, message: str) -> None:
        self.problems.append(Problem(file, line, column, message))


@dataclass
class Row:
    file: str
    line: int
    values: dict[str, str]
    columns: dict[str, int]  # column name -> position from 1

    def get(self, name: str) -> str:
        return (self.values.get(name) or "").strip()

    def col(self, name: str) -> int:
        return self.columns.get(name, 1)


def read_csv(r: Report, site: Site, name: str, required: tuple[str, ...]) -> list[Row] | None:
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
    rows: list[Row] = []
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
            Row(
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


def row_int(r: Report, row: Row, col: str, default: int | None = None, minimum: int = 0) -> int:
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


def row_decimal(r: Report, row: Row, col: str) -> Decimal:
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


def row_bool(r: Report, row: Row, col: str, default: bool = False) -> bool:
    raw = row.get(col).lower()
    if raw == "":
        return default
    if raw in _TRUE:
        return True
    if raw not in _FALSE:
        r.add(row.file, row.line, row.col(col), f"{col}: not true/false: {row.get(col)!r}")
    return False


def row_required(r: Report, row: Row, col: str) -> str:
    value = row.get(col)
    if not value:
        r.add(row.file, row.line, row.col(col), f"{col}: must not be empty")
    return value


def barcode_problem(value: str, symbology: str) -> str | None:
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


def symbology_of(value: str) -> str:
    return {8: "EAN8", 12: "UPCA", 13: "EAN13", 14: "ITF14"}.get(len(value), "CODE128")


class JsonDoc:
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


def read_json(r: Report, site: Site, name: str) -> JsonDoc | None:
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
    return JsonDoc(name, text)


def json_items(r: Report, doc: JsonDoc, key: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
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


class Fields:
    """Typed access to one JSON object's fields, each problem placed at its value."""

    def __init__(self, r: Report, doc: JsonDoc, path: tuple[Any, ...], item: dict[str, Any]):
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
