"""At 203 dpi, every template's ZPL rendered by zpl-renderer-js scans as intended."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from printers.samples import sample_labels
from printers.zpl import render_zpl
from tests.printers.conftest import decode, expected_scans, scans
from tests.printers.oracle_labels import GOLDEN, oracle_labels, render_all


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return render_all(tmp_path_factory.mktemp("zebrash203"), 203)


@pytest.mark.parametrize("name", list(oracle_labels()))
def test_every_barcode_on_the_label_scans_as_the_intended_data(rendered, name):
    assert len(rendered[name]) == 1, "one ^XA..^XZ format, one picture"
    assert scans(decode(rendered[name][0])) == expected_scans(oracle_labels()[name])


def test_the_oracle_looked_at_the_committed_golden_files():
    for name, label in sample_labels().items():
        assert (GOLDEN / f"{name}.203.zpl").read_bytes() == render_zpl(label, 203)


def test_gs1_symbols_carry_fnc1_as_gs_between_variable_length_fields(rendered):
    found = {bytes(b.bytes): b for b in decode(rendered["tricky"][0])}
    lot_serial = found[b"10LOT^_~1\x1d21SN>42"]
    assert lot_serial.symbology_identifier == "]C1"
    assert lot_serial.text == "(10)LOT^_~1(21)SN>42"
    # (01) has a predefined length: no separator before (421).
    assert b"010400638133393142125075001" in found


def test_a_4x6_label_is_812_by_1218_dots(rendered):
    assert Image.open(rendered["carrier_international"][0]).size == (812, 1218)
