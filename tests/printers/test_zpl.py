"""The ZPL renderer writes exactly the bytes a Zebra printer needs."""

from __future__ import annotations

import io

import pytest
from PIL import Image as PILImage

from printers.model import GS1_128, QR, Box, Code128, DataMatrix, Image, Label, Line, Text, mm
from printers.zpl import barcode_width, escape_field, render_zpl


def zpl(*elements, dpi=203, **kw) -> str:
    return render_zpl(Label(400, 200, tuple(elements), **kw), dpi).decode("utf-8")


def test_a_label_is_one_utf8_format_with_its_size():
    assert zpl() == "^XA^CI28^PW400^LL200^LH0,0^XZ\n"


def test_text_is_utf8_and_hex_escaped_where_zpl_would_misread_it():
    out = zpl(Text(10, 20, "Zoë ^XZ ~HS a_b \\&", 30))
    assert "^FO10,20^A0N,30,30^FH_^FDZoë _5EXZ _7EHS a_5Fb _5C&^FS" in out
    assert out.count("^XZ") == 1  # the one that ends the format


def test_escape_field_covers_every_character_zpl_treats_specially():
    assert escape_field("^~_\\") == "_5E_7E_5F_5C"
    assert escape_field("plain é") == "plain é"


def test_a_text_block_wraps_and_aligns_with_fb():
    assert "^FB300,2,0,C,0" in zpl(Text(0, 0, "x", 20, width=300, align="center", max_lines=2))


def test_reverse_text_is_drawn_white_on_a_black_box():
    out = zpl(Text(0, 0, "R", 40, width=200, reverse=True))
    assert "^GB200,48,48^FS" in out and "^FR^FH_^FDR^FS" in out


def test_code128_uses_explicit_subsets_and_our_own_interpretation_line():
    out = zpl(Code128(10, 10, "12345678AB", height=80, module=2))
    assert "^BY2,3^BCN,80,N,N,N,N^FD>;12345678>6AB^FS" in out
    assert "^FB224,1,0,C,0^FH_^FD12345678AB^FS" in out  # 112 modules x 2 dots, centred


def test_gs1_128_starts_with_fnc1_and_separates_variable_fields():
    out = zpl(GS1_128(0, 0, [("01", "04006381333931"), ("10", "L1"), ("21", "S")], hri=False))
    assert "^FD>;>8010400638133393110>6L1>821S^FS" in out  # "10" still in C


def test_coordinates_modules_and_fonts_scale_with_the_resolution():
    label = (Code128(100, 50, "AB", height=100, module=2, hri=False), Text(100, 200, "t", 30))
    assert "^FO100,50^BY2,3^BCN,100" in zpl(*label, dpi=203)
    assert "^FO148,74^BY3,3^BCN,148" in zpl(*label, dpi=300)
    assert "^FO296,148^BY6,3^BCN,296" in zpl(*label, dpi=600)
    assert "^A0N,89,89" in zpl(*label, dpi=600)
    assert "^PW1182^LL591" in zpl(dpi=600)


def test_an_unsupported_resolution_is_refused():
    with pytest.raises(ValueError, match="dpi"):
        zpl(dpi=250)


def test_qr_and_datamatrix_carry_escaped_data():
    out = zpl(QR(0, 0, "a^b", module=4), DataMatrix(0, 0, "c~d", module=5))
    assert "^BQN,2,4^FH_^FDMA,a_5Eb^FS" in out
    assert "^BXN,5,200^FH_^FDc_7Ed^FS" in out


def test_boxes_and_lines_are_graphic_boxes():
    out = zpl(Box(0, 0, 100, 50, 3), Line(0, 60, 400, 60, 2), Line(10, 0, 10, 80, 4))
    assert "^FO0,0^GB100,50,3^FS^FO0,60^GB400,2,2^FS^FO10,0^GB4,80,4^FS" in out


def test_a_diagonal_line_is_refused():
    with pytest.raises(ValueError):
        Line(0, 0, 10, 10)


def test_an_image_becomes_a_monochrome_graphic_field():
    png = io.BytesIO()
    picture = PILImage.new("L", (16, 2), 255)
    picture.putpixel((0, 0), 0)
    picture.save(png, format="PNG")
    out = zpl(Image(5, 5, png.getvalue(), width=16))
    assert "^FO5,5^GFA,4,4,2,80000000^FS" in out  # top-left dot black, rest white


def test_copies_use_pq():
    assert "^PQ3,0,1,Y^XZ" in zpl(copies=3)


def test_barcode_width_matches_modules_times_module_width():
    assert barcode_width(Code128(0, 0, "1234", module=3)) == 57 * 3
    assert mm(10) == 80


def test_a_backslash_in_a_text_block_cannot_become_a_line_break():
    # In ^FB, \& breaks the line and \\ prints one backslash (ZPL manual, ^FB).
    out = zpl(Text(0, 0, "C:\\&D", 20, width=300))
    assert "^FB300,1,0,L,0^FH_^FDC:_5C_5C&D^FS" in out
    assert "^FH_^FDC:_5C&D^FS" in zpl(Text(0, 0, "C:\\&D", 20))  # no block: literal
