"""The PDFs, rasterised by pdftoppm, scan as the intended data with zxing-cpp."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from printers.labels import LocationLabelData
from printers.pdf import (
    PackingSlipData,
    PickLine,
    PickListData,
    SlipLine,
    label_pdf,
    location_sheet_pdf,
    packing_slip_pdf,
    pick_list_pdf,
)
from printers.samples import RECIPIENT, SENDER, sample_labels
from tests.printers.conftest import decode, expected_scans, pdf_pages, scans


def test_the_label_pdf_has_one_page_per_label_that_scans(tmp_path):
    labels = list(sample_labels().values())
    pages = pdf_pages(label_pdf(labels), tmp_path)
    assert len(pages) == len(labels)
    for page, label in zip(pages, labels, strict=True):
        assert scans(decode(page)) == expected_scans(label)


@pytest.mark.parametrize("page_size", ["A4", "Letter"])
def test_a_sheet_of_location_labels_scans_and_flows_onto_a_second_page(tmp_path, page_size):
    locations = [LocationLabelData(f"B-{i:02d}-01-A", f"{i * 7 % 100:02d}") for i in range(13)]
    pages = pdf_pages(location_sheet_pdf(locations, page_size), tmp_path)
    assert len(pages) == 2
    found = [b.text for page in pages for b in decode(page)]
    assert sorted(found) == sorted(loc.location for loc in locations)
    size = Image.open(pages[0]).size
    expected = (1654, 2339) if page_size == "A4" else (1700, 2200)  # 200 dpi
    assert size == pytest.approx(expected, abs=2)


def test_the_packing_slip_carries_the_order_and_every_sku_as_barcodes(tmp_path):
    slip = PackingSlipData(
        order_ref="TT-58193_77", ship_to=RECIPIENT, sender=SENDER,
        lines=[SlipLine("TEA-GRN-20", "Organic Green Tea — 20 bags", 2),
               SlipLine("MUG-01", "Mug, stoneware", 1)],
        order_date="2026-11-26", tracking_number="1Z5R89390357567127",
    )  # fmt: skip
    [page] = pdf_pages(packing_slip_pdf(slip, "Letter"), tmp_path)
    assert sorted(b.text for b in decode(page)) == ["MUG-01", "TEA-GRN-20", "TT-58193_77"]


def test_a_long_pick_list_flows_over_pages_with_every_location_scannable(tmp_path):
    lines = [PickLine(i + 1, f"A-{i // 10:02d}-{i % 10:02d}-B", f"SKU-{i}", f"Item {i}", i % 3 + 1,
                      "T-0001") for i in range(20)]  # fmt: skip
    pick = PickListData("B-0042", "alice", lines, "2026-11-26 10:00", ("T-0001",))
    pages = pdf_pages(pick_list_pdf(pick, "A4"), tmp_path)
    assert len(pages) >= 2
    found = [b.text for page in pages for b in decode(page)]
    assert found[0] == "B-0042"
    assert sorted(found[1:]) == sorted(line.location for line in lines)


def test_an_image_on_a_label_reaches_the_pdf(tmp_path):
    from printers.model import Image as Picture
    from printers.model import Label

    picture = Image.new("L", (40, 20), 0)
    png = io.BytesIO()
    picture.save(png, format="PNG")
    label = Label(400, 200, (Picture(100, 50, png.getvalue(), width=80),))
    [page] = pdf_pages(label_pdf(label), tmp_path)
    raster = Image.open(page).convert("L")
    scale = 200 / 203
    assert raster.getpixel((round(140 * scale), round(70 * scale))) < 64
    assert raster.getpixel((round(300 * scale), round(150 * scale))) > 192
