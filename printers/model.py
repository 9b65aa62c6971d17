"""Labels as data: elements placed in dots of a 203 dpi printer (8 dots per mm).

Renderers (ZPL, PNG, PDF) scale these to the target resolution, so one label
definition prints the same size on 203, 300 and 600 dpi printers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from printers.code128 import gs1_data, gs1_text

BASE_DPI = 203
DOTS_PER_MM = 8  # at BASE_DPI; 203 dpi printers are sold as 8 dots/mm


def mm(value: float) -> int:
    """Millimetres to dots at 203 dpi."""
    return round(value * DOTS_PER_MM)


Align = Literal["left", "center", "right"]


@dataclass(frozen=True, slots=True)
class Text:
    """A text field; with ``width`` it becomes a block that wraps and aligns."""

    x: int
    y: int
    text: str
    height: int = 30
    width: int | None = None
    align: Align = "left"
    max_lines: int = 1
    reverse: bool = False  # white on black, for routing codes


@dataclass(frozen=True, slots=True)
class Code128:
    """A Code 128 barcode; ``module`` is the narrow bar width in dots at 203 dpi."""

    x: int
    y: int
    data: str
    height: int = 100
    module: int = 2
    hri: bool = True  # print the human-readable line under the bars

    @property
    def symbol_data(self) -> str:
        """The characters encoded (FNC1 as GS)."""
        return self.data

    @property
    def hri_text(self) -> str:
        """The human-readable interpretation printed under the bars."""
        return self.data


@dataclass(frozen=True, slots=True)
class GS1_128:  # noqa: N801 - the symbology's own name
    """A GS1-128 barcode from (AI, value) pairs; FNC1 placed where GS1 requires it."""

    x: int
    y: int
    elements: Sequence[tuple[str, str]]
    height: int = 100
    module: int = 2
    hri: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "elements", tuple(tuple(e) for e in self.elements))
        gs1_data(self.elements)  # validate early, not at print time

    @property
    def symbol_data(self) -> str:
        """The characters encoded: leading FNC1, AIs, FNC1 after variable-length ones."""
        return gs1_data(self.elements)

    @property
    def hri_text(self) -> str:
        """``(00)...(420)...``."""
        return gs1_text(self.elements)


@dataclass(frozen=True, slots=True)
class QR:
    """A QR code; ``module`` is the size of one square in dots at 203 dpi."""

    x: int
    y: int
    data: str
    module: int = 4
    error_correction: Literal["L", "M", "Q", "H"] = "M"


@dataclass(frozen=True, slots=True)
class DataMatrix:
    """An ECC 200 Data Matrix; ``module`` is one square in dots at 203 dpi."""

    x: int
    y: int
    data: str
    module: int = 5


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle outline (or filled when ``thickness`` >= the smaller side)."""

    x: int
    y: int
    width: int
    height: int
    thickness: int = 2


@dataclass(frozen=True, slots=True)
class Line:
    """A horizontal or vertical line from (x1, y1) to (x2, y2)."""

    x1: int
    y1: int
    x2: int
    y2: int
    thickness: int = 2

    def __post_init__(self) -> None:
        if self.x1 != self.x2 and self.y1 != self.y2:
            raise ValueError("Line must be horizontal or vertical")


@dataclass(frozen=True, slots=True)
class Image:
    """A monochrome picture (a logo); ``png`` is any image Pillow opens."""

    x: int
    y: int
    png: bytes
    width: int  # dots at 203 dpi; height follows the aspect ratio


Element = Text | Code128 | GS1_128 | QR | DataMatrix | Box | Line | Image


@dataclass(frozen=True, slots=True)
class Label:
    """A label: its size in dots at 203 dpi and what is on it."""

    width: int
    height: int
    elements: tuple[Element, ...] = field(default_factory=tuple)
    copies: int = 1

    @property
    def width_mm(self) -> float:
        """Width in millimetres."""
        return self.width / DOTS_PER_MM

    @property
    def height_mm(self) -> float:
        """Height in millimetres."""
        return self.height / DOTS_PER_MM

    def barcodes(self) -> list[Code128 | GS1_128 | QR | DataMatrix]:
        """Every barcode on the label, in order."""
        return [e for e in self.elements if isinstance(e, Code128 | GS1_128 | QR | DataMatrix)]
