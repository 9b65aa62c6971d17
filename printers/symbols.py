"""Barcode symbols as module patterns, shared by the PNG preview and the PDF output.

Code 128 bars come from python-barcode's pattern table fed with *our* codewords, so
the preview, the PDF and the ZPL carry the same symbol; QR and Data Matrix matrices
come from reportlab's encoders.
"""

from __future__ import annotations

from functools import lru_cache

from barcode.codex import Code128 as _PyBarcode128

from printers.code128 import encode


class _Codewords128(_PyBarcode128):
    """python-barcode's Code 128 with the codeword choice replaced by ours."""

    def __init__(self, codewords: tuple[int, ...]) -> None:
        self._codewords = list(codewords)
        self.code = ""

    def _build(self) -> list[int]:
        return list(self._codewords)


@lru_cache(maxsize=1024)
def code128_modules(data: str) -> str:
    """'1' (bar) / '0' (space) per module for Code 128 ``data`` (FNC1 as GS)."""
    # build() appends the check codeword and the 13-module stop pattern.
    return _Codewords128(encode(data).codewords).build()[0]


@lru_cache(maxsize=256)
def qr_matrix(data: str, level: str = "M") -> tuple[tuple[bool, ...], ...]:
    """QR code modules, row by row, without quiet zone."""
    from reportlab.graphics.barcode import qrencoder

    qr = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
    qr.addData(data)
    qr.make()
    n = qr.getModuleCount()
    return tuple(tuple(bool(qr.isDark(r, c)) for c in range(n)) for r in range(n))


@lru_cache(maxsize=256)
def datamatrix_matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """Data Matrix modules, row by row (reportlab's encoder: 44x44, C40)."""
    from reportlab.graphics.barcode.ecc200datamatrix import ECC200DataMatrix

    symbol = ECC200DataMatrix(value=data)
    symbol.validate()
    rows = [list(row) for row in symbol.encode()]
    rows.reverse()  # reportlab stores them bottom-up for PDF coordinates
    return tuple(tuple(bool(int(v)) for v in row) for row in rows)
