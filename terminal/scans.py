"""Local scan checks against the fetched batch: instant feedback that also works offline.

The server re-checks every confirmed step; these checks only decide whether the picker may
go on or must see the error screen, so they err towards the server's vocabulary (codes and
short titles from docs/floor-api.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GS = "\x1d"
_FIXED = {"00": 18, "01": 14, "02": 14, "11": 6, "12": 6, "13": 6, "15": 6, "16": 6, "17": 6}
_VARIABLE = {"10", "21", "30", "37", "22", "240", "241", "400", "410"}


@dataclass(frozen=True)
class Problem:
    """A wrong scan, shaped like the server's problem: code, ≤20-char title, expected value."""

    code: str
    title: str
    expected: str = ""


def parse_gs1(raw: str) -> dict[str, str]:
    """Application identifiers of a GS1 element string; {} when it is not one we can read."""
    text = raw.removeprefix("]C1").removeprefix("]d2").removeprefix("]Q3")
    if not text.startswith(("01", "02", "10", "17", "21", "00")) or len(text) < 16:
        return {}
    found: dict[str, str] = {}
    while text:
        ai = text[:2]
        if ai in _FIXED:
            size = _FIXED[ai]
            found[ai], text = text[2 : 2 + size], text[2 + size :]
            if len(found[ai]) != size:
                return {}
        elif ai in _VARIABLE or text[:3] in _VARIABLE:
            ai = text[:3] if text[:3] in _VARIABLE else ai
            value, _, text = text[len(ai) :].partition(GS)
            found[ai] = value
        else:
            return {}
        text = text.removeprefix(GS)
    return found


def gtin14(code: str) -> str | None:
    code = code.strip()
    return code.zfill(14) if code.isdigit() and len(code) in (8, 12, 13, 14) else None


def item_key(scan: str) -> tuple[str, str | None]:
    """(what identifies the product, lot or None) for a plain barcode, a SKU or a GS1 string."""
    ais = parse_gs1(scan)
    if "01" in ais or "02" in ais:
        return ais.get("01") or ais["02"], ais.get("10")
    return gtin14(scan) or scan.strip().upper(), None


def check_location(scan: str, stop: dict[str, Any]) -> Problem | None:
    text = scan.strip().upper()
    if text in (str(stop["location"]).upper(), str(stop.get("check_code") or "").upper()):
        return None
    return Problem("wrong_location", "Wrong location", str(stop["location"]))


def check_item(scan: str, stop: dict[str, Any]) -> Problem | None:
    key, lot = item_key(scan)
    known = {gtin14(b) or b.upper() for b in stop.get("barcodes") or []}
    known.add(str(stop["sku"]).upper())
    if key not in known:
        return Problem("wrong_item", "Wrong item", str(stop["sku"]))
    if stop.get("lot") and lot and lot != stop["lot"]:
        return Problem("wrong_lot", "Wrong lot", str(stop["lot"]))
    return None


def check_tote(scan: str, tote: str | None) -> Problem | None:
    if tote and scan.strip().upper() == tote.upper():
        return None
    return Problem("wrong_tote", "Wrong tote", tote or "")


def check_qty(text: str, remaining: int) -> tuple[int | None, Problem | None]:
    if not text.isdigit():
        return None, Problem("bad_qty", "Type a number", str(remaining))
    qty = int(text)
    if qty > remaining:
        return None, Problem("too_many", "Too many", str(remaining))
    if qty < 1:
        return None, Problem("bad_qty", "F2 for short pick", str(remaining))
    return qty, None
