"""At 300 dpi, every template's ZPL rendered by zpl-renderer-js scans as intended."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.printers.conftest import decode, expected_scans, scans
from tests.printers.oracle_labels import oracle_labels, render_all


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return render_all(tmp_path_factory.mktemp("zebrash300"), 300)


@pytest.mark.parametrize("name", list(oracle_labels()))
def test_every_barcode_on_the_label_scans_as_the_intended_data(rendered, name):
    assert len(rendered[name]) == 1, "one ^XA..^XZ format, one picture"
    assert scans(decode(rendered[name][0])) == expected_scans(oracle_labels()[name])


def test_a_label_keeps_its_physical_size_at_300_dpi(rendered):
    # 101.5 x 152.25 mm at 12 dots/mm.
    size = Image.open(rendered["carrier_international"][0]).size
    assert size == pytest.approx((1218, 1827), abs=2)
