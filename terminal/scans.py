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
    detail: str = ""


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


def _norm(barcode: str) -> str:
    return gtin14(barcode) or barcode.upper()


def is_item(scan: str, stop: dict[str, Any]) -> bool:
    """The scan names the stop's (or pack line's) product."""
    known = {_norm(b) for b in stop.get("barcodes") or []}
    known.add(str(stop["sku"]).upper())
    return item_key(scan)[0] in known


def check_item(
    scan: str, stop: dict[str, Any], others: list[dict[str, Any]] | None = None
) -> Problem | None:
    """A wrong item names the product expected and what was scanned (its name when known)."""
    key, lot = item_key(scan)
    if not is_item(scan, stop):
        seen = next((o for o in others or [] if is_item(scan, o)), None)
        what = f"{seen['name'] or seen['sku']} ({seen['sku']})" if seen else scan.strip()
        return Problem(
            "wrong_item",
            "Wrong item",
            str(stop.get("name") or stop["sku"]),
            f"Scanned: {what}",
        )
    if stop.get("lot") and lot and lot.upper() != str(stop["lot"]).upper():
        return Problem("wrong_lot", "Wrong lot", str(stop["lot"]), f"Scanned lot {lot}")
    return None


def pack_qty(scan: str, line: dict[str, Any]) -> int:
    """Units a scan stands for: an inner pack or case barcode counts its `pack_qty`.

    `packs` ({barcode: units}, barcodes of more than one unit) comes with the stop or the
    pack line; a server without it means every barcode is one unit.
    """
    key = item_key(scan)[0]
    for value, units in (line.get("packs") or {}).items():
        if _norm(value) == key:
            return max(1, int(units))
    return 1


def lot_of(scan: str) -> str | None:
    """The lot in a scan: a GS1 string's (10), or a plain lot label's text."""
    text = scan.strip()
    ais = parse_gs1(text)
    if "10" in ais:
        return ais["10"].upper()
    for prefix in ("]C110", "(10)"):  # a lot label printed as GS1-128 (10) alone
        if text.startswith(prefix) and len(text) > len(prefix):
            return text[len(prefix) :].split(GS)[0].upper()
    return text.upper() or None


def with_lot(scan: str, lot: str) -> str:
    """The item scan and a lot scanned apart, as the one GS1 element string they amount to."""
    if not lot or item_key(scan)[1]:
        return scan
    gtin = gtin14(scan)
    return f"]C101{gtin}10{lot}" if gtin else scan


def choose_lot(code: str, lots: list[str]) -> str | None:
    """A keypad number from the list shown, or a scanned/typed lot code."""
    if code.isdigit() and len(code) <= 2 and 1 <= int(code) <= len(lots):
        return lots[int(code) - 1]
    return lot_of(code)


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
