"""PNG preview of a Label with Pillow, for screens (same layout as the ZPL)."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

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

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
    "C:/Windows/Fonts/arialbd.ttf",
)


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)  # Pillow's bundled font; covers Latin-1


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: object, width: int) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        trial = f"{current} {word}".strip()
        if current and draw.textlength(trial, font=font) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    return [*lines, current] if current or not lines else lines


class _Painter:
    def __init__(self, label: Label, dpi: int) -> None:
        self.f = dpi / BASE_DPI
        size = (max(1, self.s(label.width)), max(1, self.s(label.height)))
        self.image = PILImage.new("L", size, 255)
        self.draw = ImageDraw.Draw(self.image)

    def s(self, value: float) -> int:
        return round(value * self.f)

    def module(self, value: int) -> int:
        return max(1, round(value * self.f))

    def text(self, e: Text) -> None:
        font = _font(max(6, self.s(e.height)))
        x, y = self.s(e.x), self.s(e.y)
        fill = 0
        if e.reverse and e.width is not None:
            box_h = self.s(e.height * e.max_lines + 8)
            self.draw.rectangle([x, y, x + self.s(e.width) - 1, y + box_h - 1], fill=0)
            y, fill = self.s(e.y + 4), 255
        if e.width is None:
            self.draw.text((x, y), e.text, font=font, fill=fill)
            return
        width = self.s(e.width)
        lines = _wrap(self.draw, e.text, font, width)[: e.max_lines]
        for i, line in enumerate(lines):
            w = self.draw.textlength(line, font=font)
            dx = {"left": 0, "center": (width - w) / 2, "right": width - w}[e.align]
            self.draw.text((x + dx, y + i * self.s(e.height)), line, font=font, fill=fill)

    def linear(self, e: Code128 | GS1_128) -> None:
        modules = code128_modules(e.symbol_data)
        m = self.module(e.module)
        x0, y0, h = self.s(e.x), self.s(e.y), self.s(e.height)
        for i, bit in enumerate(modules):
            if bit == "1":
                self.draw.rectangle([x0 + i * m, y0, x0 + (i + 1) * m - 1, y0 + h - 1], fill=0)
        if e.hri:
            hri = Text(
                e.x,
                e.y + e.height + HRI_GAP,
                e.hri_text,
                HRI_HEIGHT,
                width=round(len(modules) * m / self.f),
                align="center",
            )
            self.text(hri)

    def matrix(self, x: int, y: int, rows: tuple[tuple[bool, ...], ...], module: int) -> None:
        m = self.module(module)
        x0, y0 = self.s(x), self.s(y)
        for r, row in enumerate(rows):
            for c, dark in enumerate(row):
                if dark:
                    box = [x0 + c * m, y0 + r * m, x0 + (c + 1) * m - 1, y0 + (r + 1) * m - 1]
                    self.draw.rectangle(box, fill=0)

    def image_element(self, e: Image) -> None:
        with PILImage.open(io.BytesIO(e.png)) as src:
            width = self.module(e.width)
            height = max(1, round(src.height * width / src.width))
            mono = src.convert("L").resize((width, height)).point(lambda p: 0 if p < 128 else 255)
            self.image.paste(mono, (self.s(e.x), self.s(e.y)))

    def paint(self, label: Label) -> PILImage.Image:
        for e in label.elements:
            if isinstance(e, Text):
                self.text(e)
            elif isinstance(e, Code128 | GS1_128):
                self.linear(e)
            elif isinstance(e, QR):
                self.matrix(e.x, e.y, qr_matrix(e.data, e.error_correction), e.module)
            elif isinstance(e, DataMatrix):
                self.matrix(e.x, e.y, datamatrix_matrix(e.data), e.module)
            elif isinstance(e, Box):
                t = self.module(e.thickness)
                x, y = self.s(e.x), self.s(e.y)
                box = [x, y, x + self.s(e.width) - 1, y + self.s(e.height) - 1]
                self.draw.rectangle(box, outline=0, width=t)
            elif isinstance(e, Line):
                t = self.module(e.thickness)
                x, y = self.s(min(e.x1, e.x2)), self.s(min(e.y1, e.y2))
                w = max(t, self.s(abs(e.x2 - e.x1)))
                h = max(t, self.s(abs(e.y2 - e.y1)))
                self.draw.rectangle([x, y, x + w - 1, y + h - 1], fill=0)
            elif isinstance(e, Image):
                self.image_element(e)
        return self.image


def render_image(label: Label, dpi: int = 203) -> PILImage.Image:
    """The label as a greyscale Pillow image at ``dpi``."""
    return _Painter(label, dpi).paint(label)


def render_png(label: Label, dpi: int = 203) -> bytes:
    """The label as PNG bytes at ``dpi`` (203 matches a thermal printer dot for dot)."""
    out = io.BytesIO()
    render_image(label, dpi).save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()
