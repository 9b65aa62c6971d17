"""Every template's ZPL, rendered by zpl-renderer-js and scanned by zxing-cpp, is right."""

from __future__ import annotations

from pathlib import Path

import pytest

from printers.model import GS1_128, QR, Code128, DataMatrix, Label, Text
from printers.samples import sample_labels
from printers.zpl import render_zpl
from tests.printers.conftest import decode, expected_scans, scans, zebrash_render

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "labels"
ORACLE_DPI = (203, 300)

# Field data that must survive escaping: ZPL command prefixes, the ^FH indicator,
# a backslash, UTF-8, a GS1 lot followed by another AI (FNC1 in the middle).
TRICKY = Label(
    812,
    1218,
    (
        Text(20, 20, "Zoë ^XZ ~HS _5E \\& ok", 36),
        Code128(40, 100, "AB^12>x~yz", 100),
        Code128(40, 260, "12345", 100),
        GS1_128(40, 420, [("10", "LOT^_~1"), ("21", "SN>42")], 100),
        GS1_128(40, 580, [("01", "04006381333931"), ("421", "25075001")], 100),
        QR(40, 760, "https://example.com/t?a=1&b=^~_é", 4),
        DataMatrix(450, 760, "DM ^XZ ~HS _ \\", 6),
    ),
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], list[Path]]:
    """Every golden file and the tricky label, rendered once at 203 and 300 dpi."""
    folder = tmp_path_factory.mktemp("zebrash")
    labels = {**sample_labels(), "tricky": TRICKY}
    jobs, keys = [], []
    for name, label in labels.items():
        for dpi in ORACLE_DPI:
            golden = GOLDEN / f"{name}.{dpi}.zpl"
            zpl = golden.read_bytes() if golden.exists() else render_zpl(label, dpi)
            jobs.append((zpl, folder / f"{name}-{dpi}", label, dpi))
            keys.append((name, dpi))
    return dict(zip(keys, zebrash_render(jobs), strict=True))


@pytest.mark.parametrize("dpi", ORACLE_DPI)
@pytest.mark.parametrize("name", [*sample_labels(), "tricky"])
def test_every_barcode_on_the_label_scans_as_the_intended_data(rendered, name, dpi):
    label = {**sample_labels(), "tricky": TRICKY}[name]
    files = rendered[(name, dpi)]
    assert len(files) == 1, "one ^XA..^XZ format, one picture"
    assert scans(decode(files[0])) == expected_scans(label)


def test_the_golden_files_are_what_the_oracle_rendered(rendered):
    # Guards the fixture: the oracle looked at the committed goldens, not a fresh render.
    for name, label in sample_labels().items():
        for dpi in ORACLE_DPI:
            assert (GOLDEN / f"{name}.{dpi}.zpl").read_bytes() == render_zpl(label, dpi)


def test_gs1_symbols_carry_fnc1_as_gs_between_variable_length_fields(rendered):
    found = {bytes(b.bytes): b for b in decode(rendered[("tricky", 203)][0])}
    lot_serial = found[b"10LOT^_~1\x1d21SN>42"]
    assert lot_serial.symbology_identifier == "]C1"
    assert lot_serial.text == "(10)LOT^_~1(21)SN>42"
    # (01) has a predefined length: no separator before (421).
    assert b"010400638133393142125075001" in found


def test_a_label_renders_at_the_same_physical_size_at_203_and_300_dpi(rendered):
    from PIL import Image

    small = Image.open(rendered[("carrier_international", 203)][0]).size
    large = Image.open(rendered[("carrier_international", 300)][0]).size
    assert small == (812, 1218)  # 101.5 x 152.25 mm at 8 dots/mm
    assert large == pytest.approx((812 * 1.5, 1218 * 1.5), abs=2)  # 12 dots/mm
