"""Check digits of GS1, UPS, Colissimo and UPU S10 identifiers, on published examples."""

from __future__ import annotations

import pytest

from printers.identifiers import (
    colissimo_key,
    gs1_check_digit,
    gtin14,
    is_valid_colissimo,
    is_valid_gtin,
    is_valid_own_tracking,
    is_valid_s10,
    is_valid_sscc,
    is_valid_ups,
    own_tracking,
    s10,
    s10_check_digit,
    sscc,
    ups_check_digit,
)


@pytest.mark.parametrize(
    "gtin",
    [
        "4006381333931",  # EAN-13 (Wikipedia "International Article Number" example)
        "036000291452",  # UPC-A (Wikipedia "Universal Product Code" example)
        "96385074",  # EAN-8 (Wikipedia "EAN-8" example)
        "00012345600012",  # GTIN-14 (GS1 check digit calculator example)
    ],
)
def test_published_gtins_have_a_valid_gs1_check_digit(gtin):
    assert is_valid_gtin(gtin)
    assert gs1_check_digit(gtin[:-1]) == gtin[-1]


@pytest.mark.parametrize("gtin", ["4006381333932", "03600029145", "9638507A", "", "40063813339310"])
def test_a_wrong_check_digit_or_length_is_not_a_gtin(gtin):
    assert not is_valid_gtin(gtin)


def test_a_gtin_is_padded_to_14_digits_for_ai_01():
    assert gtin14("4006381333931") == "04006381333931"
    with pytest.raises(ValueError):
        gtin14("4006381333932")


def test_an_sscc_is_built_from_extension_company_prefix_and_serial():
    # GS1 General Specifications example SSCC: (00) 1 0614141 123456789 + check 7.
    assert sscc(1, "0614141", 123456789) == "106141411234567897"
    assert is_valid_sscc("106141411234567897")
    assert not is_valid_sscc("106141411234567898")


def test_an_sscc_serial_that_does_not_fit_is_refused():
    with pytest.raises(ValueError):
        sscc(0, "0614141", 10**9)
    with pytest.raises(ValueError):
        sscc(10, "0614141", 1)


@pytest.mark.parametrize("tracking", ["1Z5R89390357567127", "1Z999AA10123456784"])
def test_published_ups_tracking_numbers_have_a_valid_check_digit(tracking):
    assert is_valid_ups(tracking)
    assert ups_check_digit(tracking[2:17]) == tracking[17]


def test_a_ups_number_with_a_wrong_check_digit_is_refused():
    assert not is_valid_ups("1Z5R89390357567128")
    assert not is_valid_ups("1Z5R8939035756712")


def test_the_colissimo_key_is_gs1_mod_10_over_the_ten_digits():
    assert colissimo_key("2052475203") == "2"
    assert is_valid_colissimo("6A20524752032")
    assert not is_valid_colissimo("6A20524752033")


def test_upu_s10_check_digit_matches_the_published_example():
    # UPU S10 / Wikipedia example: RR 47312482 9 GB.
    assert s10_check_digit("47312482") == "9"
    assert is_valid_s10("RR473124829GB")
    assert s10("RR", 47312482, "GB") == "RR473124829GB"
    assert not is_valid_s10("RR473124828GB")


@pytest.mark.parametrize(("serial", "check"), [("00000000", "5"), ("00000008", "0")])
def test_s10_maps_remainders_0_and_1_to_5_and_0(serial, check):
    # r = 0 gives 11 - 0 = 11 -> 5; a remainder of 1 gives 10 -> 0.
    assert s10_check_digit(serial) == check


def test_our_own_tracking_numbers_carry_a_gs1_key_over_their_digits():
    assert own_tracking("ED", 3, 425) == "ED300000004252"
    assert is_valid_own_tracking("ED300000004252", "ED")
    assert not is_valid_own_tracking("ED300000004252", "DW")  # another site's prefix
    assert not is_valid_own_tracking("ED300000004253")
    assert not is_valid_own_tracking("1Z5R89390357567127")
    with pytest.raises(ValueError):
        own_tracking("1Z", 1, 1)
