"""Code 128 subsets are chosen for the shortest symbol, and written as ZPL invocation codes."""

from __future__ import annotations

import itertools

import pytest

from printers.code128 import FNC1, encode, gs1_data, gs1_text


def test_a_long_digit_run_starts_in_subset_c():
    symbol = encode("00123456789012345678")
    assert symbol.zpl_data == ">;00123456789012345678"
    assert symbol.codewords[0] == 105 and len(symbol.codewords) == 11


def test_letters_start_in_subset_b():
    assert encode("T-00042").zpl_data.startswith(">:")


def test_digits_then_letters_leave_subset_c_with_code_b():
    assert encode("12345678AB").zpl_data == ">;12345678>6AB"


def test_an_odd_digit_run_keeps_its_last_digit_in_subset_a_at_no_extra_cost():
    symbol = encode("12345")
    assert symbol.zpl_data == ">;1234>721"  # 21 = '5' in subset A, written as a pair
    assert len(symbol.codewords) == 5  # start, 12, 34, CODE A, '5'


def test_short_digit_runs_stay_in_subset_b():
    assert encode("123").zpl_data == ">:123"
    assert encode("A12B").zpl_data == ">:A12B"


def test_zpl_special_characters_are_written_as_invocation_codes():
    assert encode("a^b>c~d").zpl_data == ">:a><b>0c>=d"
    assert encode("a^b>c~d").codewords[1:] == (65, 62, 66, 30, 67, 94, 68)


def test_switching_into_subset_c_mid_symbol_is_available_for_real_printers():
    assert encode("AB12345678", switch_to_c=True).zpl_data == ">:AB>512345678"
    assert len(encode("AB12345678", switch_to_c=True).codewords) == 8
    assert len(encode("AB12345678").codewords) == 11


def _brute_force_length(data: str) -> int:
    """Fewest codewords over every B/C assignment (no mid-symbol switch into C)."""
    best = 10**9
    for start_c in (False, True):
        for cut in range(len(data) + 1):  # C for data[:cut] when start_c, then B
            head, tail = (data[:cut], data[cut:]) if start_c else ("", data)
            if start_c and (len(head) % 2 or not head.isdigit()):
                continue
            n = 1 + len(head) // 2 + (1 if start_c and tail else 0) + len(tail)
            best = min(best, n)
            if not start_c:
                break
    return best


@pytest.mark.parametrize(
    "data",
    ["".join(p) for n in range(1, 7) for p in itertools.product("1A", repeat=n)]
    + ["1Z5R89390357567127", "6A20524752032", "00012345678", "A-01-03-B"],
)
def test_the_encoder_is_never_longer_than_any_b_or_c_split(data):
    assert len(encode(data).codewords) <= _brute_force_length(data)


def test_the_check_character_and_width_follow_the_code_128_rules():
    symbol = encode("1234")  # start C, 12, 34
    assert symbol.check == (105 + 1 * 12 + 2 * 34) % 103
    assert symbol.modules == 4 * 11 + 13


def test_control_characters_are_refused_rather_than_printed_wrongly():
    with pytest.raises(ValueError):
        encode("A\tB")
    with pytest.raises(ValueError):
        encode("café")


def test_gs1_data_puts_fnc1_first_and_after_variable_length_fields_only():
    data = gs1_data([("01", "04006381333931"), ("10", "LOT1"), ("21", "S9"), ("17", "270630")])
    assert data == f"{FNC1}010400638133393110LOT1{FNC1}21S9{FNC1}17270630"
    assert encode(data).zpl_data.startswith(">;>801")


def test_gs1_fixed_length_fields_are_checked():
    with pytest.raises(ValueError):
        gs1_data([("00", "12345")])
    with pytest.raises(ValueError):
        gs1_data([("1", "x")])


def test_gs1_human_readable_text_puts_ais_in_brackets():
    assert gs1_text([("00", "106141411234567897"), ("420", "75001")]) == (
        "(00)106141411234567897(420)75001"
    )
