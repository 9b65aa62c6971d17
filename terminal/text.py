"""How a typed entry is told from a barcode, and how a long text fits a 20-column screen."""

from __future__ import annotations


def is_qty(code: str) -> bool:
    """Typed quantities are short; barcodes (also all digits) are long."""
    return code.isdigit() and len(code) <= 6


def short(text: str, width: int = 20) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
