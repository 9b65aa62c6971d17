"""What a raw scan looks like (GTIN, GS1 element string, SSCC, check code, text) — no I/O.

The resolver in ``wms.services.scan`` looks the candidates up; this module only reads the
characters: symbology prefix, FNC1 (sent by scanners as ASCII 29, GS), check digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import biip

from wms.domain.checkdigits import gs1_check_digit, is_valid_gtin

GS = "\x1d"
TOTE_RE = re.compile(r"^T\d{4,8}$")
CHECK_CODE_RE = re.compile(r"^\d{2}$")
_SYMBOLOGY_RE = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
GTIN_LENGTHS = (8, 12, 13, 14)


@dataclass(frozen=True)
class Scan:
    """A scan read as characters. ``kind``: gtin | gs1 | sscc | check_code | text | empty."""

    raw: str
    kind: str
    text: str  # the scan without symbology prefix and surrounding blanks
    gtin: str | None = None  # as GTIN-14 when the scan names a product
    lot: str | None = None
    expiry: date | None = None
    serial: str | None = None
    count: int | None = None
    sscc: str | None = None
    bad_check_digit: bool = False
    gs1_prefix: bool = False  # the scanner said GS1-128 (]C1) or FNC1 was in the data

    def barcode_candidates(self) -> list[str]:
        """Values a barcode table may hold for this scan: as scanned, then shorter GTINs."""
        out = [self.text]
        if self.gtin:
            g = self.gtin
            out += [g, g[1:], g[2:], g[6:]]
        seen: list[str] = []
        for value in out:
            if value and value not in seen:
                seen.append(value)
        return seen


def strip_prefix(raw: str) -> tuple[str, bool]:
    """Drop blanks and an AIM symbology identifier; True when it says GS1-128/DataMatrix GS1."""
    text = raw.strip().strip("\r\n")
    m = _SYMBOLOGY_RE.match(text)
    if not m:
        return text, False
    prefix = m.group(0)
    return text[3:], prefix in ("]C1", "]d2", "]e0", "]Q3")


def _gs1(text: str, raw: str) -> Scan | None:
    """A GS1 element string: (01)…(10)…, FNC1 as GS; None if it does not parse as one."""
    value = text.replace("(", "").replace(")", "") if text.startswith("(") else text
    try:
        message = biip.gs1_messages.GS1Message.parse(value)
    except Exception:  # biip raises its own ParseError family; any failure means "not GS1"
        return None
    fields: dict[str, object] = {}
    bad = False
    for es in message.element_strings:
        ai = es.ai.ai
        if ai in ("01", "02"):
            fields["gtin"] = es.value
            bad = bad or es.gtin_error is not None
        elif ai == "10":
            fields["lot"] = es.value
        elif ai == "17":
            fields["expiry"] = es.date
        elif ai == "21":
            fields["serial"] = es.value
        elif ai == "37":
            fields["count"] = int(es.value)
        elif ai == "00":
            fields["sscc"] = es.value
            bad = bad or es.sscc_error is not None
    if "gtin" not in fields and "sscc" not in fields:
        return None
    kind = "gs1" if "gtin" in fields else "sscc"
    return Scan(raw, kind, text, bad_check_digit=bad, gs1_prefix=True, **fields)  # type: ignore[arg-type]


def classify(raw: str) -> Scan:
    """Read a raw scan. Never raises: an unreadable scan is ``text`` for the look-up."""
    text, gs1_symbology = strip_prefix(raw)
    if not text:
        return Scan(raw, "empty", "")
    looks_gs1 = gs1_symbology or GS in text or (text.startswith("(") and ")" in text)
    if looks_gs1:
        parsed = _gs1(text, raw)
        if parsed is not None:
            return parsed
        text = text.replace(GS, "")
    if text.isdigit():
        if len(text) in GTIN_LENGTHS:
            return Scan(
                raw, "gtin", text, gtin=text.zfill(14), bad_check_digit=not is_valid_gtin(text)
            )
        if len(text) == 18:
            return Scan(raw, "sscc", text, sscc=text, bad_check_digit=not _valid_sscc(text))
        if len(text) == 20 and text.startswith("00"):
            sscc = text[2:]
            return Scan(raw, "sscc", text, sscc=sscc, bad_check_digit=not _valid_sscc(sscc))
        if CHECK_CODE_RE.match(text):
            return Scan(raw, "check_code", text)
    if len(text) >= 16 and text.startswith("01") and text[2:16].isdigit():
        parsed = _gs1(text, raw)  # GS1 without prefix or FNC1: (01) + 14 digits + ...
        if parsed is not None:
            return parsed
    return Scan(raw, "text", text)


def _valid_sscc(code: str) -> bool:
    return len(code) == 18 and code.isdigit() and gs1_check_digit(code[:-1]) == int(code[-1])


def looks_like_tote(text: str) -> bool:
    return bool(TOTE_RE.match(text.upper()))
