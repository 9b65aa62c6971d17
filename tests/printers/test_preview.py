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
