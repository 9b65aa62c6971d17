"""The PNG preview (Pillow) scans as the intended data with zxing-cpp."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from printers.model import QR, DataMatrix, Label, Text
from printers.preview import render_image, render_png
from printers.samples import sample_labels
from tests.printers.conftest import decode, expected_scans, scans

MATRIX = Label(812, 600, (Text(20, 20, "2D", 30), QR(40, 80, "https://ex.am/ple?q=é", 4),
                          DataMatrix(420, 80, "DM-0042 LOT A1", 5)))  # fmt: skip


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("name", [*sample_labels(), "matrix"])
def test_the_png_preview_scans_as_the_intended_data(name, dpi):
    label = {**sample_labels(), "matrix": MATRIX}[name]
    image = Image.open(io.BytesIO(render_png(label, dpi)))
    assert image.size == (round(label.width * dpi / 203), round(label.height * dpi / 203))
    assert scans(decode(image)) == expected_scans(label)


def test_the_preview_draws_the_same_bars_as_the_zpl_symbol():
    from printers.code128 import encode

    label = sample_labels()["tote"]
    image = render_image(label)
    [barcode] = label.barcodes()
    row = [image.getpixel((barcode.x + i, barcode.y + 10)) for i in range(800 - barcode.x)]
    dark = [i for i, v in enumerate(row) if v < 128]
    # Starts and ends with a bar: the dark run spans exactly modules x module width.
    assert dark[0] == 0
    assert dark[-1] + 1 == encode(barcode.data).modules * barcode.module


def _logo() -> bytes:
    picture = Image.new("L", (40, 20), 255)
    for x in range(20):
        for y in range(20):
            picture.putpixel((x, y), 0)  # left half black
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def test_images_boxes_and_lines_land_where_the_label_puts_them():
    from printers.model import Box, Line
    from printers.model import Image as Picture

    label = Label(400, 200, (Picture(100, 50, _logo(), width=80), Box(0, 0, 400, 200, 4),
                             Line(0, 150, 400, 150, 2)))  # fmt: skip
    for dpi in (203, 300):
        image = render_image(label, dpi)
        f = dpi / 203

        def px(x: int, y: int, image: Image.Image = image, f: float = f) -> int:
            return image.getpixel((round(x * f), round(y * f)))

        assert px(110, 60) == 0 and px(170, 60) == 255  # logo scaled to 80 dots wide
        assert px(1, 100) == 0 and px(200, 151) == 0 and px(200, 100) == 255
