"""Render a Label to ZPL II at 203, 300 or 600 dpi (UTF-8, escaped field data)."""

from __future__ import annotations

import io
from functools import lru_cache

from printers.code128 import encode
from printers.model import (
    BASE_DPI,
    GS1_128,
    QR,
    Box,
    Code128,
    DataMatrix,
    Element,
    Image,
    Label,
    Line,
    Text,
)

SUPPORTED_DPI = (203, 300, 600)
HRI_HEIGHT = 22  # dots at 203 dpi: the interpretation line under linear barcodes
HRI_GAP = 4
_JUSTIFY = {"left": "L", "center": "C", "right": "R"}
# With ^FH_ these characters are written as hex: ^ and ~ would start a command,
# _ is the hex indicator itself, and \& is a line break inside ^FB blocks.
_FH_ESCAPES = str.maketrans({"_": "_5F", "^": "_5E", "~": "_7E", "\\": "_5C"})


def escape_field(text: str, block: bool = False) -> str:
    """Field data safe to follow ``^FH_^FD``; everything else stays UTF-8 (``^CI28``).

    In a ``^FB`` block ``\\&`` is a line break and ``\\\\`` a backslash (ZPL manual,
    ^FB), so a block's backslashes are doubled before the hex escaping.
    """
    if block:
        text = text.replace("\\", "\\\\")
    return text.translate(_FH_ESCAPES)


class _Scale:
    """Dots at 203 dpi to dots at the target resolution."""

    def __init__(self, dpi: int) -> None:
        if dpi not in SUPPORTED_DPI:
            raise ValueError(f"dpi must be one of {SUPPORTED_DPI}, not {dpi}")
        self.factor = dpi / BASE_DPI

    def __call__(self, value: int) -> int:
        return value if self.factor == 1 else round(value * self.factor)

    def at_least_one(self, value: int) -> int:
        return max(1, self(value))


def barcode_width(element: Code128 | GS1_128, dpi: int = BASE_DPI) -> int:
    """Width of a linear barcode in dots at ``dpi`` (bars only, no quiet zone)."""
    return encode(element.symbol_data).modules * _Scale(dpi).at_least_one(element.module)


def _text(e: Text, s: _Scale) -> str:
    h = s.at_least_one(e.height)
    out = []
    if e.reverse:
        if e.width is None:
            raise ValueError("reverse text needs a width")
        box_h = s(e.height * e.max_lines + 8)
        out.append(f"^FO{s(e.x)},{s(e.y)}^GB{s(e.width)},{box_h},{box_h}^FS")
    y = s(e.y + 4) if e.reverse else s(e.y)
    field = f"^FO{s(e.x)},{y}^A0N,{h},{h}"
    if e.width is not None:
        field += f"^FB{s(e.width)},{e.max_lines},0,{_JUSTIFY[e.align]},0"
    if e.reverse:
        field += "^FR"
    out.append(f"{field}^FH_^FD{escape_field(e.text, block=e.width is not None)}^FS")
    return "".join(out)


def _linear(e: Code128 | GS1_128, s: _Scale) -> str:
    symbol = encode(e.symbol_data)
    module = s.at_least_one(e.module)
    # Our own interpretation line (^BC ... N): the printer's would show '>8' codes raw.
    out = f"^FO{s(e.x)},{s(e.y)}^BY{module},3^BCN,{s(e.height)},N,N,N,N^FD{symbol.zpl_data}^FS"
    if e.hri:
        width = symbol.modules * module
        h = s(HRI_HEIGHT)
        out += (
            f"^FO{s(e.x)},{s(e.y + e.height + HRI_GAP)}^A0N,{h},{h}"
            f"^FB{width},1,0,C,0^FH_^FD{escape_field(e.hri_text, block=True)}^FS"
        )
    return out


def _image(e: Image, s: _Scale) -> str:
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(e.png)) as src:
        width = s.at_least_one(e.width)
        height = max(1, round(src.height * width / src.width))
        mono = src.convert("L").resize((width, height)).point(lambda p: 255 if p < 128 else 0)
        raw = mono.convert("1").tobytes()  # now 1 = black, as ^GF wants
    row = (width + 7) // 8
    return f"^FO{s(e.x)},{s(e.y)}^GFA,{len(raw)},{len(raw)},{row},{raw.hex().upper()}^FS"


_SCALES = {dpi: _Scale(dpi) for dpi in SUPPORTED_DPI}


@lru_cache(maxsize=8192)
def _element_zpl(e: Element, dpi: int) -> str:
    """ZPL of one element; cached because most of a label (sender, frames, captions)
    repeats from one label to the next."""
    return _element(e, _SCALES[dpi])


def _element(e: Element, s: _Scale) -> str:
    if isinstance(e, Text):
        return _text(e, s)
    if isinstance(e, Code128 | GS1_128):
        return _linear(e, s)
    if isinstance(e, QR):
        magnification = min(10, s.at_least_one(e.module))
        data = escape_field(e.data)
        return f"^FO{s(e.x)},{s(e.y)}^BQN,2,{magnification}^FH_^FD{e.error_correction}A,{data}^FS"
    if isinstance(e, DataMatrix):
        module = s.at_least_one(e.module)
        return f"^FO{s(e.x)},{s(e.y)}^BXN,{module},200^FH_^FD{escape_field(e.data)}^FS"
    if isinstance(e, Box):
        t = s.at_least_one(e.thickness)
        return f"^FO{s(e.x)},{s(e.y)}^GB{s(e.width)},{s(e.height)},{t}^FS"
    if isinstance(e, Line):
        t = s.at_least_one(e.thickness)
        x, y = min(e.x1, e.x2), min(e.y1, e.y2)
        w, h = s(abs(e.x2 - e.x1)) or t, s(abs(e.y2 - e.y1)) or t
        return f"^FO{s(x)},{s(y)}^GB{w},{h},{t}^FS"
    if isinstance(e, Image):
        return _image(e, s)
    raise TypeError(f"cannot render {type(e).__name__} to ZPL")


def render_zpl(label: Label, dpi: int = 203) -> bytes:
    """One ^XA..^XZ format for ``label`` at ``dpi``, UTF-8 encoded."""
    s = _SCALES.get(dpi) or _Scale(dpi)  # _Scale raises on an unsupported dpi
    body = "".join([_element_zpl(e, dpi) for e in label.elements])
    head = f"^XA^CI28^PW{s(label.width)}^LL{s(label.height)}^LH0,0"
    tail = f"^PQ{label.copies},0,1,Y^XZ\n" if label.copies != 1 else "^XZ\n"
    return (head + body + tail).encode("utf-8")
