"""Reading raw scans without a database: symbology prefixes, FNC1, check digits, kinds."""

from __future__ import annotations

from datetime import date

from wms.domain.scans import classify, looks_like_tote, strip_prefix

GS = "\x1d"


def test_a_plain_ean13_is_a_gtin_padded_to_fourteen_digits():
    scan = classify("2400000000013")
    assert (scan.kind, scan.gtin, scan.bad_check_digit) == ("gtin", "02400000000013", False)


def test_an_ean13_with_a_wrong_check_digit_is_flagged_not_rejected():
    scan = classify("2400000000012")
    assert scan.kind == "gtin" and scan.bad_check_digit


def test_upc_a_and_gtin_14_are_gtins_too():
    assert classify("036000291452").kind == "gtin"
    assert classify("12400000000102").gtin == "12400000000102"


def test_a_gs1_128_element_string_with_fnc1_as_gs_gives_gtin_lot_expiry_serial_and_count():
    scan = classify(f"]C10102400000000013{'17'}270313" + f"10L95319{GS}21SN42{GS}3712")
    assert scan.kind == "gs1"
    assert scan.gtin == "02400000000013"
    assert scan.lot == "L95319"
    assert scan.expiry == date(2027, 3, 13)
    assert scan.serial == "SN42"
    assert scan.count == 12
    assert scan.gs1_prefix


def test_a_gs1_string_without_the_symbology_prefix_still_parses():
    scan = classify(f"010240000000001310L1{GS}17270101")
    assert (scan.kind, scan.lot, scan.expiry) == ("gs1", "L1", date(2027, 1, 1))


def test_human_readable_gs1_with_parentheses_parses():
    scan = classify("(01)02400000000013(10)ABC")
    assert (scan.gtin, scan.lot) == ("02400000000013", "ABC")


def test_a_gs1_gtin_with_a_bad_check_digit_is_flagged():
    assert classify("]C10102400000000010").bad_check_digit


def test_an_sscc_is_recognised_bare_and_as_ai_00():
    bare = classify("123456789012345675")
    assert (bare.kind, bare.sscc, bare.bad_check_digit) == ("sscc", "123456789012345675", False)
    ai = classify("]C100123456789012345675")
    assert (ai.kind, ai.sscc) == ("sscc", "123456789012345675")
    assert classify("123456789012345670").bad_check_digit


def test_two_digits_are_a_check_code_and_everything_else_is_text():
    assert classify("47").kind == "check_code"
    assert classify("A01-03-1").kind == "text"
    assert classify("  T0042\r\n").text == "T0042"
    assert classify("").kind == "empty"


def test_barcode_candidates_cover_the_shorter_gtin_forms():
    assert classify("]C10102400000000013").barcode_candidates()[:3] == [
        "0102400000000013",
        "02400000000013",
        "2400000000013",
    ]


def test_symbology_prefixes_are_stripped_and_gs1_ones_are_noticed():
    assert strip_prefix("]C1010") == ("010", True)
    assert strip_prefix("]E02400000000013") == ("2400000000013", False)
    assert strip_prefix("A01") == ("A01", False)


def test_totes_are_T_and_four_or_more_digits():
    assert looks_like_tote("T0042") and looks_like_tote("t12345")
    assert not looks_like_tote("T42") and not looks_like_tote("A01-03-1")
