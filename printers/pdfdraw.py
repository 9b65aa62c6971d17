"""Draw a Label (and bare barcodes) on a reportlab canvas, all in vectors."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from printers.model import (
    BASE_DPI,
    GS1_128,
    QR,
    Box,
    Code128,
    DataMatrix,
    Image,
    Label,
    Line,
    Text,
)
from printers.symbols import code128_modules, datamatrix_matrix, qr_matrix
from printers.zpl import HRI_GAP, HRI_HEIGHT

PT_PER_DOT = 72 / BASE_DPI
_TTF = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf", "WMS-Regular"),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf", "WMS-Bold"),
)


@lru_cache(maxsize=1)
def fonts() -> tuple[str, str]:
    """(regular, bold) font names: DejaVu (full UTF-8) when present, else Helvetica."""
    if all(Path(path).exists() for path, _ in _TTF):
        for path, name in _TTF:
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, path))
        return _TTF[0][1], _TTF[1][1]
    return "Helvetica", "Helvetica-Bold"


def draw_code128(c: Canvas, data: str, x: float, y: float, module: float, height: float) -> float:
    """Bars of Code 128 ``data`` with bottom-left at (x, y), in points; returns the width."""
    modules = code128_modules(data)
    i = 0
    while i < len(modules):
        if modules[i] == "1":
            j = i
            while j < len(modules) and modules[j] == "1":
                j += 1
            c.rect(x + i * module, y, (j - i) * module, height, stroke=0, fill=1)
            i = j
        else:
            i += 1
    return len(modules) * module


def _matrix(c: Canvas, rows: tuple[tuple[bool, ...], ...], x: float, top: float, m: float) -> None:
    for r, row in enumerate(rows):
        for col, dark in enumerate(row):
            if dark:
                c.rect(x + col * m, top - (r + 1) * m, m, m, stroke=0, fill=1)


def draw_label(c: Canvas, label: Label, x: float, top: float) -> None:
    """Draw ``label`` with its top-left corner at (x, top) points, 1:1 size."""
    regular, bold = fonts()

    def px(v: float) -> float:
        return x + v * PT_PER_DOT

    def py(v: float) -> float:  # label y grows downwards, PDF y upwards
        return top - v * PT_PER_DOT

    def text(e: Text) -> None:
        size = e.height * PT_PER_DOT
        c.setFont(bold, size)
        if e.reverse and e.width is not None:
            box_h = (e.height * e.max_lines + 8) * PT_PER_DOT
            c.rect(px(e.x), py(e.y) - box_h, e.width * PT_PER_DOT, box_h, stroke=0, fill=1)
            c.setFillGray(1)
        y0 = py(e.y + (4 if e.reverse else 0)) - size * 0.8
        if e.width is None:
            c.drawString(px(e.x), y0, e.text)
        else:
            width = e.width * PT_PER_DOT
            line = e.text
            while line and c.stringWidth(line, bold, size) > width:
                line = line[:-1]  # one line of what fits, like ^FB with one line
            if e.align == "center":
                c.drawCentredString(px(e.x) + width / 2, y0, line)
            elif e.align == "right":
                c.drawRightString(px(e.x) + width, y0, line)
            else:
                c.drawString(px(e.x), y0, line)
        c.setFillGray(0)

    for e in label.elements:
        if isinstance(e, Text):
            text(e)
        elif isinstance(e, Code128 | GS1_128):
            m = e.module * PT_PER_DOT
            width = draw_code128(
                c, e.symbol_data, px(e.x), py(e.y + e.height), m, e.height * PT_PER_DOT
            )
            if e.hri:
                hri = Text(
                    e.x,
                    e.y + e.height + HRI_GAP,
                    e.hri_text,
                    HRI_HEIGHT,
                    width=round(width / PT_PER_DOT),
                    align="center",
                )
                text(hri)
        elif isinstance(e, QR):
            _matrix(
                c, qr_matrix(e.data, e.error_correction), px(e.x), py(e.y), e.module * PT_PER_DOT
            )
        elif isinstance(e, DataMatrix):
            _matrix(c, datamatrix_matrix(e.data), px(e.x), py(e.y), e.module * PT_PER_DOT)
        elif isinstance(e, Box):
            t = e.thickness * PT_PER_DOT
            c.setLineWidth(t)
            w, h = e.width * PT_PER_DOT, e.height * PT_PER_DOT
            c.rect(px(e.x) + t / 2, py(e.y) - h + t / 2, w - t, h - t, stroke=1, fill=0)
        elif isinstance(e, Line):
            t = e.thickness * PT_PER_DOT
            w = max(t, abs(e.x2 - e.x1) * PT_PER_DOT)
            h = max(t, abs(e.y2 - e.y1) * PT_PER_DOT)
            c.rect(px(min(e.x1, e.x2)), py(min(e.y1, e.y2)) - h, w, h, stroke=0, fill=1)
        elif isinstance(e, Image):
            reader = ImageReader(io.BytesIO(e.png))
            iw, ih = reader.getSize()
            w = e.width * PT_PER_DOT
            h = w * ih / iw
            c.drawImage(reader, px(e.x), py(e.y) - h, w, h)
